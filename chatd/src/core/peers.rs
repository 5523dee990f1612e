//! Other people, as chatd knows them: their pinned identity keys (fetched
//! on first contact, re-fetched on every login or resume so that a change
//! made while chatd was away is noticed like a `key_changed` push), their
//! presence, the key fetches in flight, and the channel that tells the
//! inbound loop that a sender's key has arrived. The state is private to
//! this module; the rest of the core goes through the methods below.
//!
//! Our own account is the one exception to trust on first use: its pin is
//! always this daemon's identity key, never what the server says. The
//! server's key for our account is only compared with ours, and a
//! difference (someone logged in to the account with another key, or the
//! server lies) raises a `security` event with reason
//! [`OWN_KEY_MISMATCH`] and stops notes to self until it is resolved.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chat_e2e::{KeyObservation, Pin, PinState, PinStore, PublicIdentity};
use chat_proto::{Request, ServerMessage, now_ms};
use chatd_api::{EventBody, NoticeKind, TrustState};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::notices::record_trust;
use super::{Core, CoreError};
use crate::link::LinkError;
use crate::store::StoreError;

/// The `security` reason raised when the server's key for our own account
/// is not our identity key.
pub const OWN_KEY_MISMATCH: &str = "own_key_mismatch";
/// Key fetches in flight at once when re-checking every pin after login.
const REFRESH_CONCURRENCY: usize = 8;
/// Users per `watch` request (the server caps a connection at 1,000).
const WATCH_BATCH: usize = 500;
/// Peers whose key arrived, queued for the inbound loop.
const LEARNED_CAPACITY: usize = 1024;

/// The runtime state about peers (pins themselves are in the store).
pub struct Peers {
    online: Mutex<HashMap<String, bool>>,
    learning: Mutex<HashSet<String>>,
    learned_tx: mpsc::Sender<String>,
    learned_rx: Mutex<Option<mpsc::Receiver<String>>>,
    /// Fingerprint of the foreign key the server last gave for our own
    /// account; `None` while it gives ours.
    own_key_mismatch: Mutex<Option<String>>,
}

impl Peers {
    /// Nothing known yet.
    pub fn new() -> Self {
        let (learned_tx, learned_rx) = mpsc::channel(LEARNED_CAPACITY);
        Self {
            online: Mutex::new(HashMap::new()),
            learning: Mutex::new(HashSet::new()),
            learned_tx,
            learned_rx: Mutex::new(Some(learned_rx)),
            own_key_mismatch: Mutex::new(None),
        }
    }
}

impl Default for Peers {
    fn default() -> Self {
        Self::new()
    }
}

impl Core {
    /// Tells the inbound loop that `peer`'s key is now pinned, so it
    /// examines what they sent meanwhile (in its own order, between
    /// deliveries, so nothing held can slip past the retry).
    pub async fn key_learned(&self, peer: &str) {
        let _ = self.peers.learned_tx.send(peer.to_string()).await;
    }

    /// The receiving end of [`Core::key_learned`], taken once by the
    /// inbound loop.
    pub fn take_learned(&self) -> Option<mpsc::Receiver<String>> {
        self.peers.learned_rx.lock().ok().and_then(|mut r| r.take())
    }

    /// Whether a peer is online, as far as presence told us; false while
    /// chatd is not logged in (what it heard before is stale then).
    pub fn is_online(&self, user: &str) -> bool {
        if self.link.state().conn != chatd_api::ConnectionState::LoggedIn {
            return false;
        }
        self.peers
            .online
            .lock()
            .map(|m| m.get(user).copied().unwrap_or(false))
            .unwrap_or(false)
    }

