//! The conversation of a group (PROTOCOL.md §4.1, D15): its history,
//! unread count and reading, full-text search inside it, and the
//! per-member receipts of our own group messages with their aggregate
//! (the least advanced member's status, which is also the message's own
//! `status` column, so history pages need no join to show it).

use chatd_api::{Direction, GroupReceipts, Message, MessageStatus};
use rusqlite::{OptionalExtension, params};

use super::history::{MESSAGE_COLUMNS, parse_status, status_str};
use super::{StoreError, Tx};

impl Tx<'_> {
    /// Fills a group message's group name (the name held now) and, for an
    /// outgoing one, its receipts. A 1:1 message is left as it is.
    pub fn fill_group(&self, m: &mut Message) -> Result<(), StoreError> {
        let Some(group) = m.group.as_mut() else {
            return Ok(());
        };
        group.name = self
            .tx
            .prepare_cached("SELECT name FROM groups WHERE group_id = ?1")?
            .query_row([&group.id], |row| row.get::<_, String>(0))
            .optional()?
            .unwrap_or_default();
        if m.direction == Direction::Out {
            m.receipts = Some(self.group_receipts(&m.id)?.0);
        }
        Ok(())
    }

    /// The newest `limit` messages of group `group_id` older than
    /// `before`, in timeline order (as [`Tx::history`]).
    pub fn group_history(
        &self,
        group_id: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<Message>, StoreError> {
        let bound = if before.is_some() { "AND ts < ?3" } else { "" };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM (SELECT n, {MESSAGE_COLUMNS} FROM messages \
             WHERE group_id = ?1 {bound} ORDER BY ts DESC, id DESC LIMIT ?2) ORDER BY ts, id"
        );
        match before {
            Some(before) => self.messages(&sql, params![group_id, limit, before]),
            None => self.messages(&sql, params![group_id, limit]),
        }
    }

    /// The newest message of a group and its unread count.
    pub fn group_last_and_unread(
        &self,
        group_id: &str,
    ) -> Result<(Option<Message>, u32), StoreError> {
        let last = self.group_history(group_id, 1, None)?.pop();
        let unread: i64 = self
            .tx
            .prepare_cached(
                "SELECT count(*) FROM messages WHERE group_id = ?1 \
                 AND direction = 'in' AND status <> 'read'",
            )?
            .query_row([group_id], |row| row.get(0))?;
        Ok((last, u32::try_from(unread).unwrap_or(u32::MAX)))
    }

    /// Marks the incoming messages of a group not yet `read` as `read`
    /// (all, or those at or before `up_to` in timeline order). Returns
    /// `(id, sender)` of each, oldest first, for the read receipts.
    pub fn group_mark_read(
        &self,
        group_id: &str,
        up_to: Option<(i64, &str)>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = {
            let bound = if up_to.is_some() {
                "AND (ts, id) <= (?2, ?3)"
            } else {
                ""
            };
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT id, sender FROM messages \
                 WHERE group_id = ?1 AND direction = 'in' AND status <> 'read' {bound} \
                 ORDER BY ts, id"
            ))?;
            let pair = |row: &rusqlite::Row<'_>| Ok((row.get(0)?, row.get(1)?));
            let rows = match up_to {
                Some((ts, id)) => stmt.query_map(params![group_id, ts, id], pair)?,
                None => stmt.query_map(params![group_id], pair)?,
            };
            rows.collect::<Result<Vec<(String, String)>, _>>()?
        };
        for (id, _) in &rows {
            self.exec("UPDATE messages SET status = 'read' WHERE id = ?1", [id])?;
        }
        Ok(rows)
    }

    /// Records the recipients of our group message `message_id`, each
    /// `sending`.
    pub fn group_receipts_init(
        &self,
        message_id: &str,
        members: &[String],
    ) -> Result<(), StoreError> {
        for member in members {
            self.exec(
                "INSERT INTO group_receipts (message_id, member, status) \
                 VALUES (?1, ?2, 'sending') ON CONFLICT DO NOTHING",
                params![message_id, member],
            )?;
        }
        Ok(())
    }

    /// Moves one member's status of our group message as the one rule
    /// allows ([`MessageStatus::may_advance_to`]); then moves the
    /// message's own status to the aggregate. Returns whether the member's
    /// status changed (false for someone who is not a recipient).
    pub fn group_receipt_set(
        &self,
        message_id: &str,
        member: &str,
        status: MessageStatus,
    ) -> Result<bool, StoreError> {
        let current = self
            .tx
            .prepare_cached(
                "SELECT status FROM group_receipts WHERE message_id = ?1 AND member = ?2",
            )?
            .query_row(params![message_id, member], |row| row.get::<_, String>(0))
            .optional()?;
        let Some(current) = current else {
            return Ok(false);
        };
        let current = parse_status(&current)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown receipt status `{current}`")))?;
        if !current.may_advance_to(status) {
            return Ok(false);
        }
        self.exec(
            "UPDATE group_receipts SET status = ?3 WHERE message_id = ?1 AND member = ?2",
            params![message_id, member, status_str(status)],
        )?;
        let (_, aggregate) = self.group_receipts(message_id)?;
        self.set_status(message_id, aggregate)?;
        Ok(true)
    }

    /// The receipts of our group message `message_id` and their aggregate
    /// status: the least advanced of the members it did not fail for;
    /// `failed` when it failed for all; `sent` when there is nobody to
    /// send to.
    pub fn group_receipts(
        &self,
        message_id: &str,
    ) -> Result<(GroupReceipts, MessageStatus), StoreError> {
        let rows = {
            let mut stmt = self.tx.prepare_cached(
                "SELECT member, status FROM group_receipts WHERE message_id = ?1 ORDER BY member",
            )?;
            stmt.query_map([message_id], |row| {
                Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?
        };
        let mut receipts = GroupReceipts {
            recipients: u32::try_from(rows.len()).unwrap_or(u32::MAX),
            ..GroupReceipts::default()
        };
        let mut least: Option<MessageStatus> = None;
        let mut any_failed = false;
        for (member, status) in rows {
            let status = parse_status(&status)
                .ok_or_else(|| StoreError::Corrupt(format!("unknown receipt status `{status}`")))?;
            if matches!(status, MessageStatus::Delivered | MessageStatus::Read) {
                receipts.delivered.push(member.clone());
            }
            if status == MessageStatus::Read {
                receipts.read.push(member);
            }
            if status == MessageStatus::Failed {
                any_failed = true;
                continue;
            }
            least = Some(match least {
                Some(l) if rank(l) <= rank(status) => l,
                _ => status,
            });
        }
        let aggregate = match least {
            Some(s) => s,
            None if any_failed => MessageStatus::Failed,
            None => MessageStatus::Sent,
        };
        Ok((receipts, aggregate))
    }

    /// The group of message `id`, if it is a group message.
    pub fn message_group(&self, id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT group_id FROM messages WHERE id = ?1")?
            .query_row([id], |row| row.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }
}

/// Order of the statuses a delivered copy goes through.
fn rank(s: MessageStatus) -> u8 {
    match s {
        MessageStatus::Failed | MessageStatus::Sending => 0,
        MessageStatus::Sent => 1,
        MessageStatus::Delivered => 2,
        MessageStatus::Read => 3,
    }
}
