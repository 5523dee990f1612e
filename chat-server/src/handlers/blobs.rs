//! The blob store on the wire (PROTOCOL.md §5.3, D16): reserve, upload in
//! pieces at the durable offset, ask for the offset to resume, finish with
//! a digest, download in pieces, delete. The server never opens a blob: it
//! stores ciphertext of a declared size and checks its SHA-256.
//!
//! The rules, in the order the handlers apply them: logged in; the fields
//! (`bad_request`); the blob as this user may see it (`no_such_blob` for
//! "never existed", "expired", "deleted" and "not finished and not yours"
//! alike, so ids cannot be probed); then offsets and sizes. Every file and
//! hashing step runs on the blocking pool; a piece is durable (written and
//! synced) before the durable offset moves in the database, and that
//! before `blob_ack` is sent, so an acknowledged byte survives a crash.

use std::sync::Arc;

use chat_proto::encoding::{b64_decode, b64_encode};
use chat_proto::wire::ErrorCode;
use chat_proto::{ServerMessage, now_ms};

use super::{Refusal, Reply, authed};
use crate::blobs::BlobId;
use crate::config::ms;
use crate::connection::session::Session;
use crate::context::Shared;
use crate::store::{BlobRecord, NewBlob, QuotaRefusal, Store, UserId};

/// `blob_create`: reserves `size` bytes against the quota and makes an
/// empty blob whose id is the answer.
pub(super) async fn create<S: Store>(sh: &Arc<Shared<S>>, s: &Session, size: u64) -> Reply {
    let owner = authed(s)?.user_id;
    let files = &sh.config.files;
    if size == 0 || size > files.max_blob {
        return Err(Refusal::new(
            ErrorCode::TooLarge,
            format!(
                "a blob holds 1 to {} bytes, not {size}; a file that large cannot be sent \
                 through this server",
                files.max_blob
            ),
        ));
    }
    let id = BlobId::random().map_err(|_| internal("the system RNG failed"))?;
    let (blob_id, now) = (id.to_string(), now_ms());
    let expires = now.saturating_add(ms(files.upload_ttl));
    let reserved = sh
        .store
        .blob_create(NewBlob {
            blob_id: blob_id.clone(),
            owner,
            size,
            now,
            expires,
            quota: files.quota,
            max_uploads: files.max_uploads,
        })
        .await?;
    match reserved {
        Ok(()) => {}
        Err(QuotaRefusal::Bytes { used, quota }) => {
            return Err(Refusal::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "your blobs take {used} of your {quota} bytes; {size} more do not fit: \
                     delete blobs you no longer need (blob_delete) or wait until they expire"
                ),
            ));
        }
        Err(QuotaRefusal::Uploads { max }) => {
            return Err(Refusal::new(
                ErrorCode::QuotaExceeded,
                format!(
                    "you have {max} unfinished uploads, the most allowed: finish or delete \
                     one of them first"
                ),
            ));
        }
    }
    let blobs = sh.blobs.clone();
    if let Err(e) = blocking(move || blobs.create(&id)).await {
        tracing::error!(blob = %blob_id, error = %e, "cannot create a blob file");
        // Give the reservation back: nothing can be written to it.
        if let Err(e) = sh.store.blob_delete(&blob_id).await {
            tracing::warn!(blob = %blob_id, error = %e, "cannot drop a blob without a file");
        }
        return Err(internal("the server could not make room for the blob"));
    }
    Ok(Some(ServerMessage::BlobCreated { blob_id, expires }))
}

