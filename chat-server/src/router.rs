//! Who is online on this node, who watches whom, and whose delivery loop to
//! wake. Behind a trait so a cross-node bus can take its place when one
//! machine is outgrown; the connection code only ever talks to the trait.
//!
//! Presence goes to watchers only (PROTOCOL.md §1.4), and only on the
//! transitions that matter: a user's first session up, last session down.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chat_proto::ServerMessage;
use tokio::sync::Notify;

use crate::connection::outbound::Outbound;

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
    /// Wakes its delivery loop when mail arrives.
    pub mail: Arc<Notify>,
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
    /// New mail is stored for `user`: wake every live session of theirs.
    fn mail_for(&self, user: &str);
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

impl Router for LocalRouter {
    fn session_up(&self, user: &str, conn: &ConnHandle) {
        let mut inner = self.lock();
        let list = inner.sessions.entry(user.to_string()).or_default();
        let first = list.is_empty();
        list.push(conn.clone());
        if first {
            tell_watchers(&inner, user, &presence(user, true));
        }
    }

    fn session_down(&self, user: &str, conn: ConnId) {
        let mut inner = self.lock();
        let Some(list) = inner.sessions.get_mut(user) else {
            return;
        };
        let before = list.len();
        list.retain(|c| c.id != conn);
        if list.is_empty() {
            inner.sessions.remove(user);
            if before > 0 {
                tell_watchers(&inner, user, &presence(user, false));
            }
        }
    }

    fn is_online(&self, user: &str) -> bool {
        self.lock().sessions.contains_key(user)
    }

    fn online_users(&self, prefix: &str, after: Option<&str>, limit: usize) -> Vec<String> {
        let inner = self.lock();
        let start = match after {
            Some(a) if a >= prefix => std::ops::Bound::Excluded(a.to_string()),
            _ => std::ops::Bound::Included(prefix.to_string()),
        };
        inner
            .sessions
            .range((start, std::ops::Bound::Unbounded))
            .map(|(name, _)| name)
            .take_while(|name| name.starts_with(prefix))
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
            conn.mail.notify_one();
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
        let inner = self.lock();
        let msg = ServerMessage::KeyChanged {
            username: user.to_string(),
            fingerprint: fingerprint.to_string(),
        };
        tell_watchers(&inner, user, &msg);
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
