//! Reading the SQLite side: refusing a file a server still has open,
//! refusing a schema this build does not know, then streaming every
//! durable table in column batches from one read transaction.
//!
//! One read transaction, so what is copied is one consistent snapshot
//! even if something wrote to the file meanwhile. Column batches (a vector
//! per column) because that is what the PostgreSQL side binds to `unnest`,
//! and bounded batches over a bounded channel so that a large mailbox
//! never sits in memory whole. Everything here blocks: it runs on a
//! blocking thread, never on an async worker.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags, Row};
use tokio::sync::mpsc;

use crate::store::SqliteStore;

/// Rows in one batch at most.
const BATCH_ROWS: usize = 5_000;
/// Text and bytes in one batch at most (envelopes may be large).
const BATCH_BYTES: usize = 8 << 20;
/// How long to wait for the lock that shows no server has the file open.
/// Longer than a checkpoint of a stopped server's last connection takes,
/// short enough that a person waits for the answer.
const LOCK_WAIT: Duration = Duration::from_secs(2);

/// The first schema version with `group_records`.
const GROUPS_SINCE: i64 = 3;
/// The first schema version with `blobs`.
const BLOBS_SINCE: i64 = 4;

/// An opened, checked SQLite store, read-only.
pub(super) struct Source {
    path: PathBuf,
    conn: Connection,
    version: i64,
}

/// Accounts as stored; `created_s` is Unix seconds (NULL when the seed's
/// timestamp could not be read).
#[derive(Default)]
pub(super) struct Users {
    pub id: Vec<i64>,
    pub username: Vec<String>,
    pub password_hash: Vec<String>,
    pub created_s: Vec<Option<i64>>,
}

/// Every identity key, current (`replaced_at` NULL) and replaced.
#[derive(Default)]
pub(super) struct Keys {
    pub id: Vec<i64>,
    pub user_id: Vec<i64>,
    pub public_key: Vec<String>,
    pub fingerprint: Vec<String>,
    pub created_at: Vec<i64>,
    pub replaced_at: Vec<Option<i64>>,
}

/// Session tokens (SHA-256 of the raw token only).
#[derive(Default)]
pub(super) struct Tokens {
    pub token_hash: Vec<Vec<u8>>,
    pub user_id: Vec<i64>,
    pub created_at: Vec<i64>,
    pub expires_at: Vec<i64>,
    pub last_used_at: Vec<i64>,
}

/// Queued envelopes with their `seq` (delivery order) and `msg_id`.
#[derive(Default)]
pub(super) struct Messages {
    pub recipient_id: Vec<i64>,
    pub seq: Vec<i64>,
    pub msg_id: Vec<String>,
    pub sender: Vec<String>,
    pub ts: Vec<i64>,
    pub expires_at: Vec<i64>,
    pub envelope: Vec<String>,
}

/// Group records; members and admins as the JSON arrays SQLite keeps.
#[derive(Default)]
pub(super) struct Groups {
    pub group_id: Vec<String>,
    pub version: Vec<i64>,
    pub state_hash: Vec<String>,
    pub members_json: Vec<String>,
    pub admins_json: Vec<String>,
    pub committed_by: Vec<String>,
    pub committed_at: Vec<i64>,
}

/// Blob metadata (the bytes stay on disk).
#[derive(Default)]
pub(super) struct Blobs {
    pub blob_id: Vec<String>,
    pub owner_id: Vec<i64>,
    pub size: Vec<i64>,
    pub durable_offset: Vec<i64>,
    pub digest: Vec<Option<String>>,
    pub state: Vec<String>,
    pub created_at: Vec<i64>,
    pub finished_at: Vec<Option<i64>>,
    pub expires_at: Vec<i64>,
}

/// One batch of one table, in the order the target must insert them
/// (accounts before what refers to them).
pub(super) enum Batch {
    Users(Users),
    Keys(Keys),
    Tokens(Tokens),
    Messages(Messages),
    Groups(Groups),
    Blobs(Blobs),
}

/// A column batch filled row by row.
trait Columns: Default {
    /// Appends one row; returns the bytes of text it held.
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize>;
    fn len(&self) -> usize;
    fn into_batch(self) -> Batch;
}