    /// Everyone presence says is online now (empty while not logged in).
    pub fn online_now(&self) -> HashSet<String> {
        if self.link.state().conn != chatd_api::ConnectionState::LoggedIn {
            return HashSet::new();
        }
        self.peers
            .online
            .lock()
            .map(|m| {
                m.iter()
                    .filter(|(_, on)| **on)
                    .map(|(u, _)| u.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Records presence.
    pub fn set_online(&self, user: &str, online: bool) {
        if let Ok(mut m) = self.peers.online.lock() {
            m.insert(user.to_string(), online);
        }
    }

    /// Claims the key fetch for `peer`; false when one is already running.
    pub fn start_learning(&self, peer: &str) -> bool {
        self.peers
            .learning
            .lock()
            .map(|mut l| l.insert(peer.to_string()))
            .unwrap_or(false)
    }

    /// Releases the claim taken by [`Core::start_learning`].
    pub fn done_learning(&self, peer: &str) {
        if let Ok(mut l) = self.peers.learning.lock() {
            l.remove(peer);
        }
    }

    fn is_me(&self, user: &str) -> bool {
        self.account().as_deref() == Some(user)
    }

    /// Asks the server for `user`'s key and records it: pins it on first
    /// contact (and starts watching them), or marks the pin `changed` and
    /// tells frontends. For our own account the key is only compared with
    /// ours ([`CoreError::OwnKeyMismatch`] when it differs).
    pub async fn fetch_key(&self, user: &str) -> Result<KeyObservation, CoreError> {
        let answer = self
            .link
            .request(Request::GetKey {
                username: user.to_string(),
            })
            .await?;
        let ServerMessage::Key { public_key, .. } = answer else {
            return Err(LinkError::Protocol("get_key answered with something else".into()).into());
        };
        if self.is_me(user) {
            self.compare_own_key(user, &public_key).await?;
            return Ok(KeyObservation::Unchanged(PinState::Verified));
        }
        let engine = self.engine()?;
        let (user2, pem) = (user.to_string(), public_key);
        let (observed, events) = self
            .db
            .run(move |tx| {
                let now = now_ms();
                let observed = engine.observe_key(tx, &user2, &pem, now)?;
                let mut events = Vec::new();
                match &observed {
                    KeyObservation::Changed { new, .. } => {
                        events.push(tx.append_event(
                            &EventBody::KeyChanged {
                                user: user2.clone(),
                                fingerprint: new.clone(),
                            },
                            now,
                        )?);
                        events.push(record_trust(
                            tx,
                            &user2,
                            TrustState::Changed,
                            new,
                            Some(NoticeKind::KeyChanged),
                            now,
                        )?);
                    }
                    KeyObservation::Pinned | KeyObservation::Reverted => {
                        if let Some(pin) = PinStore::pin(tx, &user2).map_err(StoreError::from)? {
                            events.push(record_trust(
                                tx,
                                &user2,
                                TrustState::Unverified,
                                &pin.fingerprint,
                                None,
                                now,
                            )?);
                        }
                    }
                    KeyObservation::Unchanged(_) => {}
                }
                Ok::<_, CoreError>((observed, events))
            })
            .await?;
        self.hub.announce(events);
        if observed == KeyObservation::Pinned {
            // First contact: from now on the server tells us about their
            // presence and key changes.
            self.watch(vec![user.to_string()]).await;
        }
        if let KeyObservation::Changed { .. } = &observed {
            tracing::warn!(peer = %user, "the peer's identity key changed; nothing is sent or accepted until it is trusted");
        }
        Ok(observed)
    }

    /// Makes sure we hold a pin for `user`, fetching the key from the
    /// server on first contact. Our own pin is our identity key; while the
    /// server holds another key for our account this refuses
    /// ([`CoreError::OwnKeyMismatch`]), so nothing is sent to ourselves.
    pub async fn ensure_pin(&self, user: &str) -> Result<(), CoreError> {
        if self.is_me(user) {
            self.pin_own_key().await?;
            return match self.own_key_mismatch() {
                Some(e) => Err(e),
                None => Ok(()),
            };
        }
        let u = user.to_string();
        let has = self
            .db
            .call(move |tx| Ok(PinStore::pin(tx, &u)?.is_some()))
            .await?;
        if !has {
            self.fetch_key(user).await?;
        }
        Ok(())
    }

    /// The refusal to send to ourselves while the server holds another key
    /// for our account, if it does.
    pub fn own_key_mismatch(&self) -> Option<CoreError> {
        let server = self.peers.own_key_mismatch.lock().ok()?.clone()?;
        Some(CoreError::OwnKeyMismatch {
            user: self.account().unwrap_or_default(),
            server,
            local: self.identity.fingerprint().to_string(),
        })
    }

    /// Writes our own pin: our identity key, verified. Replaces whatever
    /// else is there (an older chatd pinned the server's word for it).
    pub async fn pin_own_key(&self) -> Result<(), CoreError> {
        let me = self.engine()?.username().to_string();
        let own = self.identity.public().clone();
        let replaced = self
            .db
            .call(move |tx| {
                let current = PinStore::pin(tx, &me)?;
                if current.as_ref().is_some_and(|p| {
                    p.fingerprint == own.fingerprint()
                        && p.state == PinState::Verified
                        && p.pending.is_none()
                }) {
                    return Ok(false);
                }
                let mut pin = Pin::new(&me, &own, now_ms());
                pin.state = PinState::Verified;
                tx.put_pin(&pin).map_err(StoreError::from)?;
                Ok(current.is_some())
            })
            .await?;
        if replaced {
            tracing::warn!("our own pin was not our identity key; it is now");
        }
        Ok(())
    }

    /// Compares the key the server gave for our account with ours.
    async fn compare_own_key(&self, me: &str, pem: &str) -> Result<(), CoreError> {
        let server = PublicIdentity::from_pem(pem)
            .map_err(|e| LinkError::Protocol(format!("the server's key for us is unusable: {e}")))?
            .fingerprint()
            .to_string();
        let local = self.identity.fingerprint().to_string();
        // Whether this foreign key is news (the lock is not held across
        // the await below).
        let new = {
            let Ok(mut seen) = self.peers.own_key_mismatch.lock() else {
                return Err(CoreError::Internal("peers lock poisoned".into()));
            };
            if server == local {
                if seen.take().is_some() {
                    tracing::info!("the server holds our own identity key again");
                }
                return Ok(());
            }
            seen.replace(server.clone()).as_deref() != Some(server.as_str())
        };
        if new {
            tracing::warn!(
                server = %server,
                local = %local,
                "the server holds another identity key for our own account; notes to self are refused"
            );
            let body = EventBody::Security {
                user: me.to_string(),
                reason: chatd_api::SecurityReason::OwnKeyMismatch,
                group: None,
            };
            if let Err(e) = self.hub.publish(body).await {
                tracing::error!(error = %e, "cannot record a security event");
            }
        }
        Err(CoreError::OwnKeyMismatch {
            user: me.to_string(),
            server,
            local,
        })
    }

    /// Asks the server for our own account's key and compares it with
    /// ours (after every login and resume, and on a `key_changed` push
    /// about ourselves).
    pub async fn check_own_key(&self) -> Result<(), CoreError> {
        let me = self.account().ok_or(CoreError::NoAccount)?;
        self.fetch_key(&me).await.map(|_| ())
    }

    /// Re-fetches the key of every pinned peer, a few at a time, so that a
    /// key changed while chatd was away is treated like a `key_changed`
    /// push (PROTOCOL.md §2: the server's key differs from the pin).
    pub async fn refresh_pins(self: &Arc<Self>) -> Result<(), CoreError> {
        let me = self.account();
        let pinned = self.db.call(|tx| tx.pinned_users()).await?;
        let mut running = JoinSet::new();
        for user in pinned.into_iter().filter(|u| Some(u) != me.as_ref()) {
            while running.len() >= REFRESH_CONCURRENCY {
                running.join_next().await;
            }
            let core = self.clone();
            running.spawn(async move {
                if let Err(e) = core.fetch_key(&user).await {
                    tracing::warn!(peer = %user, error = %e, "cannot re-check the key");
                }
            });
        }
        while running.join_next().await.is_some() {}
        Ok(())
    }

    /// Watches `users`, recording their presence and telling frontends
    /// at once (a `presence` event per user from `watch_ok`), so what they
    /// show after a (re)login is the server's word, not what was known
    /// before the link went down.
    pub async fn watch(&self, users: Vec<String>) {
        for batch in users.chunks(WATCH_BATCH) {
            let request = Request::Watch {
                users: batch.to_vec(),
            };
            match self.link.request(request).await {
                Ok(ServerMessage::WatchOk { users }) => {
                    let mut bodies = Vec::with_capacity(users.len());
                    for u in users {
                        self.set_online(&u.username, u.online);
                        bodies.push(EventBody::Presence {
                            user: u.username,
                            online: u.online,
                        });
                    }
                    let now = now_ms();
                    let events = self
                        .db
                        .call(move |tx| {
                            bodies
                                .iter()
                                .map(|b| tx.append_event(b, now))
                                .collect::<Result<Vec<_>, _>>()
                        })
                        .await;
                    match events {
                        Ok(events) => self.hub.announce(events),
                        Err(e) => tracing::error!(error = %e, "cannot record presence events"),
                    }
                }
                Ok(other) => tracing::debug!(answer = ?other, "unexpected answer to watch"),
                Err(e) => tracing::warn!(error = %e, "watch failed"),
            }
        }
    }

    /// Fetches a sender's key if we have none (which watches them), then has
    /// the inbound loop examine what they sent meanwhile. One such task per
    /// peer at a time.
    pub fn learn_peer(self: &Arc<Self>, peer: &str) {
        if !self.start_learning(peer) {
            return;
        }
        let (core, peer) = (self.clone(), peer.to_string());
        tokio::spawn(async move {
            // A first pin also starts watching them (Core::fetch_key). What
            // we sent ourselves is opened with our own key, whatever the
            // server says about our account.
            let pinned = if core.is_me(&peer) {
                core.pin_own_key().await
            } else {
                core.ensure_pin(&peer).await
            };
            match pinned {
                Ok(()) => core.key_learned(&peer).await,
                Err(e) => {
                    tracing::warn!(peer = %peer, error = %e, "cannot fetch the key; what they sent waits")
                }
            }
            core.done_learning(&peer);
        });
    }
}
