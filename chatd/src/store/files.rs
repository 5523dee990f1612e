//! Files and their transfers (schema 6, D18). A file message keeps its
//! file as one JSON column ([`StoredFile`]): the part frontends see and the
//! part that opens the blob travel together, so a message can never lose
//! its key while keeping its name. Transfers are rows of their own, since
//! one file may be downloaded several times and each attempt moves, waits
//! and ends on its own.

use chat_e2e::file::{BlobDigest, BlobId, FileAttachment, FileKey};
use chat_proto::encoding::{b64_decode_array, b64_encode};
use chatd_api::{Direction, FileInfo, Transfer, TransferDirection, TransferState};
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::records::{api_u64, named, sql_u64};
use super::{StoreError, Tx};

/// A file message's file, as kept in `messages.file`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its name (a name, never a path).
    pub name: String,
    /// Its true size.
    pub size: u64,
    /// The sender's media type.
    pub mime: String,
    /// b64 of the preview image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// The local copy: the file sent, or the file downloaded and checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The blob id (for our upload: once the server gave it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// b64 of the 32-byte file key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// b64 of the 8-byte nonce prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// The blob's SHA-256 (for our upload: once it is finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

impl StoredFile {
    /// What a received payload says.
    pub fn received(f: &FileAttachment) -> Self {
        Self {
            name: f.name.clone(),
            size: f.size,
            mime: f.mime.clone(),
            thumbnail: f.thumbnail.as_deref().map(b64_encode),
            path: None,
            blob: Some(f.blob.to_hex()),
            key: Some(b64_encode(f.key.key_bytes())),
            nonce: Some(b64_encode(f.key.nonce_prefix())),
            digest: Some(f.digest.to_hex()),
        }
    }

    /// The part frontends see.
    pub fn info(&self) -> FileInfo {
        FileInfo {
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
            thumbnail: self.thumbnail.clone(),
            path: self.path.clone(),
            transfer: None,
        }
    }

    /// The file's key and nonce prefix.
    pub fn file_key(&self) -> Option<FileKey> {
        let key = Zeroizing::new(b64_decode_array::<32>(self.key.as_deref()?, "key").ok()?);
        let nonce = b64_decode_array::<8>(self.nonce.as_deref()?, "nonce").ok()?;
        Some(FileKey::from_parts(*key, nonce))
    }

    /// The blob id, when known.
    pub fn blob_id(&self) -> Option<BlobId> {
        BlobId::parse(self.blob.as_deref()?)
    }

    /// The digest, when known.
    pub fn blob_digest(&self) -> Option<BlobDigest> {
        BlobDigest::parse(self.digest.as_deref()?)
    }

    /// The payload's attachment, once everything is known.
    pub fn attachment(&self, caption: Option<String>) -> Option<FileAttachment> {
        Some(FileAttachment {
            blob: self.blob_id()?,
            key: self.file_key()?,
            digest: self.blob_digest()?,
            size: self.size,
            name: self.name.clone(),
            mime: self.mime.clone(),
            thumbnail: match &self.thumbnail {
                Some(t) => Some(chat_proto::encoding::b64_decode(t, "thumbnail").ok()?),
                None => None,
            },
            caption,
        })
    }

    pub(super) fn from_column(text: Option<String>) -> Result<Option<Self>, StoreError> {
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| StoreError::Corrupt(format!("a message's file is unreadable: {e}")))
        })
        .transpose()
    }

    fn to_column(&self) -> Result<String, StoreError> {
        serde_json::to_string(self)
            .map_err(|e| StoreError::Corrupt(format!("cannot encode a file: {e}")))
    }
}

