//! What the UI knows about chatd's state, kept apart from both the client
//! and the widgets: the worker's updates go in through [`Model::apply`],
//! the views read it. Everything here is plain data, so it is tested
//! without a window or a daemon; the only time it knows is the one passed
//! to [`Model::apply_at`] (typing indicators expire).

mod files;
mod groups;
mod signup;
mod thread;
mod typing;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use chatd_api::{
    Chat, ConnectionState, Conversation, Direction, ErrorCode, Event, EventBody, Fingerprint,
    Group, Message, MessageStatus, Notice, NoticeKind, Settings, Status, TrustState, User,
};

use crate::backend::{Command, Failure, Link, Update};
pub use files::{FileStatus, Transfers, fraction, shown_name};
pub use groups::{GroupAction, describe_change};
pub use signup::{
    MAX_PASSWORD_BYTES, SignupChecks, check_confirmation, check_password, check_username,
};
pub use thread::{ChangeLine, Thread};
pub use typing::{SEND_EVERY, SHOWN_FOR, TypingThrottle, Typists, typing_line};

/// How many recent problems the UI keeps to show.
const MAX_NOTICES: usize = 4;

/// Login or sign-up in flight, and the last refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Auth {
    /// A request is waiting for chatd.
    pub busy: bool,
    /// Why the last attempt failed.
    pub failure: Option<Failure>,
}

/// The screen the daemon's state calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Not attached to chatd (yet, or any more), or its state is not
    /// known yet.
    Detached,
    /// chatd has no logged-in account: log in or sign up.
    SignedOut,
    /// chatd has an account: chat (offline too: sending queues).
    SignedIn,
}

/// Everything the views show.
#[derive(Debug, Clone)]
pub struct Model {
    /// The UI's link to chatd.
    pub link: Link,
    /// chatd's last status.
    pub status: Option<Status>,
    /// Conversations by peer.
    pub threads: BTreeMap<String, Thread>,
    /// Group conversations by group id.
    pub group_threads: BTreeMap<String, Thread>,
    /// Groups held by chatd (also those we left), by id.
    pub groups: BTreeMap<String, Group>,
    /// A group action (create, add, remove, leave, admin) in flight, and
    /// chatd's last refusal of one.
    pub group_action: GroupAction,
    /// A group this window just created, for the view to open.
    pub created: Option<String>,
    /// Who is typing where.
    pub typing: Typists,
    /// The transfer of each file message.
    pub transfers: Transfers,
    /// The file dialog is open (the Attach button waits for it).
    pub picking: bool,
    /// Which conversation each known message belongs to.
    chat_of: HashMap<String, Chat>,
    /// People online now (from `users` and presence events).
    pub online: BTreeSet<String>,
    /// The last people search and its matches.
    pub directory: Option<(String, Vec<User>)>,
    /// Our own fingerprint, once loaded.
    pub own_fingerprint: Option<Fingerprint>,
    /// Peers' fingerprints, once loaded.
    pub fingerprints: HashMap<String, Fingerprint>,
    /// Peers whose fingerprint was asked for and has not come yet.
    checking: BTreeSet<String>,
    /// Peers whose key changed and who are not trusted again yet.
    pub changed_keys: BTreeSet<String>,
    /// Key changes the person has not answered yet, oldest first.
    pub key_alerts: VecDeque<String>,
    /// Login or sign-up state.
    pub auth: Auth,
    /// Recent problems, newest last.
    pub notices: VecDeque<String>,
    /// chatd's settings, once loaded (an older chatd has none).
    pub settings: Option<Settings>,
    /// The window was attached to chatd at least once (so losing it is
    /// "reconnecting", not "not running").
    pub attached_once: bool,
}

impl Default for Model {
    fn default() -> Self {
        Self {
            link: Link::Connecting,
            status: None,
            threads: BTreeMap::new(),
            group_threads: BTreeMap::new(),
            groups: BTreeMap::new(),
            group_action: GroupAction::default(),
            created: None,
            typing: Typists::default(),
            transfers: Transfers::default(),
            picking: false,
            chat_of: HashMap::new(),
            online: BTreeSet::new(),
            directory: None,
            own_fingerprint: None,
            fingerprints: HashMap::new(),
            checking: BTreeSet::new(),
            changed_keys: BTreeSet::new(),
            key_alerts: VecDeque::new(),
            auth: Auth::default(),
            notices: VecDeque::new(),
            settings: None,
            attached_once: false,
        }
    }
}

