//! The conversation list and what it needs: the newest message and the
//! unread count per peer, marking a conversation read, and the set of
//! people the daemon knows (to watch their presence and keys).

use rusqlite::params;

use super::history::{ConversationRow, MESSAGE_COLUMNS};
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
                WHERE u.peer = m.peer AND u.direction = 'in' AND u.status <> 'read') \
             FROM (SELECT DISTINCT peer AS p FROM messages) \
             JOIN messages m ON m.n = \
               (SELECT n FROM messages WHERE peer = p ORDER BY ts DESC, id DESC LIMIT 1) \
             ORDER BY m.ts DESC, m.n DESC"
        );
        let mut out = Vec::new();
        {
            let mut stmt = self.tx.prepare_cached(&sql)?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let last = super::history::message_from_row(row)?;
                let unread: i64 = row.get(8)?;
                out.push(ConversationRow {
                    peer: row.get(7)?,
                    last: Some(last),
                    unread: u32::try_from(unread).unwrap_or(u32::MAX),
                });
            }
        }
        let mut stmt = self.tx.prepare_cached(
            "SELECT user FROM pins WHERE user NOT IN (SELECT peer FROM messages) ORDER BY user",
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

    /// Marks every incoming message from `peer` that is not yet `read` as
    /// `read`; returns their ids, oldest first (for the read receipt).
    pub fn mark_read(&self, peer: &str) -> Result<Vec<String>, StoreError> {
        let ids = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT id FROM messages \
                 WHERE peer = ?1 AND direction = 'in' AND status <> 'read' ORDER BY ts, n",
            )?;
            stmt.query_map([peer], |row| row.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?
        };
        if !ids.is_empty() {
            self.exec(
                "UPDATE messages SET status = 'read' \
                 WHERE peer = ?1 AND direction = 'in' AND status <> 'read'",
                params![peer],
            )?;
        }
        Ok(ids)
    }

    /// Everyone we have a conversation or a pin with, sorted, each once.
    pub fn peers(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT peer FROM messages UNION SELECT user FROM pins ORDER BY 1")?;
        let peers = stmt
            .query_map([], |row| row.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(peers)
    }
}
