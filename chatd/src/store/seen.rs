//! Server message ids already processed: what tells an honest redelivery
//! (same id, the ack was lost) from a replay (new id, old envelope).

use rusqlite::params;

use super::{StoreError, Tx};

impl Tx<'_> {
    /// Records that `msg_id` from `sender` was processed; true the first
    /// time.
    pub fn mark_delivery_seen(
        &self,
        msg_id: &str,
        sender: &str,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        let changed = self.tx.execute(
            "INSERT OR IGNORE INTO seen_deliveries (msg_id, sender, seen_ms) VALUES (?1, ?2, ?3)",
            params![msg_id, sender, now_ms],
        )?;
        Ok(changed == 1)
    }

    /// Forgets ids seen before `older_than_ms` (the server keeps nothing
    /// longer than 30 days, so it cannot redeliver them).
    pub fn prune_seen(&self, older_than_ms: i64) -> Result<u64, StoreError> {
        let n = self.tx.execute(
            "DELETE FROM seen_deliveries WHERE seen_ms < ?1",
            [older_than_ms],
        )?;
        Ok(n as u64)
    }
}
