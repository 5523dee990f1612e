//! What the chat screen knows: the conversation list and who is online, the
//! open conversation with its messages and the peer's key state, which pane
//! has the keyboard, and the overlays. Merging rules live here too, so that
//! answers and events arriving in any order (a `since` replay overlapping a
//! fresh `history`) converge on chatd's state.

use chatd_api::{
    Chat as Talk, Conversation, Direction, Fingerprint, Group, GroupReceipts, Message,
    MessageStatus, Notice, Transfer,
};

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
    /// The conversation it opens.
    pub chat: Talk,
    /// The user, or the group's name.
    pub name: String,
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
    /// A group we are no longer a member of (its history stays).
    pub left: bool,
    /// Someone types in it now.
    pub typing: bool,
}

/// A system line about a group ("alice added carol"), from a `group` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupLine {
    /// The group id.
    pub group: String,
    /// When the event came (Unix ms; events carry no time).
    pub ts: i64,
    /// What happened, for people.
    pub text: String,
}

/// Someone typing, shown until `until_ms` or their next message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typist {
    /// Where.
    pub chat: Talk,
    /// Who.
    pub user: String,
    /// Shown until then (Unix ms).
    pub until_ms: i64,
}

/// How long a typing indicator shows after its last event (PROTOCOL D14).
pub const TYPING_MS: i64 = 6_000;

/// The open conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Convo {
    /// The other side: a peer, or a group by id.
    pub chat: Talk,
    /// Oldest first, each id once.
    pub messages: Vec<Message>,
    /// A `history` answer is awaited.
    pub loading: bool,
    /// Older messages may exist (the last page was full).
    pub more_before: bool,
    /// The peer's key and its trust state, once known (1:1 only).
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
    /// Group changes seen since chat-tui started, oldest first.
    pub changes: Vec<GroupLine>,
}

/// How many ended transfers are remembered as said.
const ENDED_KEPT: usize = 256;

/// Messages asked for per page of history.
pub const PAGE: usize = 50;

impl Convo {
    /// A conversation about to be loaded.
    pub fn new(chat: Talk) -> Self {
        Self {
            chat,
            messages: Vec::new(),
            loading: true,
            more_before: false,
            key: None,
            scroll: 0,
            notices: Vec::new(),
            unread_from: None,
            changes: Vec::new(),
        }
    }

    /// The peer of a 1:1 conversation.
    pub fn peer(&self) -> Option<&str> {
        self.chat.as_peer()
    }

