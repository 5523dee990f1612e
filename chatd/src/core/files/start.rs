//! What `send_file` and `download` write before anything moves. A file to
//! send is copied into chatd's spool first: the person may edit, move or
//! delete the original the moment `send_file` answers, and a resumed
//! upload must seal the very bytes it sealed before (the digest covers the
//! whole blob). The copy, the message and the transfer row exist together
//! or not at all: a copy without its row is removed.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chat_e2e::file::{FileKey, MAX_FILE_SIZE, blob_len, check_name};
use chat_proto::encoding::b64_encode;
use chatd_api::{
    Direction, EventBody, GroupRef, Message, MessageStatus, Transfer, TransferDirection,
    TransferState,
};

use crate::core::{Core, CoreError};
use crate::store::{StoredFile, TransferRow};
use crate::transfer::media;

/// Who a file goes to.
pub enum Recipient {
    /// A user.
    Peer(String),
    /// A group we are a member of, by id.
    Group(uuid::Uuid),
}

/// What `send_file` asks for, checked by the API layer.
pub struct Outgoing {
    /// Our account.
    pub me: String,
    /// Where it goes.
    pub to: Recipient,
    /// The original, absolute.
    pub source: PathBuf,
    /// The name shown (checked by §5.1's rule).
    pub name: String,
    /// The caption.
    pub caption: Option<String>,
}

/// The spooled copy of a file, its type and preview.
struct Spooled {
    path: PathBuf,
    size: u64,
    mime: String,
    thumbnail: Option<Vec<u8>>,
}

/// The name a file is shown under: `name`, else the source's file name.
pub fn display_name(source: &Path, name: Option<&str>) -> Result<String, CoreError> {
    let name = match name {
        Some(n) => n.to_string(),
        None => source
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| {
                CoreError::InvalidInput(format!("{} names no file", source.display()))
            })?,
    };
    check_name(&name).map_err(|e| {
        CoreError::InvalidInput(format!(
            "{name:?} cannot be a file's name: {e}; pass --name"
        ))
    })?;
    Ok(name)
}

/// Copies the file, writes the message and the upload, and tells
/// frontends. Answers the message id and the upload.
pub async fn send_file(core: &Arc<Core>, out: Outgoing) -> Result<(String, Transfer), CoreError> {
    let transfer_id = uuid::Uuid::new_v4().to_string();
    let spool_dir = core.config().spool_dir();
    let spool = spool_dir.join(format!("{transfer_id}.up"));
    let (source, name, copy_to) = (out.source.clone(), out.name.clone(), spool.clone());
    let spooled = tokio::task::spawn_blocking(move || spool_copy(&source, &name, &copy_to))
        .await
        .map_err(|e| CoreError::Internal(format!("the copy task failed: {e}")))??;
    let written = write_outgoing(core, out, transfer_id, spooled).await;
    if written.is_err() {
        let _ = std::fs::remove_file(&spool);
    }
    let (id, transfer, events) = written?;
    core.hub().announce(events);
    core.files().wake();
    Ok((id, transfer))
}

async fn write_outgoing(
    core: &Arc<Core>,
    out: Outgoing,
    transfer_id: String,
    spooled: Spooled,
) -> Result<(String, Transfer, Vec<chatd_api::Event>), CoreError> {
    let key = FileKey::generate().map_err(|e| CoreError::Internal(e.to_string()))?;
    let now = core.next_send_ts();
    let id = uuid::Uuid::new_v4().to_string();
    let stored = StoredFile {
        name: out.name,
        size: spooled.size,
        mime: spooled.mime,
        thumbnail: spooled.thumbnail.as_deref().map(b64_encode),
        path: Some(out.source.to_string_lossy().into_owned()),
        blob: None,
        key: Some(b64_encode(key.key_bytes())),
        nonce: Some(b64_encode(key.nonce_prefix())),
        digest: None,
    };
    let row = TransferRow {
        id: transfer_id,
        message_id: id.clone(),
        direction: TransferDirection::Upload,
        state: TransferState::Waiting,
        bytes: 0,
        total: blob_len(spooled.size),
        error: None,
        path: stored.path.clone(),
        spool: spooled.path.to_string_lossy().into_owned(),
        created_ms: now,
        updated_ms: now,
    };
    let me = out.me;
    let to = out.to;
    let caption = out.caption.unwrap_or_default();
    core.db()
        .run(move |tx| {
            let (recipient, group) = match &to {
                Recipient::Peer(p) => (p.clone(), None),
                Recipient::Group(gid) => {
                    let gid_text = gid.hyphenated().to_string();
                    (
                        gid_text.clone(),
                        Some(GroupRef {
                            id: gid_text,
                            name: String::new(),
                        }),
                    )
                }
            };
            let mut message = Message {
                id: id.clone(),
                from: me,
                to: recipient,
                text: caption,
                ts: now,
                direction: Direction::Out,
                status: MessageStatus::Sending,
                group,
                receipts: None,
                file: Some(stored.info()),
            };
            tx.insert_message(&message)?;
            tx.set_message_file(&id, &stored)?;
            tx.transfer_insert(&row)?;
            tx.fill_group(&mut message)?;
            if let Some(f) = message.file.as_mut() {
                f.transfer = Some(row.id.clone());
            }
            let transfer = tx.transfer_view(&row)?;
            let events = vec![
                tx.append_event(
                    &EventBody::Message {
                        message,
                        focused: false,
                    },
                    now,
                )?,
                tx.append_event(
                    &EventBody::Transfer {
                        transfer: Box::new(transfer.clone()),
                        progress: false,
                    },
                    now,
                )?,
            ];
            Ok::<_, CoreError>((id, transfer, events))
        })
        .await
}

