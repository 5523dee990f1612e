//! Progress as frontends see it: the engine reports every piece, people
//! need a bar that moves, and the event log must not fill with either.
//! So progress is a transient `transfer` event (never stored, like
//! `typing`), at most one per [`EVERY`] per transfer, always the latest
//! count; the stored events are the changes of state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chatd_api::{EventBody, Transfer};
use tokio::sync::watch;

use crate::core::Core;

/// At most 4 progress events a second per transfer (D18).
pub const EVERY: Duration = Duration::from_millis(250);

/// The sending side, handed to the engine's progress callback.
pub struct Progress {
    tx: watch::Sender<u64>,
    /// Set when the run ends, so no progress follows its final state.
    ended: Arc<AtomicBool>,
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.ended.store(true, Ordering::Release);
    }
}

impl Progress {
    /// Starts the reporter of `transfer` (as it is when it starts to move).
    pub fn start(core: &Arc<Core>, transfer: Transfer) -> Self {
        let (tx, mut rx) = watch::channel(transfer.bytes);
        let ended = Arc::new(AtomicBool::new(false));
        let over = ended.clone();
        let core = core.clone();
        tokio::spawn(async move {
            let mut shown = transfer;
            // Ends when the transfer run drops its `Progress`.
            while rx.changed().await.is_ok() {
                let bytes = *rx.borrow_and_update();
                if over.load(Ordering::Acquire) {
                    return;
                }
                if bytes == shown.bytes {
                    continue;
                }
                shown.bytes = bytes;
                let body = EventBody::Transfer {
                    transfer: Box::new(shown.clone()),
                    progress: true,
                };
                if let Err(e) = core.hub().announce_transient(body).await {
                    tracing::debug!(error = %e, "a progress event was not sent");
                }
                tokio::time::sleep(EVERY).await;
            }
        });
        Self { tx, ended }
    }

    /// The callback the engine calls with (bytes moved, total).
    pub fn callback(&self) -> impl FnMut(u64, u64) + Send + 'static {
        let tx = self.tx.clone();
        move |bytes, _total| {
            tx.send_replace(bytes);
        }
    }
}
