//! Housekeeping on a timer: expired messages and tokens leave the store,
//! stale throttle records leave memory, and expired blobs (unfinished
//! uploads after the upload TTL, finished blobs after the blob TTL) leave
//! the disk and free their owners' quota.

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::blobs::BlobId;
use crate::context::Shared;
use crate::store::Store;

/// Expired blobs removed per round of a sweep, so one sweep never holds a
/// huge list; the sweep goes on round after round until none is left.
const SWEEP_BATCH: u32 = 256;

/// Purges at start and then every `purge_interval` until shutdown.
pub async fn run<S: Store>(sh: Arc<Shared<S>>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(sh.config.purge_interval);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match sh.store.purge_expired(chat_proto::now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "purged expired messages"),
            Err(e) => tracing::warn!(error = %e, "purge failed; will retry"),
        }
        sh.throttle.sweep(Instant::now());
    }
}

/// Sweeps expired blobs at start and then every `files.sweep_interval`
/// until shutdown.
pub async fn run_blobs<S: Store>(sh: Arc<Shared<S>>, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(sh.config.files.sweep_interval);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        match sweep_blobs(&sh, &shutdown).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(blobs = n, "swept expired blobs"),
            Err(e) => tracing::warn!(error = %e, "blob sweep failed; will retry"),
        }
    }
}

/// Deletes every blob expired now: its file, then its record (the order of
/// `blob_delete`, so a crash leaves no file nobody knows about). Each under
/// the blob's lock, so no piece is being written to a file as it goes.
async fn sweep_blobs<S: Store>(
    sh: &Shared<S>,
    shutdown: &CancellationToken,
) -> Result<u64, crate::store::StoreError> {
    let mut swept = 0;
    loop {
        let now = chat_proto::now_ms();
        let ids = sh.store.blobs_expired(now, SWEEP_BATCH).await?;
        if ids.is_empty() || shutdown.is_cancelled() {
            return Ok(swept);
        }
        let mut progress = false;
        for blob_id in ids {
            let Some(id) = BlobId::parse(&blob_id) else {
                // Not written by this server; drop the record only.
                progress |= sh.store.blob_delete(&blob_id).await?;
                continue;
            };
            let _turn = sh.blob_locks.lock(&id).await;
            let blobs = sh.blobs.clone();
            let removed = tokio::task::spawn_blocking(move || blobs.delete(&id)).await;
            match removed {
                Ok(Ok(())) => {
                    if sh.store.blob_delete(&blob_id).await? {
                        swept += 1;
                        progress = true;
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(blob = %blob_id, error = %e, "cannot delete an expired blob")
                }
                Err(e) => tracing::warn!(blob = %blob_id, error = %e, "blob delete task failed"),
            }
        }
        if !progress {
            // Every file of this round refused to go: try again next time
            // rather than spin on them.
            return Ok(swept);
        }
    }
}