impl Model {
    /// The screen to show.
    pub fn phase(&self) -> Phase {
        if self.link != Link::Attached {
            return Phase::Detached;
        }
        match &self.status {
            Some(s) if s.state == ConnectionState::LoggedIn => Phase::SignedIn,
            // An account that is not logged in right now because the server
            // is unreachable, and that chatd logs in again by itself (it
            // holds a session): its history is here and sending queues.
            // Without a session (logged out) the account needs a password.
            Some(s)
                if s.username.is_some()
                    && s.resume
                    && matches!(
                        s.state,
                        ConnectionState::Offline | ConnectionState::Connecting
                    ) =>
            {
                Phase::SignedIn
            }
            Some(_) => Phase::SignedOut,
            // Attached, but chatd's state is not known yet.
            None => Phase::Detached,
        }
    }

    /// The account chatd holds, if any.
    pub fn account(&self) -> Option<&str> {
        self.status.as_ref().and_then(|s| s.username.as_deref())
    }

    /// chatd's link to the server, once known.
    pub fn server_state(&self) -> Option<ConnectionState> {
        self.status.as_ref().map(|s| s.state)
    }

    /// Conversations, most recent first.
    pub fn threads_by_recency(&self) -> Vec<&Thread> {
        let mut list: Vec<&Thread> = self.threads.values().collect();
        list.sort_by(|a, b| b.last_ts().cmp(&a.last_ts()).then(a.peer.cmp(&b.peer)));
        list
    }

    /// Whether `user` is online, as far as we know.
    pub fn is_online(&self, user: &str) -> bool {
        self.presence_known() && self.online.contains(user)
    }

    /// Presence is only known while chatd is logged in to the server:
    /// otherwise nobody can be shown online (or offline) honestly.
    pub fn presence_known(&self) -> bool {
        self.link == Link::Attached && self.server_state() == Some(ConnectionState::LoggedIn)
    }

    /// chatd sends read receipts (true until chatd says otherwise).
    pub fn read_receipts(&self) -> bool {
        self.settings.as_ref().is_none_or(|s| s.read_receipts)
    }

    /// chatd sends typing indicators (true until chatd says otherwise).
    pub fn typing_indicators(&self) -> bool {
        self.settings.as_ref().is_none_or(|s| s.typing_indicators)
    }

    /// Notes a problem to show; old ones drop off.
    pub fn notice(&mut self, text: impl Into<String>) {
        self.notices.push_back(text.into());
        while self.notices.len() > MAX_NOTICES {
            self.notices.pop_front();
        }
    }

    /// The conversation with `peer`, created empty if new.
    pub fn thread_mut(&mut self, peer: &str) -> &mut Thread {
        self.threads
            .entry(peer.to_string())
            .or_insert_with(|| Thread::new(peer))
    }

    /// A conversation, 1:1 or a group's (by id), if known.
    pub fn thread(&self, chat: &Chat) -> Option<&Thread> {
        match chat {
            Chat::Peer(peer) => self.threads.get(peer),
            Chat::Group(id) => self.group_threads.get(id),
        }
    }

    /// A conversation, created empty if new.
    pub fn chat_thread_mut(&mut self, chat: &Chat) -> &mut Thread {
        match chat {
            Chat::Peer(peer) => self.thread_mut(peer),
            Chat::Group(id) => self
                .group_threads
                .entry(id.clone())
                .or_insert_with(|| Thread::new(id)),
        }
    }

    /// Applies an update taken now; returns commands it makes necessary.
    pub fn apply(&mut self, update: Update) -> Vec<Command> {
        self.apply_at(update, Instant::now())
    }

