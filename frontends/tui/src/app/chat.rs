//! What the chat screen knows: the conversation list and who is online, the
//! open conversation with its messages and the peer's key state, which pane
//! has the keyboard, and the overlays. Merging rules live here too, so that
//! answers and events arriving in any order (a `since` replay overlapping a
//! fresh `history`) converge on chatd's state.

use chatd_api::{Conversation, Direction, Fingerprint, Message, MessageStatus, Notice, TrustState};

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    /// The conversation and user list.
    Sidebar,
    /// The messages (arrows scroll).
    Messages,
    /// The input line.
    #[default]
    Input,
}

impl Pane {
    /// The next pane for Tab (or the previous for Shift+Tab).
    pub fn cycle(self, forward: bool) -> Pane {
        match (self, forward) {
            (Pane::Input, true) | (Pane::Messages, false) => Pane::Sidebar,
            (Pane::Sidebar, true) | (Pane::Input, false) => Pane::Messages,
            (Pane::Messages, true) | (Pane::Sidebar, false) => Pane::Input,
        }
    }
}

/// One line of the left pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The user.
    pub peer: String,
    /// Online now (as far as chatd knows).
    pub online: bool,
    /// Unread incoming messages.
    pub unread: u32,
    /// A conversation (rather than only an online user).
    pub conversation: bool,
    /// Their key changed and is not accepted yet.
    pub key_alert: bool,
    /// The conversation with oneself: notes.
    pub notes: bool,
}

/// The open conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Convo {
    /// The other side.
    pub peer: String,
    /// Oldest first, each id once.
    pub messages: Vec<Message>,
    /// A `history` answer is awaited.
    pub loading: bool,
    /// Older messages may exist (the last page was full).
    pub more_before: bool,
    /// The peer's key and its trust state, once known.
    pub key: Option<Fingerprint>,
    /// Rows scrolled up from the bottom (0 follows new messages).
    pub scroll: usize,
    /// Key changes and verifications (chatd's notices and `trust`
    /// events), oldest first, each once.
    pub notices: Vec<Notice>,
    /// The first message that was unread when the conversation was opened
    /// (or that came while it was not seen): the "unread" line goes above
    /// it and stays while the conversation is open.
    pub unread_from: Option<String>,
}

/// Messages asked for per page of history.
pub const PAGE: usize = 50;

impl Convo {
    /// A conversation about to be loaded.
    pub fn new(peer: &str) -> Self {
        Self {
            peer: peer.to_string(),
            messages: Vec::new(),
            loading: true,
            more_before: false,
            key: None,
            scroll: 0,
            notices: Vec::new(),
            unread_from: None,
        }
    }

    /// Adds key notices (from `history` or a `trust` event), each once.
    pub fn merge_notices(&mut self, incoming: impl IntoIterator<Item = Notice>) {
        for n in incoming {
            if !self.notices.contains(&n) {
                self.notices.push(n);
            }
        }
        self.notices.sort_by_key(|n| n.ts);
    }

    /// Puts the "unread" line above the oldest unread incoming message,
    /// unless it is already placed.
    pub fn place_unread_line(&mut self) {
        if self.unread_from.is_some() {
            return;
        }
        self.unread_from = self
            .messages
            .iter()
            .find(|m| m.direction == Direction::In && m.status != MessageStatus::Read)
            .map(|m| m.id.clone());
    }

    /// Adds or updates messages; statuses move by chatd-api's one rule
    /// (`MessageStatus::advance`), as chatd's do, so a replayed old event
    /// cannot undo a newer answer. Returns how many were new.
    pub fn merge(&mut self, incoming: impl IntoIterator<Item = Message>) -> usize {
        let mut added = 0;
        for m in incoming {
            match self.messages.iter_mut().find(|x| x.id == m.id) {
                Some(existing) => existing.status = existing.status.advance(m.status),
                None => {
                    self.messages.push(m);
                    added += 1;
                }
            }
        }
        if added > 0 {
            // The one timeline order: time, then id (chatd-api's rule).
            self.messages.sort_by(chatd_api::domain::timeline_cmp);
        }
        added
    }

