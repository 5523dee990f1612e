//! What the UI knows about chatd's state, kept apart from both the client
//! and the widgets: the worker's updates go in through [`Model::apply`],
//! the views read it. Everything here is plain data, so it is tested
//! without a window or a daemon.

mod signup;
mod thread;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use chatd_api::{
    ConnectionState, Conversation, Direction, ErrorCode, Event, EventBody, Fingerprint, Message,
    MessageStatus, Status, TrustState, User,
};

use crate::backend::{Command, Failure, Link, Update};
pub use signup::{SignupChecks, check_confirmation, check_password, check_username};
pub use thread::Thread;

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
    /// Which conversation each known message belongs to.
    peer_of: HashMap<String, String>,
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
}

impl Default for Model {
    fn default() -> Self {
        Self {
            link: Link::Connecting,
            status: None,
            threads: BTreeMap::new(),
            peer_of: HashMap::new(),
            online: BTreeSet::new(),
            directory: None,
            own_fingerprint: None,
            fingerprints: HashMap::new(),
            checking: BTreeSet::new(),
            changed_keys: BTreeSet::new(),
            key_alerts: VecDeque::new(),
            auth: Auth::default(),
            notices: VecDeque::new(),
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
            // is unreachable: its history is here and sending queues.
            Some(s)
                if s.username.is_some()
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
        self.online.contains(user)
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

    /// Applies an update; returns commands it makes necessary.
    pub fn apply(&mut self, update: Update) -> Vec<Command> {
        match update {
            Update::Link(link) => {
                if link != Link::Attached {
                    self.auth.busy = false;
                    self.checking.clear();
                }
                self.link = link;
            }
            Update::Status(status) => self.set_status(status),
            Update::Conversations(list) => return self.set_conversations(list),
            Update::History {
                peer,
                before,
                messages,
                complete,
            } => {
                for m in messages {
                    self.merge(m);
                }
                let thread = self.thread_mut(&peer);
                thread.loading_older = false;
                // The newest page says whether there is more only the
                // first time; later pages move the boundary back.
                if before.is_some() || !thread.loaded {
                    thread.has_older = !complete;
                }
                thread.loaded = true;
            }
            Update::Event(event) => return self.apply_event(event),
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
            Update::Sent { to, text, result } => {
                if let Err(failure) = result {
                    if failure.code == Some(ErrorCode::KeyChanged) {
                        self.key_changed(&to);
                    }
                    let thread = self.thread_mut(&to);
                    if thread.draft_back.is_none() {
                        thread.draft_back = Some(text);
                    }
                    thread.send_error = Some(failure.message);
                }
            }
            Update::Trust { user, result } => match result {
                Ok(TrustState::Changed) => {}
                Ok(_) => {
                    self.changed_keys.remove(&user);
                    self.key_alerts.retain(|u| u != &user);
                }
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
            self.peer_of.clear();
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
            let thread = self.thread_mut(&c.peer);
            thread.unread = c.unread;
            if let Some(last) = c.last {
                self.merge(last);
            }
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
            self.key_changed(&fingerprint.user);
        } else {
            self.changed_keys.remove(&fingerprint.user);
        }
        self.fingerprints
            .insert(fingerprint.user.clone(), fingerprint);
    }

    /// Records that `user`'s key changed and asks the person once.
    fn key_changed(&mut self, user: &str) {
        if self.changed_keys.insert(user.to_string()) && !self.key_alerts.iter().any(|u| u == user)
        {
            self.key_alerts.push_back(user.to_string());
        }
    }

    fn apply_event(&mut self, event: Event) -> Vec<Command> {
        match event.body {
            EventBody::Message { message, .. } => {
                let incoming = message.direction == Direction::In;
                let unread = incoming && message.status != MessageStatus::Read;
                let peer = peer_of(&message).to_string();
                if self.merge(message) && unread {
                    self.thread_mut(&peer).unread += 1;
                }
            }
            EventBody::Receipt { id, status } => return self.receipt(&id, status),
            EventBody::Presence { user, online } => {
                if online {
                    self.online.insert(user);
                } else {
                    self.online.remove(&user);
                }
            }
            EventBody::Connection { state } => {
                if let Some(s) = &mut self.status {
                    s.state = state;
                }
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
            EventBody::Security { user, reason } => {
                self.notice(format!(
                    "a message from {user} was refused for safety ({reason})"
                ));
            }
            // Extension kinds (PROTOCOL.md D9), not used here yet.
            EventBody::Trust { .. } | EventBody::Settings { .. } => {}
        }
        Vec::new()
    }

    fn receipt(&mut self, id: &str, status: MessageStatus) -> Vec<Command> {
        let Some(peer) = self.peer_of.get(id).cloned() else {
            // A message we have not loaded: if it was one of ours being
            // read elsewhere, the unread count may be stale.
            return if status == MessageStatus::Read {
                vec![Command::Conversations]
            } else {
                Vec::new()
            };
        };
        let thread = self.thread_mut(&peer);
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
        let peer = peer_of(&message).to_string();
        self.peer_of.insert(message.id.clone(), peer.clone());
        self.thread_mut(&peer).merge(message)
    }
}

/// The other side of a message.
pub fn peer_of(message: &Message) -> &str {
    match message.direction {
        Direction::In => &message.from,
        Direction::Out => &message.to,
    }
}

#[cfg(test)]
mod tests;