/// One transfer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRow {
    /// Its id (uuid).
    pub id: String,
    /// The file's message.
    pub message_id: String,
    /// Upload or download.
    pub direction: TransferDirection,
    /// Where it is.
    pub state: TransferState,
    /// Durable progress in blob bytes.
    pub bytes: u64,
    /// The blob's length.
    pub total: u64,
    /// Why it failed or waits.
    pub error: Option<String>,
    /// Upload: the sender's original; download: where the file goes (the
    /// final name once done).
    pub path: Option<String>,
    /// chatd's own file for it (see the migration).
    pub spool: String,
    /// Unix ms.
    pub created_ms: i64,
    /// Unix ms of the last change of state.
    pub updated_ms: i64,
}

const TRANSFER_COLUMNS: &str =
    "id, message_id, direction, state, bytes, total, error, path, spool, created_ms, updated_ms";

impl Tx<'_> {
    /// Sets message `id`'s file.
    pub fn set_message_file(&self, id: &str, file: &StoredFile) -> Result<(), StoreError> {
        self.exec(
            "UPDATE messages SET file = ?2 WHERE id = ?1",
            params![id, file.to_column()?],
        )?;
        Ok(())
    }

    /// Message `id`'s file, with its direction and the other side (the
    /// sender of an incoming one, the recipient or group of ours).
    pub fn message_file(&self, id: &str) -> Result<Option<StoredFile>, StoreError> {
        let text = self
            .tx
            .prepare_cached("SELECT file FROM messages WHERE id = ?1")?
            .query_row([id], |row| row.get::<_, Option<String>>(0))
            .optional()?
            .flatten();
        StoredFile::from_column(text)
    }

    /// Adds a transfer.
    pub fn transfer_insert(&self, t: &TransferRow) -> Result<(), StoreError> {
        self.exec(
            &format!(
                "INSERT INTO transfers ({TRANSFER_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ),
            params![
                t.id,
                t.message_id,
                direction_str(t.direction),
                state_str(t.state),
                sql_u64(t.bytes),
                sql_u64(t.total),
                t.error,
                t.path,
                t.spool,
                t.created_ms,
                t.updated_ms
            ],
        )?;
        Ok(())
    }

    /// The transfer with this id.
    pub fn transfer(&self, id: &str) -> Result<Option<TransferRow>, StoreError> {
        self.tx
            .prepare_cached(&format!(
                "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE id = ?1"
            ))?
            .query_row([id], |row| Ok(transfer_from_row(row)))
            .optional()?
            .transpose()
    }

    /// Transfers not yet ended, oldest first.
    pub fn transfers_open(&self) -> Result<Vec<TransferRow>, StoreError> {
        self.transfer_rows(
            &format!(
                "SELECT {TRANSFER_COLUMNS} FROM transfers \
                 WHERE state IN ('waiting', 'active') ORDER BY created_ms, id"
            ),
            [],
        )
    }

    /// Transfers not yet ended, then those ended since `since` (Unix ms),
    /// newest first.
    pub fn transfers_recent(&self, since: i64) -> Result<Vec<TransferRow>, StoreError> {
        self.transfer_rows(
            &format!(
                "SELECT {TRANSFER_COLUMNS} FROM transfers \
                 WHERE state IN ('waiting', 'active') OR updated_ms >= ?1 \
                 ORDER BY state NOT IN ('waiting', 'active'), created_ms DESC, id"
            ),
            [since],
        )
    }

    /// The newest transfer of message `id`.
    pub fn transfer_of_message(&self, id: &str) -> Result<Option<TransferRow>, StoreError> {
        Ok(self
            .transfer_rows(
                &format!(
                    "SELECT {TRANSFER_COLUMNS} FROM transfers WHERE message_id = ?1 \
                     ORDER BY created_ms DESC, id DESC LIMIT 1"
                ),
                [id],
            )?
            .into_iter()
            .next())
    }

    /// Moves transfer `id` to `state` (with why, for `failed` and
    /// `waiting`); returns false, changing nothing, when it has ended
    /// already or is gone (a cancel and a finish racing: the first wins).
    pub fn transfer_set_state(
        &self,
        id: &str,
        state: TransferState,
        error: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.exec(
            "UPDATE transfers SET state = ?2, error = ?3, updated_ms = ?4 \
             WHERE id = ?1 AND state IN ('waiting', 'active')",
            params![id, state_str(state), error, now],
        )?;
        Ok(changed == 1)
    }

    /// Records progress.
    pub fn transfer_set_bytes(&self, id: &str, bytes: u64) -> Result<(), StoreError> {
        self.exec(
            "UPDATE transfers SET bytes = ?2 WHERE id = ?1",
            params![id, sql_u64(bytes)],
        )?;
        Ok(())
    }

    /// Records where the file went (a download's final name).
    pub fn transfer_set_path(&self, id: &str, path: &str) -> Result<(), StoreError> {
        self.exec(
            "UPDATE transfers SET path = ?2 WHERE id = ?1",
            params![id, path],
        )?;
        Ok(())
    }

    /// The transfer as the local API shows it (joined with its message).
    pub fn transfer_view(&self, t: &TransferRow) -> Result<Transfer, StoreError> {
        let m = self.message(&t.message_id)?;
        let file = self.message_file(&t.message_id)?.unwrap_or_default();
        let (peer, group) = match &m {
            Some(m) => match &m.group {
                Some(g) => (None, Some(g.id.clone())),
                None if m.direction == Direction::In => (Some(m.from.clone()), None),
                None => (Some(m.to.clone()), None),
            },
            None => (None, None),
        };
        Ok(Transfer {
            id: t.id.clone(),
            message: t.message_id.clone(),
            direction: t.direction,
            peer,
            group,
            name: file.name,
            size: file.size,
            bytes: t.bytes,
            total: t.total,
            state: t.state,
            error: t.error.clone(),
            path: t.path.clone(),
            created: t.created_ms,
            updated: t.updated_ms,
        })
    }

    /// Fills in `file.transfer` of a file message.
    pub(super) fn fill_file(&self, m: &mut chatd_api::Message) -> Result<(), StoreError> {
        if let Some(file) = m.file.as_mut() {
            file.transfer = self
                .tx
                .prepare_cached(
                    "SELECT id FROM transfers WHERE message_id = ?1 \
                     ORDER BY created_ms DESC, id DESC LIMIT 1",
                )?
                .query_row([&m.id], |row| row.get::<_, String>(0))
                .optional()?;
        }
        Ok(())
    }

    fn transfer_rows(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<TransferRow>, StoreError> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let mut rows = stmt.query(params)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(transfer_from_row(row)?);
        }
        Ok(out)
    }
}