    /// Applies an update taken at `now`; returns commands it makes
    /// necessary.
    pub fn apply_at(&mut self, update: Update, now: Instant) -> Vec<Command> {
        match update {
            Update::Link(link) => {
                if link == Link::Attached {
                    self.attached_once = true;
                } else {
                    self.auth.busy = false;
                    self.group_action.busy = false;
                    self.checking.clear();
                    self.online.clear();
                    self.typing.clear();
                }
                self.link = link;
            }
            Update::Settings(settings) => self.settings = Some(settings),
            Update::Status(status) => self.set_status(status),
            Update::Conversations(list) => return self.set_conversations(list),
            Update::History {
                chat,
                before,
                messages,
                notices,
                complete,
            } => {
                for m in messages {
                    self.merge(m);
                }
                let thread = self.chat_thread_mut(&chat);
                for n in notices {
                    thread.add_notice(n);
                }
                thread.load_error = None;
                thread.loading_older = false;
                // The newest page says whether there is more only the
                // first time; later pages move the boundary back.
                if before.is_some() || !thread.loaded {
                    thread.has_older = !complete;
                }
                thread.loaded = true;
                if thread.complete() {
                    thread.unread = thread.unread_loaded();
                }
            }
            Update::HistoryFailed { chat, failure } => {
                let thread = self.chat_thread_mut(&chat);
                thread.loading_older = false;
                if failure.code == Some(ErrorCode::NoSuchUser) {
                    thread.load_error = Some(failure.message);
                } else {
                    self.notice(format!("loading the history: {}", failure.message));
                }
            }
            Update::Event(event) => return self.apply_event(event, now),
            Update::Groups(list) => self.set_groups(list),
            Update::GroupDone { created, result } => self.group_done(created, result),
            Update::Online(users) => {
                let me = self.account().map(str::to_string);
                self.online = users
                    .into_iter()
                    .filter(|u| u.online && Some(&u.username) != me.as_ref())
                    .map(|u| u.username)
                    .collect();
            }
            Update::Directory { prefix, users } => self.directory = Some((prefix, users)),
            Update::Fingerprint { own, fingerprint } => self.set_fingerprint(own, fingerprint),
            Update::Auth(result) => {
                self.auth.busy = false;
                self.auth.failure = result.err();
            }
            Update::Sent { chat, text, result } => {
                if let Err(failure) = result {
                    if failure.code == Some(ErrorCode::KeyChanged)
                        && let Chat::Peer(to) = &chat
                    {
                        self.key_changed(to);
                    }
                    let thread = self.chat_thread_mut(&chat);
                    if thread.draft_back.is_none() {
                        thread.draft_back = Some(text);
                    }
                    thread.send_error = Some(failure.message);
                }
            }
            // The window sends what was picked (with the draft as its
            // caption, which the model does not hold).
            Update::Picked { .. } => self.picking = false,
            Update::Transfer(transfer) => {
                self.transfers.apply(transfer, false);
            }
            Update::FileFailed {
                chat,
                name,
                caption,
                failure,
            } => {
                if let Some(caption) = caption {
                    let thread = self.chat_thread_mut(&chat);
                    if thread.draft_back.is_none() {
                        thread.draft_back = Some(caption);
                    }
                }
                self.notice(format!("{name} was not sent: {}", failure.message));
            }
            Update::Trust { user, result } => match result {
                Ok(TrustState::Changed) => {}
                Ok(_) => self.key_settled(&user),
                Err(failure) => self.notice(failure.message),
            },
            Update::Failed { what, failure } => {
                self.notice(format!("{what}: {}", failure.message));
            }
        }
        Vec::new()
    }

    fn set_status(&mut self, status: Status) {
        let was = self.account().map(str::to_string);
        if was.is_some() && was != status.username {
            // Another account: nothing of the old one applies.
            self.threads.clear();
            self.group_threads.clear();
            self.groups.clear();
            self.created = None;
            self.group_action = GroupAction::default();
            self.typing.clear();
            self.transfers.clear();
            self.chat_of.clear();
            self.fingerprints.clear();
            self.own_fingerprint = None;
            self.changed_keys.clear();
            self.key_alerts.clear();
        }
        for user in &status.key_changes {
            self.key_changed(user);
        }
        if status.state != ConnectionState::LoggedIn {
            self.online.clear();
        }
        self.status = Some(status);
    }