    /// The group id of a group conversation.
    pub fn group(&self) -> Option<&str> {
        self.chat.as_group()
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
                Some(existing) => {
                    existing.status = existing.status.advance(m.status);
                    merge_receipts(&mut existing.receipts, m.receipts.as_ref());
                    merge_file(&mut existing.file, m.file);
                }
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

    /// Applies a receipt (with a group message's receipts now); true
    /// when the message is in this conversation.
    pub fn receipt(
        &mut self,
        id: &str,
        status: MessageStatus,
        receipts: Option<&GroupReceipts>,
    ) -> bool {
        match self.messages.iter_mut().find(|m| m.id == id) {
            Some(m) => {
                m.status = m.status.advance(status);
                merge_receipts(&mut m.receipts, receipts);
                true
            }
            None => false,
        }
    }

    /// A file of this conversation was saved at `path` (its download is
    /// done); true when the message is here.
    pub fn file_saved(&mut self, message: &str, path: &str) -> bool {
        let Some(file) = self
            .messages
            .iter_mut()
            .find(|m| m.id == message)
            .and_then(|m| m.file.as_mut())
        else {
            return false;
        };
        file.path = Some(path.to_string());
        true
    }

    /// The `n`th newest file message (1 is the newest).
    pub fn nth_file(&self, n: usize) -> Option<&Message> {
        self.messages
            .iter()
            .rev()
            .filter(|m| m.file.is_some())
            .nth(n.checked_sub(1)?)
    }

    /// The oldest message's time, for paging back.
    pub fn oldest_ts(&self) -> Option<i64> {
        self.messages.first().map(|m| m.ts)
    }
}

/// Receipts only grow (like statuses): the union of what was said, so a
/// replayed older `receipt` event cannot take a reader away.
fn merge_receipts(held: &mut Option<GroupReceipts>, new: Option<&GroupReceipts>) {
    let Some(new) = new else {
        return;
    };
    let merged = held.get_or_insert_with(GroupReceipts::default);
    merged.recipients = merged.recipients.max(new.recipients);
    for (mine, theirs) in [
        (&mut merged.delivered, &new.delivered),
        (&mut merged.read, &new.read),
    ] {
        mine.extend(theirs.iter().cloned());
        mine.sort();
        mine.dedup();
    }
}

/// A file's local copy, once known, stays known: an older copy of the
/// message (a replayed event, a history page asked for before the
/// download ended) does not take it away.
fn merge_file(held: &mut Option<chatd_api::FileInfo>, new: Option<chatd_api::FileInfo>) {
    match (held.as_mut(), new) {
        (Some(held), Some(new)) => {
            let path = held.path.take();
            *held = new;
            if held.path.is_none() {
                held.path = path;
            }
        }
        (None, Some(new)) => *held = Some(new),
        (_, None) => {}
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
    /// `/info`: a group's members and admins (by id).
    Group(String),
}

/// The chat screen's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Chat {
    /// 1:1 conversations, most recent first, as chatd orders them.
    pub conversations: Vec<Conversation>,
    /// Groups held (also those left), most recent first.
    pub groups: Vec<Group>,
    /// Group changes seen since start, oldest first.
    pub group_log: Vec<GroupLine>,
    /// Who is typing where, now.
    pub typing: Vec<Typist>,
    /// Users online now, besides us, by name.
    pub online: Vec<String>,
    /// Peers whose key changed and is not yet accepted.
    pub key_alerts: Vec<String>,
    /// The highlighted entry of the left pane.
    pub selected: Option<Talk>,
    /// The open conversation.
    pub convo: Option<Convo>,
    /// Which pane has the keyboard.
    pub pane: Pane,
    /// A window over everything.
    pub overlay: Option<Overlay>,
    /// Rows the help or the fingerprints are scrolled down by.
    pub overlay_scroll: usize,
    /// Transfers not yet ended, as their last event or answer had them,
    /// oldest first.
    pub transfers: Vec<Transfer>,
    /// Transfers whose end was already said, so a replayed event says it
    /// no more.
    pub ended: Vec<String>,
}

impl Chat {
    /// The left pane: conversations and groups, most recent first (with
    /// the open one first when it is in neither list yet), then online
    /// users without a conversation.
    pub fn entries(&self, me: Option<&str>) -> Vec<Entry> {
        let mut out = Vec::new();
        let is_online = |peer: &str| self.online.iter().any(|u| u == peer);
        if let Some(c) = &self.convo
            && !self.listed(&c.chat)
        {
            let mut e = self.entry(&c.chat, 0, true);
            e.online = c.peer().is_some_and(is_online);
            out.push(e);
        }
        // Two lists each most recent first, merged by their newest message.
        let mut listed: Vec<(i64, Entry)> = Vec::new();
        for c in &self.conversations {
            let chat = Talk::peer(&c.peer);
            let mut e = self.entry(&chat, c.unread, true);
            e.online = c.online || is_online(&c.peer);
            listed.push((c.last.as_ref().map_or(0, |m| m.ts), e));
        }
        for g in &self.groups {
            let chat = Talk::group(&g.id);
            let e = self.entry(&chat, g.unread, true);
            listed.push((g.last.as_ref().map_or(0, |m| m.ts), e));
        }
        listed.sort_by_key(|(ts, _)| std::cmp::Reverse(*ts));
        out.extend(listed.into_iter().map(|(_, e)| e));
        for e in &mut out {
            if self.is_open_chat(&e.chat) {
                e.unread = 0;
            }
            e.notes = e.chat.as_peer().is_some() && Some(e.name.as_str()) == me;
            // The open one says so under its messages.
            e.typing = !self.is_open_chat(&e.chat) && self.typing.iter().any(|t| t.chat == e.chat);
        }
        for user in &self.online {
            if Some(user.as_str()) != me && !out.iter().any(|e| e.chat.as_peer() == Some(user)) {
                let mut e = self.entry(&Talk::peer(user), 0, false);
                e.online = true;
                out.push(e);
            }
        }
        out
    }

    fn listed(&self, chat: &Talk) -> bool {
        match chat {
            Talk::Peer(p) => self.conversations.iter().any(|c| &c.peer == p),
            Talk::Group(id) => self.groups.iter().any(|g| &g.id == id),
        }
    }

    fn entry(&self, chat: &Talk, unread: u32, conversation: bool) -> Entry {
        let (name, key_alert, left) = match chat {
            Talk::Peer(p) => (p.clone(), self.key_alerts.iter().any(|u| u == p), false),
            Talk::Group(id) => {
                let group = self.group(id);
                (
                    self.group_name(id),
                    false,
                    group.is_some_and(|g| !g.is_member),
                )
            }
        };
        Entry {
            chat: chat.clone(),
            name,
            online: false,
            unread,
            conversation,
            key_alert,
            notes: false,
            left,
            typing: false,
        }
    }