    /// Applies a receipt; true when the message is in this conversation.
    pub fn receipt(&mut self, id: &str, status: chatd_api::MessageStatus) -> bool {
        match self.messages.iter_mut().find(|m| m.id == id) {
            Some(m) => {
                m.status = m.status.advance(status);
                true
            }
            None => false,
        }
    }

    /// The oldest message's time, for paging back.
    pub fn oldest_ts(&self) -> Option<i64> {
        self.messages.first().map(|m| m.ts)
    }
}

/// Search results shown over the chat.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchView {
    /// What was searched for.
    pub query: String,
    /// Best match first; `None` while the answer is awaited.
    pub results: Option<Vec<Message>>,
    /// The highlighted result.
    pub selected: usize,
}

/// Fingerprints shown over the chat, to compare with the peer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeysView {
    /// Ours.
    pub own: Option<Fingerprint>,
    /// Whose key is shown besides ours.
    pub user: Option<String>,
    /// Theirs, once known.
    pub theirs: Option<Fingerprint>,
    /// Why theirs could not be had.
    pub error: Option<String>,
}

/// A window over the chat screen.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    /// Keys and commands.
    Help,
    /// `/search` results.
    Search(SearchView),
    /// `/fingerprint`.
    Keys(KeysView),
}

/// The chat screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chat {
    /// Most recent first, as chatd orders them.
    pub conversations: Vec<Conversation>,
    /// Users online now, besides us, by name.
    pub online: Vec<String>,
    /// Peers whose key changed and is not yet accepted.
    pub key_alerts: Vec<String>,
    /// The highlighted entry of the left pane.
    pub selected: Option<String>,
    /// The open conversation.
    pub convo: Option<Convo>,
    /// Which pane has the keyboard.
    pub pane: Pane,
    /// A window over everything.
    pub overlay: Option<Overlay>,
    /// Rows the help or the fingerprints are scrolled down by.
    pub overlay_scroll: usize,
}

impl Chat {
    /// The left pane: conversations first (with the open one even when it
    /// has no message yet), then online users without a conversation.
    pub fn entries(&self, me: Option<&str>) -> Vec<Entry> {
        let mut out = Vec::new();
        let is_online = |peer: &str| self.online.iter().any(|u| u == peer);
        if let Some(c) = &self.convo
            && !self.conversations.iter().any(|x| x.peer == c.peer)
        {
            out.push(self.entry(&c.peer, is_online(&c.peer), 0, true));
        }
        for c in &self.conversations {
            let unread = if self.is_open(&c.peer) { 0 } else { c.unread };
            out.push(self.entry(&c.peer, c.online || is_online(&c.peer), unread, true));
        }
        for e in &mut out {
            e.notes = Some(e.peer.as_str()) == me;
            // chatd's list says which keys wait for /trust, even before
            // any event about them reached this app.
            e.key_alert |= self
                .conversations
                .iter()
                .any(|c| c.peer == e.peer && c.trust == Some(TrustState::Changed));
        }
        for user in &self.online {
            if Some(user.as_str()) != me && !out.iter().any(|e| &e.peer == user) {
                out.push(self.entry(user, true, 0, false));
            }
        }
        out
    }

    fn entry(&self, peer: &str, online: bool, unread: u32, conversation: bool) -> Entry {
        Entry {
            peer: peer.to_string(),
            online,
            unread,
            conversation,
            key_alert: self.key_alerts.iter().any(|u| u == peer),
            notes: false,
        }
    }

    /// True when `peer`'s conversation is open.
    pub fn is_open(&self, peer: &str) -> bool {
        self.convo.as_ref().is_some_and(|c| c.peer == peer)
    }

    /// The open conversation's peer.
    pub fn open_peer(&self) -> Option<&str> {
        self.convo.as_ref().map(|c| c.peer.as_str())
    }

    /// Records a presence change everywhere it shows.
    pub fn presence(&mut self, user: &str, online: bool) {
        for c in &mut self.conversations {
            if c.peer == user {
                c.online = online;
            }
        }
        let listed = self.online.iter().position(|u| u == user);
        match (online, listed) {
            (true, None) => {
                self.online.push(user.to_string());
                self.online.sort();
            }
            (false, Some(i)) => {
                self.online.remove(i);
            }
            _ => {}
        }
    }

