//! Envelopes that arrived before they could be opened (their session key
//! has not come, the sender is not pinned yet, or their key changed and
//! waits for `trust`). They are stored before they are acked, so the
//! server may forget them, and bounded in age and per sender.

use rusqlite::params;

use super::{StoreError, Tx};

/// A delivered envelope waiting to be offered to the engine again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEnvelope {
    /// The sender.
    pub from: String,
    /// The server's id of the delivery (to ack it).
    pub server_msg_id: String,
    /// The envelope, JSON.
    pub envelope: String,
    /// Why it waits (`chat_e2e::PendingReason`, snake_case).
    pub reason: String,
    /// The session key it names, if known.
    pub key_id: Option<String>,
    /// When it arrived, Unix ms.
    pub received_ms: i64,
}

impl Tx<'_> {
    /// Stores an envelope; returns its id. A redelivery of the same server
    /// message (same sender and `server_msg_id`) keeps its row, id and
    /// place in the order, and only updates `reason` and `key_id`.
    pub fn pending_push(&self, p: &PendingEnvelope) -> Result<i64, StoreError> {
        let id = self
            .tx
            .prepare_cached(
                "INSERT INTO pending \
                 (sender, server_msg_id, envelope, reason, key_id, received_ms) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (sender, server_msg_id) DO UPDATE SET \
                 reason = excluded.reason, key_id = excluded.key_id \
                 RETURNING id",
            )?
            .query_row(
                params![
                    p.from,
                    p.server_msg_id,
                    p.envelope,
                    p.reason,
                    p.key_id,
                    p.received_ms
                ],
                |row| row.get(0),
            )?;
        Ok(id)
    }

    /// The envelopes from `peer`, oldest first.
    pub fn pending_for(&self, peer: &str) -> Result<Vec<(i64, PendingEnvelope)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, sender, server_msg_id, envelope, reason, key_id, received_ms \
             FROM pending WHERE sender = ?1 ORDER BY id",
        )?;
        let items = stmt
            .query_map([peer], |row| {
                Ok((
                    row.get(0)?,
                    PendingEnvelope {
                        from: row.get(1)?,
                        server_msg_id: row.get(2)?,
                        envelope: row.get(3)?,
                        reason: row.get(4)?,
                        key_id: row.get(5)?,
                        received_ms: row.get(6)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// The senders that have envelopes waiting, sorted (to retry them all,
    /// e.g. after logging in).
    pub fn pending_peers(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT DISTINCT sender FROM pending ORDER BY sender")?;
        let peers = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(peers)
    }

    /// Removes an envelope (no-op when it is gone already).
    pub fn pending_remove(&self, id: i64) -> Result<(), StoreError> {
        self.exec("DELETE FROM pending WHERE id = ?1", [id])?;
        Ok(())
    }

    /// Deletes the envelopes received before `older_than_ms` (a Unix ms
    /// time, not an age), and beyond the newest `max_per_peer` of each
    /// sender. Returns how many were deleted.
    pub fn prune_pending(&self, older_than_ms: i64, max_per_peer: u32) -> Result<u64, StoreError> {
        let deleted = self.exec(
            "DELETE FROM pending WHERE received_ms < ?1 OR id IN ( \
               SELECT id FROM ( \
                 SELECT id, row_number() OVER (PARTITION BY sender ORDER BY id DESC) AS rank \
                 FROM pending) \
               WHERE rank > ?2)",
            params![older_than_ms, max_per_peer],
        )?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }
}
