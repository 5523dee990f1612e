//! Sending a file's blob: reserve it ([`create`]), then seal the spool copy
//! and put it in pieces ([`upload`]), then finish it with its digest.
//!
//! An upload resumes from where the server's bytes end, never from zero:
//! sealing is deterministic (D17), so the blob's prefix is sealed again
//! locally only to feed the digest, which covers the whole blob, and only
//! what the server lacks goes on the wire. Sealing and reading run on a
//! blocking thread that feeds a small channel; the async side keeps a
//! window of puts in flight, so memory stays at a few pieces whatever the
//! file's size and the pipe stays full.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::PathBuf;

use chat_e2e::file::{BlobDigest, BlobId, FileKey, FileSealer, SealingReader, blob_len};
use chat_proto::encoding::b64_encode;
use chat_proto::{Request, ServerMessage};
use tokio::sync::mpsc;

use super::error::TransferError;
use crate::link::bulk::{Answer, Bulk};

/// Largest piece this client puts, whatever the server allows: its b64
/// frame stays well under the 1 MiB frame cap.
pub const MAX_PIECE: u64 = 512 * 1024;
/// Puts in flight at once.
const WINDOW: usize = 4;
/// Sealed pieces waiting for the network.
const AHEAD: usize = 2;
/// How many times in a row the server may send the upload back (to an
/// offset not past where it started) before it gives up for now.
const MAX_RESTARTS: u32 = 8;

/// One upload, as the manager persisted it after [`create`].
#[derive(Debug, Clone)]
pub struct UploadJob {
    /// The plaintext copy to send (the spool's; it does not change).
    pub spool: PathBuf,
    /// Its size in bytes, as measured when the copy was made.
    pub size: u64,
    /// The file's key and nonce prefix.
    pub key: FileKey,
    /// The blob [`create`] reserved.
    pub blob: BlobId,
}

/// Reserves a blob for a file of `size` bytes (`blob_len(size)` of
/// ciphertext). The caller persists the id before uploading, so a restart
/// resumes into the same blob.
pub async fn create(bulk: &Bulk, size: u64) -> Result<BlobId, TransferError> {
    if bulk.limits().is_none() {
        return Err(TransferError::NoBlobStore);
    }
    let request = Request::BlobCreate {
        size: blob_len(size),
    };
    match bulk.request(request).await? {
        ServerMessage::BlobCreated { blob_id, .. } => BlobId::parse(&blob_id)
            .ok_or_else(|| TransferError::Protocol(format!("bad blob id {blob_id:?}"))),
        other => Err(unexpected("blob_created", &other)),
    }
}

/// Deletes one of our blobs (a cancelled upload, or a sent file nobody
/// needs any more), freeing its quota at once. A blob already gone
/// (expired, deleted before) counts as deleted.
pub async fn delete(bulk: &Bulk, blob: &BlobId) -> Result<(), TransferError> {
    let request = Request::BlobDelete {
        blob_id: blob.to_hex(),
    };
    match bulk.request(request).await.map_err(TransferError::from) {
        Ok(ServerMessage::BlobDeleted { .. }) | Err(TransferError::NoSuchBlob) => Ok(()),
        Ok(other) => Err(unexpected("blob_deleted", &other)),
        Err(e) => Err(e),
    }
}

/// Uploads the job's blob from the server's durable offset to the end and
/// finishes it; returns the digest for the payload. `progress` hears
/// (durable offset, blob length) after every acknowledged piece.
/// Finishing an already finished blob answers again (§5.3), so calling
/// this after a lost answer is safe.
pub async fn upload(
    bulk: &Bulk,
    job: &UploadJob,
    mut progress: impl FnMut(u64, u64) + Send,
) -> Result<BlobDigest, TransferError> {
    let limits = bulk.limits().ok_or(TransferError::NoBlobStore)?;
    let piece = limits.max_piece.clamp(1, MAX_PIECE);
    let total = blob_len(job.size);
    let mut at = status(bulk, &job.blob, total).await?;
    let mut restarts = 0;
    loop {
        progress(at, total);
        match run(bulk, job, at, piece, &mut progress).await? {
            Ok(digest) => return Ok(digest),
            Err(offset) => {
                // Only a server offset that does not move forward counts
                // against the upload: another writer that is ahead of us
                // (a second session resuming the same blob) is progress.
                restarts = if offset > at { 0 } else { restarts + 1 };
                if restarts > MAX_RESTARTS {
                    return Err(TransferError::OffsetsDisagree);
                }
                if offset > total {
                    return Err(TransferError::Protocol(format!(
                        "the server's offset {offset} is past the blob's {total} bytes"
                    )));
                }
                at = offset;
            }
        }
    }
}

