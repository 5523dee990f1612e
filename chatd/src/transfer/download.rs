//! Receiving a file: [`fetch`] copies the blob's ciphertext from the server
//! into a part file, and [`open`] checks it and writes the file.
//!
//! The two steps are apart on purpose. The ciphertext part file is the
//! resume point (a download continues from its length, after a dropped
//! connection or a restart of chatd), and it needs no checks while it
//! grows: nothing of it is shown or kept until [`open`] has checked the
//! whole blob in the order of PROTOCOL.md §5.2 (length, digest, chunks).
//! Only then does the file appear under its final name, by an atomic link
//! or rename in the same directory, so a reader never sees half a file or
//! an unchecked one.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chat_e2e::file::{BlobId, FileAttachment, FileError, open_blob};
use chat_proto::encoding::b64_decode;
use chat_proto::{Request, ServerMessage};

use super::error::TransferError;
use super::media::{numbered_name, safe_name};
use super::upload::MAX_PIECE;
use crate::link::bulk::{Answer, Bulk};

/// Gets in flight at once (the server holds at most 4 answers per
/// connection, D16).
const WINDOW: usize = 4;

/// Downloads blob `blob` of `total` bytes (`blob_len(size)` of the
/// payload) into `part`, appending from its current length, so a
/// download that stopped resumes where it stopped. `progress` hears
/// (bytes in the part file, total). The part file is synced at the end;
/// a server whose blob is not `total` bytes long is
/// [`TransferError::Tampered`] (then delete the part file).
pub async fn fetch(
    bulk: &Bulk,
    blob: &BlobId,
    total: u64,
    part: &Path,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<(), TransferError> {
    let limits = bulk.limits().ok_or(TransferError::NoBlobStore)?;
    let piece = limits.max_piece.clamp(1, MAX_PIECE);
    let status = Request::BlobStatus {
        blob_id: blob.to_hex(),
    };
    match bulk.request(status).await? {
        ServerMessage::BlobStatus {
            size,
            finished: true,
            ..
        } => check_size(total, size)?,
        // An unfinished blob is visible to its owner only: ours, then.
        ServerMessage::BlobStatus { .. } => {
            return Err(TransferError::Protocol(
                "the blob is not finished; it cannot be downloaded yet".into(),
            ));
        }
        other => return Err(unexpected("blob_status", &other)),
    }
    let path = part.to_path_buf();
    let (mut file, mut have) = blocking(move || open_part(&path, total)).await??;
    progress(have, total);
    let mut next = have;
    let mut window: VecDeque<(u64, u64, Answer)> = VecDeque::with_capacity(WINDOW);
    while have < total {
        while next < total && window.len() < WINDOW {
            let length = piece.min(total - next);
            let get = Request::BlobGet {
                blob_id: blob.to_hex(),
                offset: next,
                length,
            };
            window.push_back((next, length, bulk.submit(get).await?));
            next += length;
        }
        let Some((offset, length, answer)) = window.pop_front() else {
            break;
        };
        let data = match answer.wait().await? {
            ServerMessage::BlobData {
                offset: at,
                size,
                data,
                ..
            } if at == offset => {
                check_size(total, size)?;
                data
            }
            // Past the end: the blob is shorter than it said.
            ServerMessage::BadOffset { offset, .. } => return Err(size_mismatch(total, offset)),
            other => return Err(unexpected("blob_data", &other)),
        };
        let path = part.to_path_buf();
        file = blocking(move || append(file, &path, &data, length)).await??;
        have += length;
        progress(have, total);
    }
    let path = part.to_path_buf();
    blocking(move || {
        file.sync_all()
            .map_err(|e| TransferError::io("sync", &path, e))
    })
    .await??;
    Ok(())
}

/// Checks the downloaded blob in `part` against the payload `file` and
/// writes the file: into the directory `dest` under the payload's name
/// made safe ([`safe_name`]), or at the path `dest`; a name already taken
/// gets a number ("photo (1).jpg"). Returns the path written. The file
/// appears only once every check passed; on any failure nothing is left
/// at the destination. A blob that fails a check is
/// [`TransferError::Tampered`]: the caller deletes the part file (it will
/// never open) and reports the file as tampered.
pub async fn open(
    part: &Path,
    file: &FileAttachment,
    dest: &Path,
) -> Result<PathBuf, TransferError> {
    let (part, file, dest) = (part.to_path_buf(), file.clone(), dest.to_path_buf());
    blocking(move || open_blocking(&part, &file, &dest)).await?
}

fn open_blocking(
    part: &Path,
    file: &FileAttachment,
    dest: &Path,
) -> Result<PathBuf, TransferError> {
    let (dir, name) = if dest.is_dir() {
        (dest.to_path_buf(), safe_name(&file.name))
    } else {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| safe_name(&file.name));
        (dir, name)
    };
    let opener = file.opener().map_err(TransferError::Tampered)?;
    let mut blob = File::open(part).map_err(|e| TransferError::io("read", part, e))?;
    let temp = Temp::create(&dir, &name)?;
    let out = BufWriter::new(
        temp.file
            .try_clone()
            .map_err(|e| TransferError::io("write", &temp.path, e))?,
    );
    let out = open_blob(opener, file.digest, &mut blob, out)
        .map_err(|e| TransferError::io("write", &temp.path, e))?;
    out.into_inner()
        .map_err(|e| TransferError::io("write", &temp.path, e.into_error()))?
        .sync_all()
        .map_err(|e| TransferError::io("sync", &temp.path, e))?;
    temp.keep_as(&dir, &name)
}

