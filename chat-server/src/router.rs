//! Who is online on this node, who watches whom, and whose delivery loop to
//! wake. Behind a trait so a cross-node bus can take its place when one
//! machine is outgrown; the connection code only ever talks to the trait.
//!
//! Presence goes to watchers only (PROTOCOL.md §1.4), and only on the
//! transitions that matter: a user's first session up, last session down.
//! In a cluster (`crate::cluster`) "first" and "last" count the sessions
//! on other nodes too: the set of users online elsewhere lives under the
//! same lock as this node's sessions, so a local login and a refresh of
//! that set can never both announce (or both miss) one transition.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::connection::outbound::Outbound;
use crate::delivery::MailSlot;
use crate::store::StoredMessage;
use chat_proto::ServerMessage;

/// Identifies one connection for the life of the process.
pub type ConnId = u64;

/// What the router may do to a connection: push frames to it, wake its
/// delivery loop, end it.
#[derive(Clone, Debug)]
pub struct ConnHandle {
    /// The connection.
    pub id: ConnId,
    /// Its outbound queue.
    pub out: Outbound,
    /// Its delivery loop's mail slot.
    pub mail: Arc<MailSlot>,
}

/// Routing of live events between connections.
pub trait Router: Send + Sync + 'static {
    /// `user` logged in on `conn`; watchers hear of it if it is the first.
    fn session_up(&self, user: &str, conn: &ConnHandle);
    /// `user`'s session on `conn` ended; watchers hear if it was the last.
    fn session_down(&self, user: &str, conn: ConnId);
    /// Whether `user` has a live session.
    fn is_online(&self, user: &str) -> bool;
    /// Online users starting with `prefix`, sorted, after `after`, at most `limit`.
    fn online_users(&self, prefix: &str, after: Option<&str>, limit: usize) -> Vec<String>;
    /// Adds `users` to `watcher`'s watch set, unless the set would then
    /// hold more than `max` users; returns whether it added them.
    fn watch(&self, watcher: &ConnHandle, users: &[String], max: usize) -> bool;
    /// Removes `users` from `watcher`'s watch set.
    fn unwatch(&self, watcher: ConnId, users: &[String]);
    /// Drops everything `watcher` watched (the connection closed).
    fn forget_watcher(&self, watcher: ConnId);
    /// New mail is stored for `user`: wake every live session of theirs
    /// to read it from the store.
    fn mail_for(&self, user: &str);
    /// `msg` was committed for `user`, by this node's store, after every
    /// message handed over before it: hand it to their live sessions here
    /// ([`crate::store::CommitSink`]). Runs on the store's writer thread.
    fn committed(&self, user: &str, msg: &StoredMessage) {
        let _ = msg;
        self.mail_for(user);
    }
    /// Queues `msg` (an ephemeral envelope) on every live session of
    /// `user` that has room for it, at once; returns whether any took it.
    /// A full queue drops it without closing anything.
    fn pass_on(&self, user: &str, msg: &ServerMessage) -> bool;
    /// `user` registered a new identity key: tell their watchers.
    fn key_changed(&self, user: &str, fingerprint: &str);
    /// Ends `user`'s sessions other than `except`, telling them why.
    fn end_sessions(&self, user: &str, except: ConnId, reason: &str);
}

#[derive(Default)]
struct Inner {
    sessions: BTreeMap<String, Vec<ConnHandle>>,
    watchers: HashMap<String, HashMap<ConnId, ConnHandle>>,
    watching: HashMap<ConnId, HashSet<String>>,
    /// Users with a session on another node (always empty on one node).
    elsewhere: BTreeSet<String>,
}

impl Inner {
    fn online(&self, user: &str) -> bool {
        self.sessions.contains_key(user) || self.elsewhere.contains(user)
    }
}

/// The in-process router of a single-node server.
#[derive(Default)]
pub struct LocalRouter {
    inner: Mutex<Inner>,
}

impl LocalRouter {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves only plain maps behind;
        // carrying on with them is better than taking every connection down.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn tell_watchers(inner: &Inner, user: &str, msg: &ServerMessage) {
    if let Some(watchers) = inner.watchers.get(user) {
        for w in watchers.values() {
            w.out.push(msg);
        }
    }
}

fn presence(user: &str, online: bool) -> ServerMessage {
    ServerMessage::Presence {
        username: user.to_string(),
        online,
        ts: chat_proto::now_ms(),
    }
}

impl LocalRouter {
    /// Adds the session; returns whether it is the user's first on this
    /// node (the cluster then records and announces it).
    pub(crate) fn add_session(&self, user: &str, conn: &ConnHandle) -> bool {
        let mut inner = self.lock();
        let was_online = inner.online(user);
        let list = inner.sessions.entry(user.to_string()).or_default();
        let first = list.is_empty();
        list.push(conn.clone());
        if !was_online {
            tell_watchers(&inner, user, &presence(user, true));
        }
        first
    }

    /// Removes the session; returns whether it was the user's last on this
    /// node.
    pub(crate) fn remove_session(&self, user: &str, conn: ConnId) -> bool {
        let mut inner = self.lock();
        let Some(list) = inner.sessions.get_mut(user) else {
            return false;
        };
        let before = list.len();
        list.retain(|c| c.id != conn);
        if !list.is_empty() || before == 0 {
            return false;
        }
        inner.sessions.remove(user);
        if !inner.online(user) {
            tell_watchers(&inner, user, &presence(user, false));
        }
        true
    }