/// `blob_put`: writes one piece at the durable offset, syncs it, then
/// records the new offset.
pub(super) async fn put<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    blob_id: String,
    offset: u64,
    data: String,
) -> Reply {
    let me = authed(s)?.user_id;
    let id = parse_id(&blob_id)?;
    let max_piece = sh.config.files.max_piece;
    // Judge the size from the text before decoding anything.
    if u64::try_from(data.len()).unwrap_or(u64::MAX) > max_piece.div_ceil(3).saturating_mul(4) {
        return Err(piece_too_large(max_piece));
    }
    let bytes = b64_decode(&data, "data")
        .map_err(|_| Refusal::new(ErrorCode::BadRequest, "`data` must be base64 (§0)"))?;
    drop(data);
    let len = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if len == 0 {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            "`data` must hold at least one byte",
        ));
    }
    if len > max_piece {
        return Err(piece_too_large(max_piece));
    }
    let _turn = sh.blob_locks.lock(&id).await;
    let rec = own_blob(sh, &blob_id, me).await?;
    if rec.is_finished() {
        return Err(Refusal::bad_offset(
            rec.size,
            "the blob is finished: nothing more can be written to it",
        ));
    }
    if offset != rec.offset {
        return Err(Refusal::bad_offset(
            rec.offset,
            format!(
                "the blob's durable offset is {}, not {offset}: continue from there",
                rec.offset
            ),
        ));
    }
    let end = offset.saturating_add(len);
    if end > rec.size {
        return Err(Refusal::new(
            ErrorCode::TooLarge,
            format!(
                "the piece would end at byte {end}, past the blob's declared size {}",
                rec.size
            ),
        ));
    }
    let blobs = sh.blobs.clone();
    blocking(move || {
        blobs.append(&id, offset, &bytes)?;
        blobs.sync(&id)
    })
    .await
    .map_err(|e| storage_failed(&blob_id, &e))?;
    if !sh.store.blob_advance(&blob_id, offset, end).await? {
        // Deleted or swept between the check and now (the lock keeps other
        // writers out, so nothing else moves the offset).
        return Err(no_such_blob());
    }
    Ok(Some(ServerMessage::BlobAck {
        blob_id,
        offset: end,
    }))
}

/// `blob_status`: the size, durable offset and state, for the owner of an
/// unfinished blob or anyone holding the id of a finished one.
pub(super) async fn status<S: Store>(sh: &Arc<Shared<S>>, s: &Session, blob_id: String) -> Reply {
    let me = authed(s)?.user_id;
    parse_id(&blob_id)?;
    let rec = live_blob(sh, &blob_id).await?;
    if !rec.is_finished() && rec.owner != me {
        return Err(no_such_blob());
    }
    Ok(Some(ServerMessage::BlobStatus {
        blob_id,
        size: rec.size,
        offset: rec.offset,
        finished: rec.is_finished(),
        expires: rec.expires,
    }))
}

/// `blob_finish`: hashes what the server holds; a match makes the blob
/// downloadable, a mismatch discards it and frees its reservation.
pub(super) async fn finish<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    blob_id: String,
    digest: String,
) -> Reply {
    let me = authed(s)?.user_id;
    let id = parse_id(&blob_id)?;
    if !is_lower_hex(&digest, 64) {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            "`digest` must be 64 lowercase hex digits (SHA-256 of the whole blob)",
        ));
    }
    let _turn = sh.blob_locks.lock(&id).await;
    let rec = own_blob(sh, &blob_id, me).await?;
    if let Some(held) = &rec.digest {
        // Finishing again (a retry after a lost answer) answers again.
        if *held == digest {
            return Ok(Some(ServerMessage::BlobFinished {
                blob_id,
                size: rec.size,
                expires: rec.expires,
            }));
        }
        return Err(Refusal::new(
            ErrorCode::DigestMismatch,
            "the blob is already finished with another digest; nothing was changed",
        ));
    }
    if rec.offset != rec.size {
        return Err(Refusal::bad_offset(
            rec.offset,
            format!(
                "only {} of {} bytes are uploaded: continue from {} before finishing",
                rec.offset, rec.size, rec.offset
            ),
        ));
    }
    let (blobs, size) = (sh.blobs.clone(), rec.size);
    let held = blocking(move || blobs.finish(&id, size))
        .await
        .map_err(|e| storage_failed(&blob_id, &e))?;
    if hex::encode(held) != digest {
        discard(sh, &id, &blob_id).await?;
        return Err(Refusal::new(
            ErrorCode::DigestMismatch,
            "the bytes uploaded do not have this SHA-256; the upload is discarded and its \
             quota freed: upload the blob again with a new blob_create",
        ));
    }
    let now = now_ms();
    let expires = now.saturating_add(ms(sh.config.files.blob_ttl));
    if !sh
        .store
        .blob_finish(&blob_id, &digest, now, expires)
        .await?
    {
        return Err(no_such_blob());
    }
    Ok(Some(ServerMessage::BlobFinished {
        blob_id,
        size,
        expires,
    }))
}