/// The plaintext being written, in the destination's directory (so that
/// the final rename is atomic), removed unless it was kept.
struct Temp {
    path: PathBuf,
    file: File,
    kept: bool,
}

impl Temp {
    fn create(dir: &Path, name: &str) -> Result<Self, TransferError> {
        for _ in 0..16 {
            let tag = chat_proto::crypto::random_bytes::<6>()
                .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
                .unwrap_or_default();
            // Hidden, and never the name of a finished file.
            let path = dir.join(numbered_name(&format!(".{tag}-{name}.part"), 0));
            match OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(file) => {
                    return Ok(Self {
                        path,
                        file,
                        kept: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(TransferError::io("create", path, e)),
            }
        }
        Err(TransferError::io(
            "create",
            dir,
            io::Error::other("no free temporary name"),
        ))
    }

    /// Gives the checked file its name: `name`, or `name (n)` when taken.
    /// A hard link never replaces an existing file, so two downloads of
    /// the same name cannot overwrite each other.
    fn keep_as(mut self, dir: &Path, name: &str) -> Result<PathBuf, TransferError> {
        for n in 0..10_000 {
            let target = dir.join(numbered_name(name, n));
            match fs::hard_link(&self.path, &target) {
                Ok(()) => {
                    let _ = fs::remove_file(&self.path);
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                // A file system without hard links: rename, having looked.
                Err(_) if fs::symlink_metadata(&target).is_err() => {
                    fs::rename(&self.path, &target)
                        .map_err(|e| TransferError::io("rename", &target, e))?;
                }
                Err(_) => continue,
            }
            self.kept = true;
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
            return Ok(target);
        }
        Err(TransferError::io(
            "name",
            dir.join(name),
            io::Error::other("every numbered name is taken"),
        ))
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Opens (or creates) the part file for appending; returns it and its
/// length. A part longer than the blob is not ours to trust: start over.
fn open_part(path: &Path, total: u64) -> Result<(File, u64), TransferError> {
    let err = |e| TransferError::io("open", path, e);
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(err)?;
    let mut len = file.metadata().map_err(err)?.len();
    if len > total {
        file.set_len(0).map_err(err)?;
        len = 0;
    }
    Ok((file, len))
}

/// Decodes a piece and appends it; the server must give exactly what was
/// asked (it is never more than its `max_piece` nor past the end).
fn append(mut file: File, path: &Path, data: &str, length: u64) -> Result<File, TransferError> {
    let bytes =
        b64_decode(data, "data").map_err(|e| TransferError::Protocol(format!("blob_data: {e}")))?;
    if bytes.len() as u64 != length {
        return Err(TransferError::Protocol(format!(
            "asked for {length} bytes, the server sent {}",
            bytes.len()
        )));
    }
    file.write_all(&bytes)
        .map_err(|e| TransferError::io("write", path, e))?;
    Ok(file)
}

fn check_size(total: u64, size: u64) -> Result<(), TransferError> {
    if size == total {
        Ok(())
    } else {
        Err(size_mismatch(total, size))
    }
}

fn size_mismatch(expected: u64, actual: u64) -> TransferError {
    TransferError::Tampered(FileError::SizeMismatch { expected, actual })
}

fn unexpected(wanted: &str, got: &ServerMessage) -> TransferError {
    TransferError::Protocol(format!("expected {wanted}, got {got:?}"))
}

/// Runs file work on the blocking pool.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TransferError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| TransferError::Protocol(format!("a file task failed: {e}")))
}