impl Source {
    /// Checks that no process has `path` open, opens it read-only and
    /// checks its schema version.
    pub(super) fn open(path: &Path) -> anyhow::Result<Source> {
        if !path.is_file() {
            bail!(
                "{} does not exist or is not a file; give the database of the stopped server, \
                 e.g. --from sqlite:/var/lib/chat-server/chat-server.db",
                path.display()
            );
        }
        ensure_unused(path)?;
        let conn = sqlite_support::open_reader(path, LOCK_WAIT).map_err(|e| anyhow::anyhow!(e))?;
        // The snapshot starts at the first read and lasts until the end.
        conn.execute_batch("BEGIN")
            .with_context(|| format!("cannot start reading {}", path.display()))?;
        let version = schema_version(&conn, path)?;
        Ok(Source {
            path: path.to_owned(),
            conn,
            version,
        })
    }

    /// The file's schema version.
    pub(super) fn version(&self) -> i64 {
        self.version
    }

    /// Sends every table's rows to `out`, batch by batch; stops early
    /// (without error) when the receiver is gone, which means the target
    /// failed and reports why.
    pub(super) fn stream(&self, out: &mpsc::Sender<Batch>) -> anyhow::Result<()> {
        let mut go = self.table::<Users>(
            "users",
            "SELECT id, username, password_hash, CAST(strftime('%s', created_at) AS INTEGER) \
             FROM users ORDER BY id",
            out,
        )?;
        go = go
            && self.table::<Keys>(
                "identity_keys",
                "SELECT id, user_id, public_key, fingerprint, created_at, replaced_at \
                 FROM identity_keys ORDER BY id",
                out,
            )?;
        go = go
            && self.table::<Tokens>(
                "tokens",
                "SELECT token_hash, user_id, created_at, expires_at, last_used_at FROM tokens",
                out,
            )?;
        go = go
            && self.table::<Messages>(
                "messages",
                "SELECT recipient_id, seq, msg_id, sender, ts, expires_at, envelope \
                 FROM messages ORDER BY seq",
                out,
            )?;
        if self.version >= GROUPS_SINCE {
            go = go
                && self.table::<Groups>(
                    "group_records",
                    "SELECT group_id, version, state_hash, members, admins, committed_by, \
                     committed_at FROM group_records",
                    out,
                )?;
        }
        if self.version >= BLOBS_SINCE && go {
            self.table::<Blobs>(
                "blobs",
                "SELECT blob_id, owner_id, size, durable_offset, digest, state, created_at, \
                 finished_at, expires_at FROM blobs",
                out,
            )?;
        }
        Ok(())
    }

    /// Streams one table; false when the receiver is gone.
    fn table<C: Columns>(
        &self,
        name: &str,
        sql: &str,
        out: &mpsc::Sender<Batch>,
    ) -> anyhow::Result<bool> {
        let read = || format!("reading table {name} of {}", self.path.display());
        let mut stmt = self.conn.prepare(sql).with_context(read)?;
        let mut rows = stmt.query([]).with_context(read)?;
        let (mut batch, mut bytes) = (C::default(), 0usize);
        while let Some(row) = rows.next().with_context(read)? {
            bytes += batch.push(row).with_context(read)?;
            if batch.len() >= BATCH_ROWS || bytes >= BATCH_BYTES {
                if out
                    .blocking_send(std::mem::take(&mut batch).into_batch())
                    .is_err()
                {
                    return Ok(false);
                }
                bytes = 0;
            }
        }
        Ok(batch.len() == 0 || out.blocking_send(batch.into_batch()).is_ok())
    }
}

/// Refuses a file another process has open. A server keeps its
/// connections open for its whole life, and in WAL mode every open
/// connection holds a shared lock on the file even while idle, so a
/// connection in exclusive locking mode cannot start a transaction until
/// every other one is closed. The probe changes nothing and lets go at
/// once.
fn ensure_unused(path: &Path) -> anyhow::Result<()> {
    let cannot = |e: rusqlite::Error| {
        anyhow::anyhow!(
            "cannot check that no server uses {}: {e}; run migrate as the server's user, \
             with the server stopped",
            path.display()
        )
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(cannot)?;
    conn.busy_timeout(LOCK_WAIT).map_err(cannot)?;
    conn.pragma_update(None, "locking_mode", "EXCLUSIVE")
        .map_err(cannot)?;
    match conn.execute_batch("BEGIN EXCLUSIVE; COMMIT;") {
        Ok(()) => Ok(()),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => bail!(
            "{} is open in another process (is chat-server still running on it?); \
             stop the server (e.g. `systemctl stop chat-server`) and run migrate again",
            path.display()
        ),
        Err(e) => Err(cannot(e)),
    }
}

/// The version recorded by the server's migrations, if this build knows it.
fn schema_version(conn: &Connection, path: &Path) -> anyhow::Result<i64> {
    let known = SqliteStore::schema_version();
    let has_table: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master \
             WHERE type = 'table' AND name = 'schema_migrations')",
            [],
            |r| r.get(0),
        )
        .with_context(|| {
            format!(
                "cannot read {}; is it a chat-server database?",
                path.display()
            )
        })?;
    let version: Option<i64> = if has_table {
        conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .with_context(|| format!("cannot read the schema version of {}", path.display()))?
    } else {
        None
    };
    match version {
        Some(v) if (1..=known).contains(&v) => Ok(v),
        Some(v) if v > known => bail!(
            "{} has schema version {v}, newer than this chat-server knows (1 to {known}); \
             run migrate with the chat-server release that wrote it, or a newer one",
            path.display()
        ),
        _ => bail!(
            "{} records no chat-server schema version; it is not a chat-server database, \
             or one never opened by a chat-server with migrations: start this chat-server on \
             it once (it brings the schema forward), stop it, and migrate again",
            path.display()
        ),
    }
}

