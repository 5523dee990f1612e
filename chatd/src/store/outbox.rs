//! The outbox: payloads written while offline (or waiting for a key) that
//! must still go out, in the order they were written, after any restart.

use rusqlite::params;

use super::{StoreError, Tx};

/// A payload waiting to be encrypted and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// The recipient.
    pub peer: String,
    /// JSON of the `chat_e2e::Payload` to send.
    pub payload: String,
    /// The history message it carries, for text messages (receipts have none).
    pub message_id: Option<String>,
    /// When it was queued, Unix ms.
    pub created_ms: i64,
    /// The fan-out it belongs to (a group message or state to several
    /// members), whose items leave together in `send_multi` frames; `None`
    /// for a 1:1 item.
    pub batch: Option<String>,
}

impl Tx<'_> {
    /// Queues an item; returns its id (ids are never reused).
    pub fn outbox_push(&self, item: &OutboxItem) -> Result<i64, StoreError> {
        self.exec(
            "INSERT INTO outbox (peer, payload, message_id, created_ms, batch) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                item.peer,
                item.payload,
                item.message_id,
                item.created_ms,
                item.batch
            ],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Every queued item, oldest first.
    pub fn outbox(&self) -> Result<Vec<(i64, OutboxItem)>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT id, peer, payload, message_id, created_ms, batch FROM outbox ORDER BY id",
        )?;
        let items = stmt
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    OutboxItem {
                        peer: row.get(1)?,
                        payload: row.get(2)?,
                        message_id: row.get(3)?,
                        created_ms: row.get(4)?,
                        batch: row.get(5)?,
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(items)
    }

    /// Removes an item (no-op when it is gone already).
    pub fn outbox_remove(&self, id: i64) -> Result<(), StoreError> {
        self.exec("DELETE FROM outbox WHERE id = ?1", [id])?;
        Ok(())
    }
}
