//! One conversation as the UI holds it: its messages in chatd-api's
//! timeline order, merged from history, events and receipts in any order
//! without duplicates, statuses moving by chatd-api's one rule; and the
//! key notices (a key changed, was accepted, was verified) and, in a
//! group, the membership changes that the timeline shows between the
//! messages.

use chatd_api::domain::timeline_key;
use chatd_api::{Direction, GroupReceipts, Message, MessageStatus, Notice};

/// A line in a group's timeline saying what changed ("alice added
/// carol"). chatd's `group` events carry no time and `history` has no
/// such lines, so a change is placed after the newest message known when
/// it arrived (events come in chatd's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeLine {
    /// Shown after the messages at or before this time (Unix ms).
    pub ts: i64,
    /// What happened, in words.
    pub text: String,
}

/// A conversation with one peer, or a group's.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    /// The other side: the peer, or the group's id.
    pub peer: String,
    /// Messages, oldest first.
    pub messages: Vec<Message>,
    /// Incoming messages not read yet.
    pub unread: u32,
    /// The history was loaded (not only the last message).
    pub loaded: bool,
    /// chatd may have older messages than those loaded.
    pub has_older: bool,
    /// Older messages were asked for and have not come yet.
    pub loading_older: bool,
    /// Why the last send failed, until the next one.
    pub send_error: Option<String>,
    /// The text of a refused message, for the composer to take back.
    pub draft_back: Option<String>,
    /// Key notices, oldest first, each once.
    pub notices: Vec<Notice>,
    /// Why the history cannot be loaded (no such user), instead of it.
    pub load_error: Option<String>,
    /// Group changes seen while the window was open, oldest first.
    pub changes: Vec<ChangeLine>,
}

/// What [`Thread::set_status`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    /// The message's direction.
    pub direction: Direction,
    /// It just became `read`.
    pub became_read: bool,
}

impl Thread {
    /// An empty conversation.
    pub fn new(peer: &str) -> Self {
        Self {
            peer: peer.to_string(),
            messages: Vec::new(),
            unread: 0,
            loaded: false,
            has_older: false,
            loading_older: false,
            send_error: None,
            draft_back: None,
            notices: Vec::new(),
            load_error: None,
            changes: Vec::new(),
        }
    }

    /// Adds a group change line after the newest message known (or at
    /// `at_least`, the group's newest message, when later).
    pub fn add_change(&mut self, text: String, at_least: i64) {
        let ts = self
            .last_ts()
            .max(at_least)
            .max(self.changes.last().map_or(0, |c| c.ts));
        self.changes.push(ChangeLine { ts, text });
    }

    /// Takes a group message's receipts as chatd has them now (a report
    /// older than one applied before takes nothing away).
    pub fn set_receipts(&mut self, id: &str, receipts: GroupReceipts) {
        if let Some(m) = self.messages.iter_mut().find(|m| m.id == id) {
            m.receipts = merge_receipts(m.receipts.take(), Some(receipts));
        }
    }

    /// The newest message's time (0 when empty).
    pub fn last_ts(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.ts)
    }

    /// The newest message.
    pub fn last(&self) -> Option<&Message> {
        self.messages.last()
    }

    /// Adds a message or updates the one with its id; true when new.
    pub fn merge(&mut self, message: Message) -> bool {
        if let Some(old) = self.messages.iter_mut().find(|m| m.id == message.id) {
            let status = old.status.advance(message.status);
            let receipts = merge_receipts(old.receipts.take(), message.receipts.clone());
            *old = message;
            old.status = status;
            old.receipts = receipts;
            return false;
        }
        // Usually the newest: search from the end.
        let at = self
            .messages
            .iter()
            .rposition(|m| timeline_key(m) <= timeline_key(&message))
            .map_or(0, |i| i + 1);
        self.messages.insert(at, message);
        true
    }

    /// Adds a key notice unless it is known (the same one comes from
    /// `history` and from a `trust` event).
    pub fn add_notice(&mut self, notice: Notice) {
        if self.notices.contains(&notice) {
            return;
        }
        let at = self.notices.partition_point(|n| n.ts <= notice.ts);
        self.notices.insert(at, notice);
    }

    /// Incoming messages not read yet at or before message `id` in
    /// timeline order (none when `id` is not here).
    pub fn unread_through(&self, id: &str) -> usize {
        let Some(end) = self.messages.iter().position(|m| m.id == id) else {
            return 0;
        };
        self.messages[..=end]
            .iter()
            .filter(|m| m.direction == Direction::In && m.status != MessageStatus::Read)
            .count()
    }

    /// Marks read the incoming messages at or before message `id` (what
    /// the window showed), as chatd will; lowers the unread count by
    /// as many.
    pub fn mark_read_through(&mut self, id: &str) {
        let Some(end) = self.messages.iter().position(|m| m.id == id) else {
            return;
        };
        let mut marked = 0;
        for m in &mut self.messages[..=end] {
            if m.direction == Direction::In && m.status != MessageStatus::Read {
                m.status = MessageStatus::Read;
                marked += 1;
            }
        }
        self.unread = self.unread.saturating_sub(marked);
    }

    /// Incoming messages not read yet among those loaded: the whole
    /// truth once every message is loaded.
    pub fn unread_loaded(&self) -> u32 {
        let n = self
            .messages
            .iter()
            .filter(|m| m.direction == Direction::In && m.status != MessageStatus::Read)
            .count();
        u32::try_from(n).unwrap_or(u32::MAX)
    }

    /// Every message is loaded (the history reached the first one).
    pub fn complete(&self) -> bool {
        self.loaded && !self.has_older
    }

    /// Moves a message's status forward; `None` when the id is unknown.
    pub fn set_status(&mut self, id: &str, status: MessageStatus) -> Option<StatusChange> {
        let m = self.messages.iter_mut().find(|m| m.id == id)?;
        let before = m.status;
        m.status = before.advance(status);
        Some(StatusChange {
            direction: m.direction,
            became_read: before != MessageStatus::Read && m.status == MessageStatus::Read,
        })
    }
}

/// Receipts only grow (a member who has a message keeps having it), so
/// two reports in any order end at their union.
fn merge_receipts(a: Option<GroupReceipts>, b: Option<GroupReceipts>) -> Option<GroupReceipts> {
    match (a, b) {
        (Some(mut a), Some(b)) => {
            a.recipients = a.recipients.max(b.recipients);
            for (mine, theirs) in [(&mut a.delivered, b.delivered), (&mut a.read, b.read)] {
                mine.extend(theirs);
                mine.sort_unstable();
                mine.dedup();
            }
            Some(a)
        }
        (a, b) => a.or(b),
    }
}