    /// Replaces the set of users online on other nodes, telling watchers of
    /// every user whose state (counting this node's sessions) changed.
    pub(crate) fn set_elsewhere(&self, users: BTreeSet<String>) {
        let mut inner = self.lock();
        let old = std::mem::replace(&mut inner.elsewhere, users);
        for user in old.symmetric_difference(&inner.elsewhere) {
            if !inner.sessions.contains_key(user) {
                let online = inner.elsewhere.contains(user);
                tell_watchers(&inner, user, &presence(user, online));
            }
        }
    }

    /// Whether `user` is online on another node, as last refreshed.
    pub(crate) fn is_elsewhere(&self, user: &str) -> bool {
        self.lock().elsewhere.contains(user)
    }

    /// Users with a session on this node, each with their connections.
    pub(crate) fn local_sessions(&self) -> Vec<(String, Vec<ConnId>)> {
        self.lock()
            .sessions
            .iter()
            .map(|(u, list)| (u.clone(), list.iter().map(|c| c.id).collect()))
            .collect()
    }

    /// Wakes the delivery loop of every session on this node (the slow
    /// poll that makes up for lost wake-ups).
    pub(crate) fn wake_all(&self) {
        let inner = self.lock();
        for conn in inner.sessions.values().flatten() {
            conn.mail.ring();
        }
    }

    /// Tells `user`'s watchers on this node that their key changed.
    pub(crate) fn tell_key_changed(&self, user: &str, fingerprint: &str) {
        let inner = self.lock();
        let msg = ServerMessage::KeyChanged {
            username: user.to_string(),
            fingerprint: fingerprint.to_string(),
        };
        tell_watchers(&inner, user, &msg);
    }
}

/// The first `limit` names in `names` after `start` that begin with `prefix`.
fn names_in<'a>(
    names: impl Iterator<Item = &'a String>,
    prefix: &str,
    limit: usize,
) -> impl Iterator<Item = &'a String> {
    names.take_while(move |n| n.starts_with(prefix)).take(limit)
}

impl Router for LocalRouter {
    fn session_up(&self, user: &str, conn: &ConnHandle) {
        self.add_session(user, conn);
    }

    fn session_down(&self, user: &str, conn: ConnId) {
        self.remove_session(user, conn);
    }

    fn is_online(&self, user: &str) -> bool {
        self.lock().online(user)
    }

    fn online_users(&self, prefix: &str, after: Option<&str>, limit: usize) -> Vec<String> {
        let inner = self.lock();
        let start = match after {
            Some(a) if a >= prefix => std::ops::Bound::Excluded(a.to_string()),
            _ => std::ops::Bound::Included(prefix.to_string()),
        };
        let range = (start, std::ops::Bound::Unbounded);
        let here = names_in(
            inner
                .sessions
                .range::<String, _>(range.clone())
                .map(|(n, _)| n),
            prefix,
            limit,
        );
        // The first `limit` of the union are among the first `limit` of each.
        let there = names_in(inner.elsewhere.range::<String, _>(range), prefix, limit);
        here.chain(there)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .take(limit)
            .cloned()
            .collect()
    }

    fn watch(&self, watcher: &ConnHandle, users: &[String], max: usize) -> bool {
        let mut inner = self.lock();
        let current = inner.watching.get(&watcher.id);
        let new = users
            .iter()
            .filter(|u| current.is_none_or(|set| !set.contains(*u)))
            .collect::<HashSet<_>>()
            .len();
        if current.map_or(0, HashSet::len) + new > max {
            return false;
        }
        for user in users {
            inner
                .watchers
                .entry(user.clone())
                .or_default()
                .insert(watcher.id, watcher.clone());
            inner
                .watching
                .entry(watcher.id)
                .or_default()
                .insert(user.clone());
        }
        true
    }

    fn unwatch(&self, watcher: ConnId, users: &[String]) {
        let mut inner = self.lock();
        for user in users {
            if let Some(set) = inner.watchers.get_mut(user) {
                set.remove(&watcher);
                if set.is_empty() {
                    inner.watchers.remove(user);
                }
            }
            if let Some(set) = inner.watching.get_mut(&watcher) {
                set.remove(user);
            }
        }
    }

    fn forget_watcher(&self, watcher: ConnId) {
        let users: Vec<String> = {
            let mut inner = self.lock();
            inner
                .watching
                .remove(&watcher)
                .map(|s| s.into_iter().collect())
                .unwrap_or_default()
        };
        self.unwatch(watcher, &users);
    }

    fn mail_for(&self, user: &str) {
        let inner = self.lock();
        for conn in inner.sessions.get(user).into_iter().flatten() {
            conn.mail.ring();
        }
    }

    fn committed(&self, user: &str, msg: &StoredMessage) {
        let inner = self.lock();
        for conn in inner.sessions.get(user).into_iter().flatten() {
            conn.mail.hand_over(msg);
        }
    }

    fn pass_on(&self, user: &str, msg: &ServerMessage) -> bool {
        let inner = self.lock();
        let mut taken = false;
        for conn in inner.sessions.get(user).into_iter().flatten() {
            taken |= conn.out.offer(msg);
        }
        taken
    }

    fn key_changed(&self, user: &str, fingerprint: &str) {
        self.tell_key_changed(user, fingerprint);
    }

    fn end_sessions(&self, user: &str, except: ConnId, reason: &str) {
        let inner = self.lock();
        let msg = ServerMessage::error(chat_proto::ErrorCode::NotAuthenticated, reason);
        for conn in inner
            .sessions
            .get(user)
            .into_iter()
            .flatten()
            .filter(|c| c.id != except)
        {
            conn.out.push(&msg);
            conn.out.close();
        }
    }
}
