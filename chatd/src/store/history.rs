//! The history: one row per message, keyed by the payload id so that a
//! duplicate delivery changes nothing, with a status that moves only as
//! chatd-api's rule allows (`MessageStatus::advance`), and paging in
//! timeline order (`chatd_api::domain::order`) for frontends that scroll
//! back.

use chatd_api::{Direction, Message, MessageStatus};
use rusqlite::{OptionalExtension, Params, Row, params};

use super::files::StoredFile;
use super::records::named;
use super::{StoreError, Tx};

/// The columns [`message_from_row`] reads, in its order.
/// `group_id` is NULL for a 1:1 message; a group message's group name and
/// receipts are filled in after the query ([`Tx::messages`]).
/// `file` is NULL for a text (schema 6; the transfer is filled in after).
pub(super) const MESSAGE_COLUMNS: &str =
    "id, sender, recipient, text, ts, direction, status, group_id, file";
/// How many columns [`MESSAGE_COLUMNS`] has.
pub(super) const MESSAGE_COLUMN_COUNT: usize = 9;

/// One entry of `conversations`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    /// The other side.
    pub peer: String,
    /// The newest message, `None` for a peer we only hold a pin of.
    pub last: Option<Message>,
    /// Incoming messages whose status is not `read`.
    pub unread: u32,
}

impl Tx<'_> {
    /// Adds a message. Returns false, changing nothing, when a message with
    /// its id exists already (a duplicate delivery).
    pub fn insert_message(&self, m: &Message) -> Result<bool, StoreError> {
        let added = self.exec(
            "INSERT INTO messages (id, sender, recipient, text, ts, direction, status, group_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (id) DO NOTHING",
            params![
                m.id,
                m.from,
                m.to,
                m.text,
                m.ts,
                direction_str(m.direction),
                status_str(m.status),
                m.group.as_ref().map(|g| g.id.as_str())
            ],
        )?;
        Ok(added == 1)
    }

    /// The message with this id.
    pub fn message(&self, id: &str) -> Result<Option<Message>, StoreError> {
        let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1");
        Ok(self.messages(&sql, [id])?.into_iter().next())
    }

    /// Moves the status of message `id` as the one rule allows
    /// ([`MessageStatus::may_advance_to`]).
    /// Returns whether it changed; false too when there is no such message.
    pub fn set_status(&self, id: &str, status: MessageStatus) -> Result<bool, StoreError> {
        let current = self
            .tx
            .prepare_cached("SELECT status FROM messages WHERE id = ?1")?
            .query_row([id], |row| row.get::<_, String>(0))
            .optional()?;
        let Some(current) = current else {
            return Ok(false);
        };
        let current = parse_status(&current)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown message status `{current}`")))?;
        if !current.may_advance_to(status) {
            return Ok(false);
        }
        self.exec(
            "UPDATE messages SET status = ?2 WHERE id = ?1",
            params![id, status_str(status)],
        )?;
        Ok(true)
    }

    /// The newest `limit` messages with `peer` older than `before` (all
    /// when `None`), in timeline order: by timestamp, equal timestamps by
    /// id (`chatd_api::domain::timeline_cmp`), as every frontend sorts.
    /// Group messages are not part of any 1:1 conversation.
    pub fn history(
        &self,
        peer: &str,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<Message>, StoreError> {
        let bound = if before.is_some() { "AND ts < ?3" } else { "" };
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM (SELECT n, {MESSAGE_COLUMNS} FROM messages \
             WHERE peer = ?1 AND group_id IS NULL {bound} \
             ORDER BY ts DESC, id DESC LIMIT ?2) ORDER BY ts, id"
        );
        match before {
            Some(before) => self.messages(&sql, params![peer, limit, before]),
            None => self.messages(&sql, params![peer, limit]),
        }
    }

    /// Runs a query selecting [`MESSAGE_COLUMNS`].
    pub(super) fn messages(
        &self,
        sql: &str,
        params: impl Params,
    ) -> Result<Vec<Message>, StoreError> {
        let mut out = Vec::new();
        {
            let mut stmt = self.tx.prepare_cached(sql)?;
            let mut rows = stmt.query(params)?;
            while let Some(row) = rows.next()? {
                out.push(message_from_row(row)?);
            }
        }
        for m in &mut out {
            self.fill_group(m)?;
            self.fill_file(m)?;
        }
        Ok(out)
    }
}

/// Decodes [`MESSAGE_COLUMNS`] at the start of a row.
pub(super) fn message_from_row(row: &Row<'_>) -> Result<Message, StoreError> {
    Ok(Message {
        id: row.get(0)?,
        from: row.get(1)?,
        to: row.get(2)?,
        text: row.get(3)?,
        ts: row.get(4)?,
        direction: named(row, 5, "message direction", parse_direction)?,
        status: named(row, 6, "message status", parse_status)?,
        // The name is filled in by `Tx::fill_group`.
        group: row
            .get::<_, Option<String>>(7)?
            .map(|id| chatd_api::GroupRef {
                id,
                name: String::new(),
            }),
        receipts: None,
        file: StoredFile::from_column(row.get(8)?)?.map(|f| f.info()),
    })
}

pub(super) fn status_str(s: MessageStatus) -> &'static str {
    match s {
        MessageStatus::Sending => "sending",
        MessageStatus::Sent => "sent",
        MessageStatus::Delivered => "delivered",
        MessageStatus::Read => "read",
        MessageStatus::Failed => "failed",
    }
}

pub(super) fn parse_status(s: &str) -> Option<MessageStatus> {
    Some(match s {
        "sending" => MessageStatus::Sending,
        "sent" => MessageStatus::Sent,
        "delivered" => MessageStatus::Delivered,
        "read" => MessageStatus::Read,
        "failed" => MessageStatus::Failed,
        _ => return None,
    })
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::In => "in",
        Direction::Out => "out",
    }
}

fn parse_direction(s: &str) -> Option<Direction> {
    match s {
        "in" => Some(Direction::In),
        "out" => Some(Direction::Out),
        _ => None,
    }
}
