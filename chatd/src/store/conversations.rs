//! The conversation list and what it needs: the newest message and the
//! unread count per peer, marking a conversation read, and the set of
//! people the daemon knows (to watch their presence and keys).

use rusqlite::params;

use super::history::{ConversationRow, MESSAGE_COLUMN_COUNT, MESSAGE_COLUMNS};
use super::{StoreError, Tx};

impl Tx<'_> {
    /// One row per peer we exchanged messages with, the most recent
    /// conversation first (by the newest message's timestamp), then the
    /// peers we only hold a pin of (no message yet), by name.
    pub fn conversations(&self) -> Result<Vec<ConversationRow>, StoreError> {
        // One indexed lookup per peer rather than a sort of the history.
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS}, peer, \
               (SELECT count(*) FROM messages u \
                WHERE u.peer = m.peer AND u.group_id IS NULL \
                AND u.direction = 'in' AND u.status <> 'read') \
             FROM (SELECT DISTINCT peer AS p FROM messages WHERE group_id IS NULL) \
             JOIN messages m ON m.n = \
               (SELECT n FROM messages WHERE peer = p AND group_id IS NULL \
                ORDER BY ts DESC, id DESC LIMIT 1) \
             ORDER BY m.ts DESC, m.n DESC"
        );
        let mut out = Vec::new();
        {
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let last = super::history::message_from_row(row)?;
                let unread: i64 = row.get(MESSAGE_COLUMN_COUNT + 1)?;
                out.push(ConversationRow {
                    peer: row.get(MESSAGE_COLUMN_COUNT)?,
                    last: Some(last),
                    unread: u32::try_from(unread).unwrap_or(u32::MAX),
                });
            }
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT user FROM pins WHERE user NOT IN \
             (SELECT peer FROM messages WHERE group_id IS NULL) ORDER BY user",
        )?;
        let pinned_only = stmt.query_map([], |row| row.get::<_, String>(0))?;
        for peer in pinned_only {
            out.push(ConversationRow {
                peer: peer?,
                last: None,
                unread: 0,
            });
        }
        Ok(out)
    }

    /// Marks the incoming messages from `peer` that are not yet `read` as
    /// `read`: all of them, or with `up_to` = `(ts, id)` only those at or
    /// before it in timeline order. Returns their ids, oldest first (for
    /// the read receipt).
    pub fn mark_read(
        &self,
        peer: &str,
        up_to: Option<(i64, &str)>,
    ) -> Result<Vec<String>, StoreError> {
        let ids = {
            let bound = if up_to.is_some() {
                "AND (ts, id) <= (?2, ?3)"
            } else {
                ""
            };
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT id FROM messages \
                 WHERE peer = ?1 AND group_id IS NULL AND direction = 'in' \
                 AND status <> 'read' {bound} \
                 ORDER BY ts, id"
            ))?;
            let rows = match up_to {
                Some((ts, id)) => stmt.query_map(params![peer, ts, id], first_column)?,
                None => stmt.query_map(params![peer], first_column)?,
            };
            rows.collect::<Result<Vec<String>, _>>()?
        };
        for id in &ids {
            self.exec("UPDATE messages SET status = 'read' WHERE id = ?1", [id])?;
        }
        Ok(ids)
    }

    /// Whether `user` is someone this daemon knows: a conversation, a pin
    /// or something waiting in the outbox (group fan-outs do not count).
    pub fn knows_peer(&self, user: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE peer = ?1 AND group_id IS NULL) \
                 OR EXISTS (SELECT 1 FROM pins WHERE user = ?1) \
                 OR EXISTS (SELECT 1 FROM outbox WHERE peer = ?1 AND batch IS NULL)",
            )?
            .query_row([user], |row| row.get(0))?)
    }

    /// Everyone we have a conversation or a pin with, sorted, each once.
    pub fn peers(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
            "SELECT peer FROM messages WHERE group_id IS NULL UNION SELECT user FROM pins ORDER BY 1",
        )?;
        let peers = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(peers)
    }
}

fn first_column(row: &rusqlite::Row<'_>) -> rusqlite::Result<String> {
    row.get(0)
}