    /// Takes the list of conversations; asks for the trust state of peers
    /// not checked yet, so a key that changed while no window was open is
    /// still put to the person.
    fn set_conversations(&mut self, list: Vec<Conversation>) -> Vec<Command> {
        let mut follow = Vec::new();
        for c in list {
            if !self.fingerprints.contains_key(&c.peer) && !self.checking.contains(&c.peer) {
                self.checking.insert(c.peer.clone());
                follow.push(Command::Fingerprint {
                    peer: c.peer.clone(),
                });
            }
            if c.online {
                self.online.insert(c.peer.clone());
            }
            // A list may have been computed before a change it arrives
            // after: it can raise a key warning, never settle one (only
            // chatd's `trust` events and our own verify/trust do).
            if c.trust == Some(TrustState::Changed) {
                self.key_changed(&c.peer);
            }
            if let Some(last) = c.last {
                self.merge(last);
            }
            let thread = self.thread_mut(&c.peer);
            // Once every message is here, their statuses (which only move
            // forward) are the truth; an answer computed before the last
            // `mark_read` must not bring a read badge back.
            thread.unread = if thread.complete() {
                thread.unread_loaded()
            } else {
                c.unread
            };
        }
        follow
    }

    fn set_fingerprint(&mut self, own: bool, fingerprint: Fingerprint) {
        if own {
            self.own_fingerprint = Some(fingerprint);
            return;
        }
        self.checking.remove(&fingerprint.user);
        if fingerprint.state == TrustState::Changed {
            let settled = self
                .fingerprints
                .get(&fingerprint.user)
                .is_some_and(|known| {
                    known.fingerprint == fingerprint.fingerprint
                        && known.state != TrustState::Changed
                });
            if settled {
                // An answer computed before a trust event settled this
                // very key, arriving after it: a key, once accepted, is
                // never "changed" again (a new key comes with its own
                // event), so the event is newer.
                return;
            }
            self.key_changed(&fingerprint.user);
        } else if self.changed_keys.contains(&fingerprint.user) {
            // An answer computed before the key changed, arriving after
            // the event that said so: the event is newer (see
            // `set_conversations`).
            return;
        }
        self.fingerprints
            .insert(fingerprint.user.clone(), fingerprint);
    }

    /// `user`'s key is trusted again (here or by another frontend): the
    /// warning and the question go.
    fn key_settled(&mut self, user: &str) {
        self.changed_keys.remove(user);
        self.key_alerts.retain(|u| u != user);
    }

    /// Records that `user`'s key changed and asks the person once.
    fn key_changed(&mut self, user: &str) {
        if self.changed_keys.insert(user.to_string()) && !self.key_alerts.iter().any(|u| u == user)
        {
            self.key_alerts.push_back(user.to_string());
        }
    }

    fn apply_event(&mut self, event: Event, now: Instant) -> Vec<Command> {
        match event.body {
            EventBody::Message { message, .. } => {
                let incoming = message.direction == Direction::In;
                let unread = incoming && message.status != MessageStatus::Read;
                let chat = chat_of(&message);
                if incoming {
                    self.typing.wrote(&chat, &message.from);
                }
                if self.merge(message) && unread {
                    self.chat_thread_mut(&chat).unread += 1;
                }
            }
            EventBody::Receipt {
                id,
                status,
                receipts,
                ..
            } => return self.receipt(&id, status, receipts),
            EventBody::Presence { user, online } => {
                if online {
                    self.online.insert(user);
                } else {
                    self.online.remove(&user);
                }
            }
            EventBody::Connection { state } => {
                if state != ConnectionState::LoggedIn {
                    self.online.clear();
                }
                if let Some(s) = &mut self.status {
                    s.state = state;
                }
            }
            EventBody::Trust {
                user,
                state,
                fingerprint,
                ts,
            } => self.trust_changed(user, state, fingerprint, ts),
            EventBody::Settings { settings } => self.settings = Some(settings),
            EventBody::Group { group, by, change } => self.group_changed(*group, &by, &change),
            EventBody::Transfer { transfer, progress } => {
                self.transfers.apply(*transfer, progress);
            }
            EventBody::Typing { user, group } => {
                let chat = match group {
                    Some(id) => Chat::Group(id),
                    None => Chat::Peer(user.clone()),
                };
                self.typing.typed(chat, user, now);
            }
            EventBody::KeyChanged { user, fingerprint } => {
                self.fingerprints.insert(
                    user.clone(),
                    Fingerprint {
                        user: user.clone(),
                        fingerprint,
                        state: TrustState::Changed,
                        safety_number: None,
                    },
                );
                self.changed_keys.remove(&user);
                self.key_alerts.retain(|u| u != &user);
                self.key_changed(&user);
            }
            EventBody::Security {
                user,
                reason,
                group,
            } => {
                let group = group.and_then(|id| self.groups.get(&id).map(|g| g.name.clone()));
                let about = match group {
                    Some(name) => format!("A change of {name} from {user} was refused"),
                    None => format!("A message from {user} was refused"),
                };
                self.notice(format!("{about}: {}", reason.describe()));
            }
        }
        Vec::new()
    }