    /// The group held with this id.
    pub fn group(&self, id: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// A group's name, or the start of its id before the group is known.
    pub fn group_name(&self, id: &str) -> String {
        self.group(id)
            .map_or_else(|| id.chars().take(8).collect(), |g| g.name.clone())
    }

    /// A conversation's name as shown: the peer, or `#name` of a group.
    pub fn title(&self, chat: &Talk) -> String {
        match chat {
            Talk::Peer(p) => p.clone(),
            Talk::Group(id) => format!("#{}", self.group_name(id)),
        }
    }

    /// Takes chatd's word on a group (an answer or an event): replaces
    /// the one held, or adds it first (the newest).
    pub fn upsert_group(&mut self, group: Group) {
        match self.groups.iter_mut().find(|g| g.id == group.id) {
            Some(held) => *held = group,
            None => self.groups.insert(0, group),
        }
    }

    /// True when `peer`'s conversation is open.
    pub fn is_open(&self, peer: &str) -> bool {
        self.convo.as_ref().is_some_and(|c| c.peer() == Some(peer))
    }

    /// True when this conversation is open.
    pub fn is_open_chat(&self, chat: &Talk) -> bool {
        self.convo.as_ref().is_some_and(|c| &c.chat == chat)
    }

    /// The open conversation's peer (1:1 only).
    pub fn open_peer(&self) -> Option<&str> {
        self.convo.as_ref().and_then(Convo::peer)
    }

    /// The open conversation.
    pub fn open_chat(&self) -> Option<&Talk> {
        self.convo.as_ref().map(|c| &c.chat)
    }

    /// The open group, when a group is open and known.
    pub fn open_group(&self) -> Option<&Group> {
        self.convo
            .as_ref()
            .and_then(Convo::group)
            .and_then(|id| self.group(id))
    }

    /// Who types in `chat` now, in the order they started.
    pub fn typists(&self, chat: &Talk) -> Vec<&str> {
        self.typing
            .iter()
            .filter(|t| &t.chat == chat)
            .map(|t| t.user.as_str())
            .collect()
    }

    /// Records a presence change everywhere it shows.
    pub fn presence(&mut self, user: &str, online: bool) {
        for c in &mut self.conversations {
            if c.peer == user {
                c.online = online;
            }
        }
        for m in self.groups.iter_mut().flat_map(|g| g.members.iter_mut()) {
            if m.user == user {
                m.online = online;
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

    /// Takes a transfer's new state: kept while it moves, dropped once it
    /// ended. Returns true when this is the first word of its end.
    pub fn transfer(&mut self, t: Transfer) -> bool {
        let at = self.transfers.iter().position(|x| x.id == t.id);
        if t.state.is_final() {
            if let Some(at) = at {
                self.transfers.remove(at);
            }
            if self.ended.contains(&t.id) {
                return false;
            }
            // Enough to tell replays apart; the oldest go first.
            if self.ended.len() >= ENDED_KEPT {
                self.ended.remove(0);
            }
            self.ended.push(t.id);
            return true;
        }
        if self.ended.contains(&t.id) {
            // An older event of a transfer that already ended.
            return false;
        }
        match at {
            Some(at) => self.transfers[at] = t,
            None => self.transfers.push(t),
        }
        false
    }

    /// The transfers of conversation `chat` that have not ended, oldest
    /// first.
    pub fn transfers_in(&self, chat: &Talk) -> Vec<&Transfer> {
        self.transfers
            .iter()
            .filter(|t| match (chat, &t.group, &t.peer) {
                (Talk::Group(id), Some(group), _) => {
                    group == id || self.group(id).is_some_and(|g| &g.name == group)
                }
                (Talk::Peer(peer), None, Some(p)) => p == peer,
                _ => false,
            })
            .collect()
    }

    /// Nobody is known to be online (chatd or its server link is away).
    pub fn forget_presence(&mut self) {
        self.online.clear();
        for c in &mut self.conversations {
            c.online = false;
        }
        for m in self.groups.iter_mut().flat_map(|g| g.members.iter_mut()) {
            m.online = false;
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
            .and_then(|s| entries.iter().position(|e| &e.chat == s))
            .or_else(|| {
                self.open_chat()
                    .and_then(|c| entries.iter().position(|e| &e.chat == c))
            });
        let len = entries.len() as isize;
        let next = match current {
            Some(i) => (i as isize + delta).rem_euclid(len),
            None if delta >= 0 => 0,
            None => len - 1,
        };
        self.selected = entries.get(next as usize).map(|e| e.chat.clone());
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
            file: None,
        }
    }

    #[test]
    fn merging_is_idempotent_and_statuses_only_move_forward() {
        let mut c = Convo::new(Talk::peer("bob"));
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
        assert!(c.receipt("a", MessageStatus::Delivered, None));
        assert!(!c.receipt("zzz", MessageStatus::Delivered, None));
    }

    #[test]
    fn a_read_message_never_turns_failed_and_ties_sort_by_id() {
        let mut c = Convo::new(Talk::peer("bob"));
        c.merge([
            msg("y", 5, MessageStatus::Read),
            msg("x", 5, MessageStatus::Sent),
        ]);
        let ids: Vec<_> = c.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["x", "y"], "equal timestamps are ordered by id");
        c.receipt("y", MessageStatus::Failed, None);
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
        chat.convo = Some(Convo::new(Talk::peer("dave")));
        let peers: Vec<_> = chat
            .entries(Some("alice"))
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(peers, ["dave", "carol", "bob"]);
        chat.presence("carol", true);
        assert!(chat.entries(Some("alice"))[1].online);
        chat.move_selection(Some("alice"), -1);
        assert_eq!(chat.selected, Some(Talk::peer("bob")));
        chat.move_selection(Some("alice"), 1);
        assert_eq!(chat.selected, Some(Talk::peer("dave")));
    }
}