/// The server's durable offset for the blob, after checking that it is the
/// blob of this file.
async fn status(bulk: &Bulk, blob: &BlobId, total: u64) -> Result<u64, TransferError> {
    let answer = bulk
        .request(Request::BlobStatus {
            blob_id: blob.to_hex(),
        })
        .await?;
    match answer {
        ServerMessage::BlobStatus { size, offset, .. } if size == total && offset <= size => {
            Ok(offset)
        }
        ServerMessage::BlobStatus { size, offset, .. } => Err(TransferError::Protocol(format!(
            "the server's blob has {size} bytes (offset {offset}), the file makes {total}"
        ))),
        other => Err(unexpected("blob_status", &other)),
    }
}

/// One pass from `start`: `Ok(Ok(digest))` when finished, `Ok(Err(offset))`
/// when the server said to continue elsewhere.
async fn run(
    bulk: &Bulk,
    job: &UploadJob,
    start: u64,
    piece: u64,
    progress: &mut (impl FnMut(u64, u64) + Send),
) -> Result<Result<BlobDigest, u64>, TransferError> {
    let total = blob_len(job.size);
    let (tx, mut pieces) = mpsc::channel(AHEAD);
    let sealer = {
        let job = job.clone();
        tokio::task::spawn_blocking(move || seal(&job, start, piece, &tx))
    };
    let mut window: VecDeque<(u64, Answer)> = VecDeque::with_capacity(WINDOW);
    let mut more = true;
    loop {
        while more && window.len() < WINDOW {
            match pieces.recv().await {
                Some(Piece { offset, data, end }) => {
                    let put = Request::BlobPut {
                        blob_id: job.blob.to_hex(),
                        offset,
                        data,
                    };
                    window.push_back((end, bulk.submit(put).await?));
                }
                None => more = false,
            }
        }
        let Some((end, answer)) = window.pop_front() else {
            break;
        };
        match answer.wait().await? {
            ServerMessage::BlobAck { offset, .. } if offset == end => progress(offset, total),
            // The pieces behind it in the window are refused the same way;
            // dropping the channel stops the sealer.
            ServerMessage::BadOffset { offset, .. } => return Ok(Err(offset)),
            other => return Err(unexpected("blob_ack", &other)),
        }
    }
    drop(pieces);
    let digest = sealer
        .await
        .map_err(|e| TransferError::Protocol(format!("the sealing thread failed: {e}")))??;
    let finish = Request::BlobFinish {
        blob_id: job.blob.to_hex(),
        digest: digest.to_hex(),
    };
    match bulk.request(finish).await? {
        ServerMessage::BlobFinished { size, .. } if size == total => Ok(Ok(digest)),
        ServerMessage::BadOffset { offset, .. } => Ok(Err(offset)),
        other => Err(unexpected("blob_finished", &other)),
    }
}

/// A piece ready to put: its offset, its b64, and where it ends.
struct Piece {
    offset: u64,
    data: String,
    end: u64,
}

/// Seals the whole file (for the digest) and sends the pieces from
/// `start` on; returns the digest. Runs on a blocking thread. A closed
/// channel (the upload stopped) ends it early.
fn seal(
    job: &UploadJob,
    start: u64,
    piece: u64,
    tx: &mpsc::Sender<Piece>,
) -> Result<BlobDigest, TransferError> {
    let read_err = |e: io::Error| TransferError::io("read", &job.spool, e);
    let file = File::open(&job.spool).map_err(read_err)?;
    let sealer =
        FileSealer::new(&job.key, job.blob, job.size).map_err(|e| TransferError::TooLarge {
            message: e.to_string(),
        })?;
    let mut blob = SealingReader::new(sealer, BufReader::new(file));
    // The prefix the server holds: sealed again for the digest only.
    io::copy(&mut (&mut blob).take(start), &mut io::sink()).map_err(read_err)?;
    let mut offset = start;
    let mut buf = Vec::with_capacity(piece as usize);
    loop {
        buf.clear();
        let n = (&mut blob)
            .take(piece)
            .read_to_end(&mut buf)
            .map_err(read_err)?;
        if n == 0 {
            break;
        }
        let end = offset + n as u64;
        let data = b64_encode(&buf);
        if tx.blocking_send(Piece { offset, data, end }).is_err() {
            // Nobody listens: the pass ended; its result is not used.
            return Err(TransferError::Offline);
        }
        offset = end;
    }
    blob.digest()
        .ok_or_else(|| TransferError::Protocol("the blob ended before its length".into()))
}

fn unexpected(wanted: &str, got: &ServerMessage) -> TransferError {
    TransferError::Protocol(format!("expected {wanted}, got {got:?}"))
}