impl Columns for Users {
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        self.id.push(row.get(0)?);
        let (username, hash): (String, String) = (row.get(1)?, row.get(2)?);
        let bytes = username.len() + hash.len();
        self.username.push(username);
        self.password_hash.push(hash);
        self.created_s.push(row.get(3)?);
        Ok(bytes)
    }
    fn len(&self) -> usize {
        self.id.len()
    }
    fn into_batch(self) -> Batch {
        Batch::Users(self)
    }
}

impl Columns for Keys {
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        self.id.push(row.get(0)?);
        self.user_id.push(row.get(1)?);
        let (key, fingerprint): (String, String) = (row.get(2)?, row.get(3)?);
        let bytes = key.len() + fingerprint.len();
        self.public_key.push(key);
        self.fingerprint.push(fingerprint);
        self.created_at.push(row.get(4)?);
        self.replaced_at.push(row.get(5)?);
        Ok(bytes)
    }
    fn len(&self) -> usize {
        self.id.len()
    }
    fn into_batch(self) -> Batch {
        Batch::Keys(self)
    }
}

impl Columns for Tokens {
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        self.token_hash.push(row.get(0)?);
        self.user_id.push(row.get(1)?);
        self.created_at.push(row.get(2)?);
        self.expires_at.push(row.get(3)?);
        self.last_used_at.push(row.get(4)?);
        Ok(32)
    }
    fn len(&self) -> usize {
        self.user_id.len()
    }
    fn into_batch(self) -> Batch {
        Batch::Tokens(self)
    }
}

impl Columns for Messages {
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        self.recipient_id.push(row.get(0)?);
        self.seq.push(row.get(1)?);
        let (msg_id, sender, envelope): (String, String, String) =
            (row.get(2)?, row.get(3)?, row.get(6)?);
        let bytes = msg_id.len() + sender.len() + envelope.len();
        self.msg_id.push(msg_id);
        self.sender.push(sender);
        self.ts.push(row.get(4)?);
        self.expires_at.push(row.get(5)?);
        self.envelope.push(envelope);
        Ok(bytes)
    }
    fn len(&self) -> usize {
        self.seq.len()
    }
    fn into_batch(self) -> Batch {
        Batch::Messages(self)
    }
}

impl Columns for Groups {
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let (id, hash, members, admins, by): (String, String, String, String, String) = (
            row.get(0)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        );
        let bytes = id.len() + hash.len() + members.len() + admins.len() + by.len();
        self.group_id.push(id);
        self.version.push(row.get(1)?);
        self.state_hash.push(hash);
        self.members_json.push(members);
        self.admins_json.push(admins);
        self.committed_by.push(by);
        self.committed_at.push(row.get(6)?);
        Ok(bytes)
    }
    fn len(&self) -> usize {
        self.group_id.len()
    }
    fn into_batch(self) -> Batch {
        Batch::Groups(self)
    }
}

impl Columns for Blobs {
    fn push(&mut self, row: &Row<'_>) -> rusqlite::Result<usize> {
        let id: String = row.get(0)?;
        let bytes = id.len();
        self.blob_id.push(id);
        self.owner_id.push(row.get(1)?);
        self.size.push(row.get(2)?);
        self.durable_offset.push(row.get(3)?);
        self.digest.push(row.get(4)?);
        self.state.push(row.get(5)?);
        self.created_at.push(row.get(6)?);
        self.finished_at.push(row.get(7)?);
        self.expires_at.push(row.get(8)?);
        Ok(bytes)
    }
    fn len(&self) -> usize {
        self.blob_id.len()
    }
    fn into_batch(self) -> Batch {
        Batch::Blobs(self)
    }
}