fn transfer_from_row(row: &Row<'_>) -> Result<TransferRow, StoreError> {
    Ok(TransferRow {
        id: row.get(0)?,
        message_id: row.get(1)?,
        direction: named(row, 2, "transfer direction", parse_direction)?,
        state: named(row, 3, "transfer state", parse_state)?,
        bytes: api_u64(row.get(4)?),
        total: api_u64(row.get(5)?),
        error: row.get(6)?,
        path: row.get(7)?,
        spool: row.get(8)?,
        created_ms: row.get(9)?,
        updated_ms: row.get(10)?,
    })
}

fn direction_str(d: TransferDirection) -> &'static str {
    match d {
        TransferDirection::Upload => "upload",
        TransferDirection::Download => "download",
    }
}

fn parse_direction(s: &str) -> Option<TransferDirection> {
    match s {
        "upload" => Some(TransferDirection::Upload),
        "download" => Some(TransferDirection::Download),
        _ => None,
    }
}

fn state_str(s: TransferState) -> &'static str {
    match s {
        TransferState::Waiting => "waiting",
        TransferState::Active => "active",
        TransferState::Done => "done",
        TransferState::Failed => "failed",
        TransferState::Cancelled => "cancelled",
    }
}

fn parse_state(s: &str) -> Option<TransferState> {
    Some(match s {
        "waiting" => TransferState::Waiting,
        "active" => TransferState::Active,
        "done" => TransferState::Done,
        "failed" => TransferState::Failed,
        "cancelled" => TransferState::Cancelled,
        _ => return None,
    })
}