    /// Opens an overlay at its top.
    pub fn show(&mut self, overlay: Overlay) {
        self.overlay = Some(overlay);
        self.overlay_scroll = 0;
    }

    /// Nobody is known to be online (chatd or its server link is away).
    pub fn forget_presence(&mut self) {
        self.online.clear();
        for c in &mut self.conversations {
            c.online = false;
        }
    }

    /// Notes (or clears) a peer's unaccepted key change.
    pub fn set_key_alert(&mut self, user: &str, alert: bool) {
        self.key_alerts.retain(|u| u != user);
        if alert {
            self.key_alerts.push(user.to_string());
        }
    }

    /// Moves the highlight in the left pane by `delta`, wrapping around.
    pub fn move_selection(&mut self, me: Option<&str>, delta: isize) {
        let entries = self.entries(me);
        if entries.is_empty() {
            self.selected = None;
            return;
        }
        let current = self
            .selected
            .as_ref()
            .and_then(|s| entries.iter().position(|e| &e.peer == s))
            .or_else(|| {
                self.open_peer()
                    .and_then(|p| entries.iter().position(|e| e.peer == p))
            });
        let len = entries.len() as isize;
        let next = match current {
            Some(i) => (i as isize + delta).rem_euclid(len),
            None if delta >= 0 => 0,
            None => len - 1,
        };
        self.selected = entries.get(next as usize).map(|e| e.peer.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: &str, ts: i64, status: MessageStatus) -> Message {
        Message {
            id: id.into(),
            from: "bob".into(),
            to: "alice".into(),
            text: id.into(),
            ts,
            direction: Direction::In,
            status,
            group: None,
            receipts: None,
        }
    }

    #[test]
    fn merging_is_idempotent_and_statuses_only_move_forward() {
        let mut c = Convo::new("bob");
        assert_eq!(c.merge([msg("b", 2, MessageStatus::Read)]), 1);
        assert_eq!(
            c.merge([
                msg("a", 1, MessageStatus::Sent),
                msg("b", 2, MessageStatus::Delivered)
            ]),
            1
        );
        let ids: Vec<_> = c.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(c.messages[1].status, MessageStatus::Read);
        assert!(c.receipt("a", MessageStatus::Delivered));
        assert!(!c.receipt("zzz", MessageStatus::Delivered));
    }

    #[test]
    fn a_read_message_never_turns_failed_and_ties_sort_by_id() {
        let mut c = Convo::new("bob");
        c.merge([
            msg("y", 5, MessageStatus::Read),
            msg("x", 5, MessageStatus::Sent),
        ]);
        let ids: Vec<_> = c.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["x", "y"], "equal timestamps are ordered by id");
        c.receipt("y", MessageStatus::Failed);
        c.merge([msg("x", 5, MessageStatus::Failed)]);
        assert_eq!(c.messages[1].status, MessageStatus::Read);
        assert_eq!(c.messages[0].status, MessageStatus::Sent);
    }

    #[test]
    fn the_left_pane_lists_conversations_then_online_users() {
        let mut chat = Chat {
            conversations: vec![Conversation {
                peer: "carol".into(),
                last: None,
                unread: 2,
                online: false,
                trust: None,
            }],
            online: vec!["alice".into(), "bob".into()],
            ..Chat::default()
        };
        chat.convo = Some(Convo::new("dave"));
        let peers: Vec<_> = chat
            .entries(Some("alice"))
            .into_iter()
            .map(|e| e.peer)
            .collect();
        assert_eq!(peers, ["dave", "carol", "bob"]);
        chat.presence("carol", true);
        assert!(chat.entries(Some("alice"))[1].online);
        // A key change chatd lists shows as !key before any event.
        assert!(!chat.entries(Some("alice"))[1].key_alert);
        chat.conversations[0].trust = Some(TrustState::Changed);
        assert!(chat.entries(Some("alice"))[1].key_alert);
        chat.move_selection(Some("alice"), -1);
        assert_eq!(chat.selected.as_deref(), Some("bob"));
        chat.move_selection(Some("alice"), 1);
        assert_eq!(chat.selected.as_deref(), Some("dave"));
    }
}
