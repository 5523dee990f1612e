//! File transfers as the daemon runs them (PROTOCOL.md §5, D18). The
//! engine underneath (`crate::transfer`, `crate::link::bulk`) moves bytes;
//! this module decides what moves when and what a finished transfer
//! leaves behind, with the store as the only memory: a transfer is a row
//! before a byte moves, so a restart of chatd, of the server or of the
//! network resumes it where the server (upload) or the spool file
//! (download) says it got to, and never starts over.
//!
//! - [`start`]: what `send_file` and `download` write (the copy of the
//!   file, the message, the transfer row).
//! - [`worker`]: the one task that runs transfers, one at a time, on a
//!   connection of their own, so chat keeps flowing beside them.
//! - [`end`]: what an ended transfer leaves: the message sent, the file
//!   renamed into place, the spool removed, the events.

pub mod end;
mod progress;
pub mod start;
pub mod worker;

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How long ended transfers are listed by `transfers`.
pub const RECENT_MS: i64 = 7 * 24 * 3600 * 1000;

/// The runtime side of transfers: a bell for the worker and a way to stop
/// the one that runs.
#[derive(Default)]
pub struct Files {
    wake: Notify,
    running: Mutex<HashMap<String, CancellationToken>>,
}

impl Files {
    /// Fresh.
    pub fn new() -> Self {
        Self::default()
    }

    /// Tells the worker that something may move now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits for [`Files::wake`].
    pub(crate) async fn woken(&self) {
        self.wake.notified().await;
    }

    /// Marks transfer `id` as running; its token is cancelled by
    /// [`Files::stop`].
    pub(crate) fn running(&self, id: &str) -> CancellationToken {
        let token = CancellationToken::new();
        if let Ok(mut map) = self.running.lock() {
            map.insert(id.to_string(), token.clone());
        }
        token
    }

    /// Transfer `id` no longer runs.
    pub(crate) fn finished(&self, id: &str) {
        if let Ok(mut map) = self.running.lock() {
            map.remove(id);
        }
    }

    /// Stops transfer `id` if it runs now; true if it did.
    pub fn stop(&self, id: &str) -> bool {
        let token = self.running.lock().ok().and_then(|m| m.get(id).cloned());
        token.map(|t| t.cancel()).is_some()
    }
}