/// Copies `source` into `spool` (0600), refusing what is not a regular
/// file or is larger than a file may be; makes the preview of an image.
fn spool_copy(source: &Path, name: &str, spool: &Path) -> Result<Spooled, CoreError> {
    let unreadable = |e: io::Error| {
        CoreError::InvalidInput(format!(
            "cannot read {}: {e}; check the path and that you may read it",
            source.display()
        ))
    };
    let mut src = File::open(source).map_err(unreadable)?;
    let meta = src.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err(CoreError::InvalidInput(format!(
            "{} is not a regular file; send files one at a time (archive a folder first)",
            source.display()
        )));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(CoreError::FileTooLarge(format!(
            "{} is {} bytes; files of at most {MAX_FILE_SIZE} bytes (100 MiB) can be sent",
            source.display(),
            meta.len()
        )));
    }
    if let Some(dir) = spool.parent() {
        std::fs::create_dir_all(dir).map_err(|e| local_disk(spool, e))?;
    }
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(spool)
        .map_err(|e| local_disk(spool, e))?;
    let copied = copy_at_most(&mut src, &mut dst, MAX_FILE_SIZE).map_err(|e| {
        let _ = std::fs::remove_file(spool);
        local_disk(spool, e)
    })?;
    let Some(size) = copied else {
        let _ = std::fs::remove_file(spool);
        return Err(CoreError::FileTooLarge(format!(
            "{} grew past {MAX_FILE_SIZE} bytes (100 MiB) while it was copied",
            source.display()
        )));
    };
    dst.sync_all().map_err(|e| local_disk(spool, e))?;
    let mime = media::guess_mime(name);
    let thumbnail = media::thumbnail(spool, &mime);
    Ok(Spooled {
        path: spool.to_path_buf(),
        size,
        mime,
        thumbnail,
    })
}

/// Copies everything, or answers `None` once more than `max` bytes came.
fn copy_at_most(src: &mut impl Read, dst: &mut impl Write, max: u64) -> io::Result<Option<u64>> {
    let mut limited = src.take(max + 1);
    let n = io::copy(&mut limited, dst)?;
    Ok((n <= max).then_some(n))
}

fn local_disk(path: &Path, e: io::Error) -> CoreError {
    CoreError::Internal(format!(
        "cannot write {}: {e}; free some space in chatd's data directory",
        path.display()
    ))
}

/// Where a download goes: the path asked for (absolute), or the
/// downloads directory.
pub fn destination(core: &Core, path: Option<&str>) -> Result<PathBuf, CoreError> {
    match path {
        Some(p) => {
            let p = PathBuf::from(p);
            if !p.is_absolute() {
                return Err(CoreError::InvalidInput(format!(
                    "{} is not an absolute path; chatd does not share your working directory",
                    p.display()
                )));
            }
            Ok(p)
        }
        None => Ok(core.config().downloads.clone()),
    }
}

/// Writes a download of message `id` to `dest` and tells frontends; a
/// download of the same file that has not ended is answered instead of a
/// second one.
pub async fn download(core: &Arc<Core>, id: String, dest: PathBuf) -> Result<Transfer, CoreError> {
    let now = chat_proto::now_ms();
    let transfer_id = uuid::Uuid::new_v4().to_string();
    let spool = core
        .config()
        .spool_dir()
        .join(format!("{transfer_id}.down"));
    let (transfer, events) = core
        .db()
        .run(move |tx| {
            let Some(file) = tx.message_file(&id)? else {
                return Err(match tx.message(&id)? {
                    Some(_) => CoreError::NotAFile(format!("message {id} has no file")),
                    None => CoreError::InvalidInput(format!(
                        "no message {id}; `chat history` lists message ids"
                    )),
                });
            };
            if file.blob.is_none() || file.digest.is_none() || file.file_key().is_none() {
                return Err(CoreError::NotAFile(
                    "this file is not uploaded yet; it can be downloaded once it is sent".into(),
                ));
            }
            if let Some(t) = tx.transfer_of_message(&id)?
                && t.direction == TransferDirection::Download
                && !t.state.is_final()
            {
                return Ok((tx.transfer_view(&t)?, Vec::new()));
            }
            let row = TransferRow {
                id: transfer_id,
                message_id: id,
                direction: TransferDirection::Download,
                state: TransferState::Waiting,
                bytes: 0,
                total: blob_len(file.size),
                error: None,
                path: Some(dest.to_string_lossy().into_owned()),
                spool: spool.to_string_lossy().into_owned(),
                created_ms: now,
                updated_ms: now,
            };
            tx.transfer_insert(&row)?;
            let transfer = tx.transfer_view(&row)?;
            let event = tx.append_event(
                &EventBody::Transfer {
                    transfer: Box::new(transfer.clone()),
                    progress: false,
                },
                now,
            )?;
            Ok::<_, CoreError>((transfer, vec![event]))
        })
        .await?;
    core.hub().announce(events);
    core.files().wake();
    Ok(transfer)
}
