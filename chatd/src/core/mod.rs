//! The daemon's core: the one place that combines the store, the
//! end-to-end engine, the server link and the event hub. Durable state has
//! one owner, the store thread, and every change goes through it in a
//! transaction; ordering comes from two serial pipelines, one for what
//! arrives from the server ([`inbound`]) and one for what leaves the outbox
//! ([`outbound`]). The local-API handlers ([`api`]) only read state, append
//! to the outbox and wake the pipelines, so frontends never wait on the
//! network except for calls that are themselves network requests.

pub mod api;
mod errors;
pub mod inbound;
pub mod outbound;
mod unstored;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use chat_e2e::{Engine, IdentityKey, KeyObservation};
use chat_proto::{Request, ServerMessage, now_ms};
use chatd_api::{ApiError, ErrorCode, EventBody};
use tokio::sync::Notify;

use crate::config::Config;
use crate::hub::Hub;
use crate::link::{Link, LinkError, keys};
use crate::store::Db;

pub use errors::{from_e2e, from_link, from_store};

/// Shared by the API handlers and the pipelines.
pub struct Core {
    /// Resolved configuration.
    pub config: Config,
    /// The store thread.
    pub db: Db,
    /// The server link.
    pub link: Link,
    /// Events to frontends.
    pub hub: Hub,
    /// Our identity key.
    pub identity: Arc<IdentityKey>,
    engine: RwLock<Option<Engine>>,
    online: Mutex<HashMap<String, bool>>,
    /// Wakes the outbox pipeline.
    pub outbox_kick: Notify,
    focus: Mutex<HashMap<u64, String>>,
    learning: Mutex<std::collections::HashSet<String>>,
    learned_tx: tokio::sync::mpsc::Sender<String>,
    learned_rx: Mutex<Option<tokio::sync::mpsc::Receiver<String>>>,
}

impl Core {
    /// Assembles the core; `account` is the stored username, if any.
    pub fn new(
        config: Config,
        db: Db,
        link: Link,
        hub: Hub,
        identity: Arc<IdentityKey>,
        account: Option<String>,
    ) -> Self {
        let engine = account.map(|u| Engine::new(u, identity.clone()));
        let (learned_tx, learned_rx) = tokio::sync::mpsc::channel(1024);
        Self {
            config,
            db,
            link,
            hub,
            identity,
            engine: RwLock::new(engine),
            online: Mutex::new(HashMap::new()),
            outbox_kick: Notify::new(),
            focus: Mutex::new(HashMap::new()),
            learning: Mutex::new(std::collections::HashSet::new()),
            learned_tx,
            learned_rx: Mutex::new(Some(learned_rx)),
        }
    }

    /// Tells the inbound loop that `peer`'s key is now pinned, so it
    /// examines what they sent meanwhile (in its own order, between
    /// deliveries, so nothing held can slip past the retry).
    pub async fn key_learned(&self, peer: &str) {
        let _ = self.learned_tx.send(peer.to_string()).await;
    }

    /// The receiving end of [`Core::key_learned`], taken once by the
    /// inbound loop.
    pub fn take_learned(&self) -> Option<tokio::sync::mpsc::Receiver<String>> {
        self.learned_rx.lock().ok().and_then(|mut r| r.take())
    }

    /// The engine of the account, once there is one.
    pub fn engine(&self) -> Result<Engine, ApiError> {
        self.engine
            .read()
            .ok()
            .and_then(|e| e.clone())
            .ok_or_else(|| {
                ApiError::new(
                    ErrorCode::NotLoggedIn,
                    "no account yet: sign up or log in first",
                )
            })
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
    pub fn bind_account(&self, user: &str) -> Result<(), ApiError> {
        let Ok(mut slot) = self.engine.write() else {
            return Err(ApiError::new(
                ErrorCode::InternalError,
                "engine lock poisoned; restart chatd",
            ));
        };
        match slot.as_ref() {
            Some(e) if e.username() != user => Err(ApiError::new(
                ErrorCode::InvalidInput,
                format!(
                    "this chatd holds the data of {}; run another chatd with its own --data-dir for {user}",
                    e.username()
                ),
            )),
            Some(_) => Ok(()),
            None => {
                *slot = Some(Engine::new(user, self.identity.clone()));
                Ok(())
            }
        }
    }

    /// Whether a peer is online, as far as presence told us.
    pub fn is_online(&self, user: &str) -> bool {
        self.online
            .lock()
            .map(|m| m.get(user).copied().unwrap_or(false))
            .unwrap_or(false)
    }

    /// Records presence.
    pub fn set_online(&self, user: &str, online: bool) {
        if let Ok(mut m) = self.online.lock() {
            m.insert(user.to_string(), online);
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

    /// Whether some frontend shows the conversation with `peer`.
    pub fn is_focused(&self, peer: &str) -> bool {
        self.focus
            .lock()
            .map(|f| f.values().any(|p| p == peer))
            .unwrap_or(false)
    }

    /// Makes sure we hold a pin for `user`, fetching the key from the
    /// server on first contact. Returns what observing the key did.
    pub async fn fetch_key(&self, user: &str) -> Result<KeyObservation, ApiError> {
        let answer = self
            .link
            .request(Request::GetKey {
                username: user.to_string(),
            })
            .await
            .map_err(from_link)?;
        let ServerMessage::Key { public_key, .. } = answer else {
            return Err(from_link(LinkError::Protocol(
                "get_key answered with something else".into(),
            )));
        };
        let engine = self.engine()?;
        let (user2, pem) = (user.to_string(), public_key);
        let observed = self
            .db
            .call(move |tx| Ok(engine.observe_key(tx, &user2, &pem, now_ms())))
            .await
            .map_err(from_store)?
            .map_err(from_e2e)?;
        if observed == KeyObservation::Pinned && user != self.account().unwrap_or_default() {
            // First contact: from now on the server tells us about their
            // presence and key changes.
            inbound::watch(self, vec![user.to_string()]).await;
        }
        if let KeyObservation::Changed { new, .. } = &observed {
            tracing::warn!(peer = %user, "the peer's identity key changed; nothing is sent or accepted until it is trusted");
            let body = EventBody::KeyChanged {
                user: user.to_string(),
                fingerprint: new.clone(),
            };
            let _ = self.hub.publish(body).await;
        }
        Ok(observed)
    }

    /// Claims the key fetch for `peer`; false when one is already running.
    pub fn start_learning(&self, peer: &str) -> bool {
        self.learning
            .lock()
            .map(|mut l| l.insert(peer.to_string()))
            .unwrap_or(false)
    }

    /// Releases the claim taken by [`Core::start_learning`].
    pub fn done_learning(&self, peer: &str) {
        if let Ok(mut l) = self.learning.lock() {
            l.remove(peer);
        }
    }

    /// Fetches the key when no pin exists yet.
    pub async fn ensure_pin(&self, user: &str) -> Result<(), ApiError> {
        let u = user.to_string();
        let has = self
            .db
            .call(move |tx| {
                chat_e2e::PinStore::pin(tx, &u)
                    .map_err(|e| crate::store::StoreError::Db(e.to_string()))
            })
            .await
            .map_err(from_store)?
            .is_some();
        if !has {
            self.fetch_key(user).await?;
        }
        Ok(())
    }

    /// The stored account name (before any login in this run).
    pub async fn stored_account(db: &Db) -> Option<String> {
        db.call(|tx| tx.setting(keys::USERNAME))
            .await
            .ok()
            .flatten()
    }
}
