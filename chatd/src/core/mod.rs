//! The daemon's core: the one place that combines the store, the
//! end-to-end engine, the server link and the event hub. Durable state has
//! one owner, the store thread, and every change goes through it in a
//! transaction; ordering comes from two serial pipelines, one for what
//! arrives from the server ([`inbound`]) and one for what leaves the outbox
//! ([`outbound`]). What chatd knows about other people (pins, presence,
//! key fetches) lives in [`peers`]. The local-API handlers ([`api`]) only
//! read state, append to the outbox and wake the pipelines, so frontends
//! never wait on the network except for calls that are themselves network
//! requests.
//!
//! `Core`'s fields are private: the other layers reach the parts through
//! accessors, and each piece of runtime state is owned by the module that
//! keeps its rules. The server link is a [`ServerLink`] trait object, so
//! the whole core runs in-process in tests (`core/tests/`).

pub mod api;
mod errors;
pub mod files;
pub mod groups;
pub mod inbound;
mod notices;
pub mod outbound;
pub mod peers;
mod runs;
pub mod typing;
mod unstored;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chat_e2e::{Engine, IdentityKey};

use crate::config::Config;
use crate::hub::Hub;
use crate::link::{ServerLink, keys};
use crate::store::Db;

pub use errors::CoreError;
use outbound::Outbox;
use peers::Peers;

/// Shared by the API handlers and the pipelines.
pub struct Core {
    config: Config,
    db: Db,
    link: Arc<dyn ServerLink>,
    hub: Hub,
    identity: Arc<IdentityKey>,
    engine: RwLock<Option<Engine>>,
    peers: Peers,
    outbox: Outbox,
    groups: groups::Groups,
    /// File transfers' runtime side.
    files: files::Files,
    /// The conversation each frontend connection shows, by connection id.
    focus: Mutex<HashMap<u64, String>>,
    /// When a typing indicator last left, per conversation.
    typing: typing::Coalesce,
    /// The timestamp of the last message this daemon wrote (see
    /// [`Core::next_send_ts`]).
    last_send_ts: std::sync::atomic::AtomicI64,
}

impl Core {
    /// Assembles the core; `account` is the stored username, if any.
    pub fn new(
        config: Config,
        db: Db,
        link: Arc<dyn ServerLink>,
        hub: Hub,
        identity: Arc<IdentityKey>,
        account: Option<String>,
    ) -> Self {
        let engine = account.map(|u| Engine::new(u, identity.clone()));
        Self {
            config,
            db,
            link,
            hub,
            identity,
            engine: RwLock::new(engine),
            peers: Peers::new(),
            outbox: Outbox::new(),
            groups: groups::Groups::new(),
            files: files::Files::new(),
            focus: Mutex::new(HashMap::new()),
            typing: typing::Coalesce::default(),
            last_send_ts: std::sync::atomic::AtomicI64::new(0),
        }
    }

    /// The timestamp for a message written now: the clock, but always
    /// after the previous message's, so that messages written within one
    /// millisecond keep the order they were written in under the timeline
    /// rule `(ts, id)` (docs/PROTOCOL.md, domain rules), here and at the
    /// recipient.
    pub fn next_send_ts(&self) -> i64 {
        use std::sync::atomic::Ordering;
        let now = chat_proto::now_ms();
        let prev = self
            .last_send_ts
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .unwrap_or(now);
        now.max(prev + 1)
    }

    /// Resolved configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store thread.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The server link.
    pub fn link(&self) -> &dyn ServerLink {
        self.link.as_ref()
    }

    /// Events to frontends.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// File transfers' runtime side.
    pub fn files(&self) -> &files::Files {
        &self.files
    }

    /// Our identity key.
    pub fn identity(&self) -> &Arc<IdentityKey> {
        &self.identity
    }

    /// The typing indicators' coalescing clock.
    fn typing(&self) -> &typing::Coalesce {
        &self.typing
    }

    /// Wakes the outbox pipeline (something was queued, or may move now).
    pub fn kick_outbox(&self) {
        self.outbox.kick();
    }

    /// Waits, briefly, until the after-login chores of the current session
    /// are done (our own key compared with the server's, pins re-checked);
    /// false when they did not finish in time.
    pub async fn chores_done(&self) -> bool {
        let session = self.link.state().session;
        self.outbox.chores_done(session).await
    }

    /// The engine of the account, once there is one.
    pub fn engine(&self) -> Result<Engine, CoreError> {
        self.engine
            .read()
            .ok()
            .and_then(|e| e.clone())
            .ok_or(CoreError::NoAccount)
    }

    /// The account this daemon's data belongs to.
    pub fn account(&self) -> Option<String> {
        self.engine
            .read()
            .ok()
            .and_then(|e| e.as_ref().map(|e| e.username().to_string()))
    }

    /// Binds the daemon to `user` on first login; refuses another account
    /// later, since history and keys belong to the first.
    pub fn bind_account(&self, user: &str) -> Result<(), CoreError> {
        let Ok(mut slot) = self.engine.write() else {
            return Err(CoreError::Internal(
                "engine lock poisoned; restart chatd".into(),
            ));
        };
        match slot.as_ref() {
            Some(e) if e.username() != user => Err(CoreError::OtherAccount {
                held: e.username().to_string(),
                wanted: user.to_string(),
            }),
            Some(_) => Ok(()),
            None => {
                *slot = Some(Engine::new(user, self.identity.clone()));
                Ok(())
            }
        }
    }

    /// Records the conversation a frontend connection shows (None clears).
    pub fn set_focus(&self, conn: u64, peer: Option<String>) {
        if let Ok(mut f) = self.focus.lock() {
            match peer {
                Some(p) => f.insert(conn, p),
                None => f.remove(&conn),
            };
        }
    }

    /// Whether some frontend shows the conversation with `peer` (a user,
    /// or a group id).
    pub fn is_focused(&self, peer: &str) -> bool {
        self.focus
            .lock()
            .map(|f| f.values().any(|p| p == peer))
            .unwrap_or(false)
    }

    /// Every conversation some frontend shows now (peers and group ids).
    pub fn focused_now(&self) -> std::collections::HashSet<String> {
        self.focus
            .lock()
            .map(|f| f.values().cloned().collect())
            .unwrap_or_default()
    }

    /// The stored account name (before any login in this run).
    pub async fn stored_account(db: &Db) -> Option<String> {
        db.call(|tx| tx.setting(keys::USERNAME))
            .await
            .ok()
            .flatten()
    }
}