/// `blob_get`: at most `min(length, max_piece)` bytes of a finished blob,
/// for any logged-in user who holds its id.
pub(super) async fn get<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    blob_id: String,
    offset: u64,
    length: u64,
) -> Reply {
    authed(s)?;
    let id = parse_id(&blob_id)?;
    if length == 0 {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            "`length` must be at least 1",
        ));
    }
    let rec = live_blob(sh, &blob_id).await?;
    if !rec.is_finished() {
        return Err(no_such_blob());
    }
    if offset > rec.size {
        return Err(Refusal::bad_offset(
            rec.size,
            format!(
                "the blob has {} bytes; offset {offset} is past its end",
                rec.size
            ),
        ));
    }
    let want = length.min(sh.config.files.max_piece).min(rec.size - offset);
    let n = usize::try_from(want).map_err(|_| internal("piece too large for this machine"))?;
    let blobs = sh.blobs.clone();
    let read = blocking(move || {
        let mut buf = vec![0u8; n];
        let got = blobs.read_at(&id, offset, &mut buf)?;
        buf.truncate(got);
        Ok(buf)
    })
    .await;
    let piece = match read {
        Ok(piece) if piece.len() == n => piece,
        Ok(piece) => {
            tracing::error!(blob = %blob_id, want = n, got = piece.len(), "a finished blob is short");
            return Err(internal("the server's copy of this blob is damaged"));
        }
        // Deleted by its owner while this request was under way.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(no_such_blob()),
        Err(e) => return Err(storage_failed(&blob_id, &e)),
    };
    Ok(Some(ServerMessage::BlobData {
        blob_id,
        offset,
        size: rec.size,
        data: b64_encode(&piece),
    }))
}

/// `blob_delete`: the owner removes a blob, finished or not, and its
/// quota is free at once.
pub(super) async fn delete<S: Store>(sh: &Arc<Shared<S>>, s: &Session, blob_id: String) -> Reply {
    let me = authed(s)?.user_id;
    let id = parse_id(&blob_id)?;
    let _turn = sh.blob_locks.lock(&id).await;
    own_blob(sh, &blob_id, me).await?;
    discard(sh, &id, &blob_id).await?;
    Ok(Some(ServerMessage::BlobDeleted { blob_id }))
}

/// Removes a blob's bytes, then its record. In that order a crash in
/// between leaves a record without a file (which answers `no_such_blob` and
/// is swept at expiry), never a file nobody knows about.
pub(crate) async fn discard<S: Store>(
    sh: &Shared<S>,
    id: &BlobId,
    blob_id: &str,
) -> Result<(), Refusal> {
    let (blobs, id) = (sh.blobs.clone(), *id);
    blocking(move || blobs.delete(&id))
        .await
        .map_err(|e| storage_failed(blob_id, &e))?;
    sh.store.blob_delete(blob_id).await?;
    Ok(())
}

/// The unexpired record of `blob_id`, or `no_such_blob`.
async fn live_blob<S: Store>(sh: &Shared<S>, blob_id: &str) -> Result<BlobRecord, Refusal> {
    match sh.store.blob(blob_id).await? {
        Some(rec) if rec.expires > now_ms() => Ok(rec),
        _ => Err(no_such_blob()),
    }
}

/// The unexpired record of a blob `me` owns, or `no_such_blob`: to anyone
/// else, someone's upload is indistinguishable from no blob at all.
async fn own_blob<S: Store>(
    sh: &Shared<S>,
    blob_id: &str,
    me: UserId,
) -> Result<BlobRecord, Refusal> {
    let rec = live_blob(sh, blob_id).await?;
    if rec.owner != me {
        return Err(no_such_blob());
    }
    Ok(rec)
}

fn parse_id(blob_id: &str) -> Result<BlobId, Refusal> {
    BlobId::parse(blob_id).ok_or_else(|| {
        Refusal::new(
            ErrorCode::BadRequest,
            "`blob_id` must be 32 lowercase hex digits, as blob_created gave it",
        )
    })
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn no_such_blob() -> Refusal {
    Refusal::new(
        ErrorCode::NoSuchBlob,
        "no such blob: it never existed, expired, was deleted, or is an upload of someone else",
    )
}

fn piece_too_large(max_piece: u64) -> Refusal {
    Refusal::new(
        ErrorCode::TooLarge,
        format!(
            "a piece holds at most {max_piece} bytes (`max_piece` in hello); send smaller pieces"
        ),
    )
}

fn internal(what: &str) -> Refusal {
    Refusal::new(ErrorCode::Internal, format!("{what}; try again later"))
}

fn storage_failed(blob_id: &str, e: &std::io::Error) -> Refusal {
    tracing::error!(blob = %blob_id, error = %e, "blob storage failed");
    internal("the server could not read or write the blob")
}

/// Runs file or hashing work on the blocking pool, never on an async worker.
async fn blocking<T, F>(work: F) -> std::io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> std::io::Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| std::io::Error::other(format!("blob task failed: {e}")))?
}