    /// A `trust` event: the key's state as chatd has it now, whoever
    /// changed it, and a line in the conversation for the person.
    fn trust_changed(&mut self, user: String, state: TrustState, fingerprint: String, ts: i64) {
        let was_changed = self.changed_keys.contains(&user);
        let kind = match state {
            TrustState::Changed => Some(NoticeKind::KeyChanged),
            TrustState::Verified => Some(NoticeKind::Verified),
            // Unverified after a change: the new key was accepted. (A
            // first pin is not news.)
            TrustState::Unverified => was_changed.then_some(NoticeKind::KeyAccepted),
        };
        match state {
            TrustState::Changed => self.key_changed(&user),
            _ => self.key_settled(&user),
        }
        let known = self.fingerprints.get(&user);
        // The safety number belongs to a key: keep it only for the same one.
        let safety_number = known
            .filter(|f| f.fingerprint == fingerprint)
            .and_then(|f| f.safety_number.clone());
        self.fingerprints.insert(
            user.clone(),
            Fingerprint {
                user: user.clone(),
                fingerprint: fingerprint.clone(),
                state,
                safety_number,
            },
        );
        // Only into a conversation there is (a notice alone makes none).
        if let Some(kind) = kind
            && let Some(thread) = self.threads.get_mut(&user)
        {
            thread.add_notice(Notice {
                ts,
                user,
                kind,
                fingerprint,
            });
        }
    }

    fn receipt(
        &mut self,
        id: &str,
        status: MessageStatus,
        receipts: Option<chatd_api::GroupReceipts>,
    ) -> Vec<Command> {
        let Some(chat) = self.chat_of.get(id).cloned() else {
            // A message we have not loaded: if it was one of ours being
            // read elsewhere, the unread count may be stale.
            return if status == MessageStatus::Read {
                vec![Command::Conversations, Command::Groups]
            } else {
                Vec::new()
            };
        };
        let thread = self.chat_thread_mut(&chat);
        if let Some(receipts) = receipts {
            thread.set_receipts(id, receipts);
        }
        if let Some(change) = thread.set_status(id, status)
            && change.direction == Direction::In
            && change.became_read
        {
            thread.unread = thread.unread.saturating_sub(1);
        }
        Vec::new()
    }

    /// Adds or updates a message; true when it was new.
    fn merge(&mut self, message: Message) -> bool {
        let chat = chat_of(&message);
        self.chat_of.insert(message.id.clone(), chat.clone());
        self.chat_thread_mut(&chat).merge(message)
    }
}

/// The other side of a 1:1 message.
pub fn peer_of(message: &Message) -> &str {
    match message.direction {
        Direction::In => &message.from,
        Direction::Out => &message.to,
    }
}

/// The conversation a message belongs to: its group's, or the one with
/// the other side.
pub fn chat_of(message: &Message) -> Chat {
    match &message.group {
        Some(group) => Chat::Group(group.id.clone()),
        None => Chat::Peer(peer_of(message).to_string()),
    }
}

#[cfg(test)]
mod tests;
