//! One writer per blob at a time. A piece is checked against the durable
//! offset, written, synced and recorded; two requests doing that at once
//! on one blob (two connections of its owner) could both pass the check
//! and overwrite each other's bytes. A fixed array of async mutexes, picked
//! by the id, serialises them without a map that grows with the blobs;
//! unrelated blobs that share a stripe merely take turns.

use tokio::sync::{Mutex, MutexGuard};

use super::BlobId;

/// Stripes: enough that concurrent uploads rarely share one.
const STRIPES: usize = 64;

/// The stripe locks of every blob.
#[derive(Debug)]
pub struct BlobLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for BlobLocks {
    fn default() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl BlobLocks {
    /// Waits for `id`'s turn; the guard holds it.
    pub async fn lock(&self, id: &BlobId) -> MutexGuard<'_, ()> {
        let b = id.bytes();
        let i = usize::from(u16::from_le_bytes([b[0], b[1]])) % self.stripes.len();
        self.stripes[i].lock().await
    }
}
