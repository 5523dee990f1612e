//! Housekeeping on a timer: expired messages and tokens leave the store,
//! stale throttle records leave memory.

use std::sync::Arc;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use crate::context::Shared;
use crate::store::Store;

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
