//! Turning a payload into envelopes. The per-message path is AES only; the
//! one RSA step (making and signing a new sending key) is split out as a
//! [`SessionKeyJob`] the daemon runs on its blocking pool, with cheap
//! state-changing steps on either side of it.

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::engine::Engine;
use crate::envelope::Envelope;
use crate::error::E2eError;
use crate::identity::{IdentityKey, PublicIdentity};
use crate::payload::{Payload, new_id};
use crate::pins::PinState;
use crate::session::{Route, SecretKey, seal_msg, seal_session_key};
use crate::store::{E2eStore, SendingKey};

/// What [`Engine::encrypt`] produced.
#[derive(Debug)]
pub enum Outgoing {
    /// Send these envelopes to the peer, in this order: a `session_key`
    /// (while the key is unconfirmed) then the `msg`. The sending key's
    /// sequence number was already advanced in the store.
    Ready(Vec<Envelope>),
    /// A new sending key is needed first: run the job off the async
    /// workers, pass its result to [`Engine::install_sending_key`], then
    /// call [`Engine::encrypt`] again. Nothing was written.
    NeedsSessionKey(SessionKeyJob),
}

/// The RSA part of a key rotation: OAEP to the peer, PSS with our key.
/// `Send + 'static`, for `spawn_blocking`.
#[derive(Debug)]
pub struct SessionKeyJob {
    identity: Arc<IdentityKey>,
    me: String,
    peer: String,
    recipient: PublicIdentity,
    now_ms: i64,
}

/// A signed sending key, ready to be installed.
#[derive(Debug)]
pub struct NewSendingKey(SendingKey);

impl NewSendingKey {
    /// The peer it is for.
    pub fn peer(&self) -> &str {
        &self.0.peer
    }
}

impl SessionKeyJob {
    /// The peer the key is for.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// Makes a fresh key and id, wraps and signs them. Slow (RSA).
    pub fn run(self) -> Result<NewSendingKey, E2eError> {
        let key_id = new_id()?.to_string();
        let key = SecretKey::generate()?;
        let route = Route {
            from: &self.me,
            to: &self.peer,
        };
        let announcement = seal_session_key(&self.identity, &self.recipient, route, &key_id, &key)?;
        Ok(NewSendingKey(SendingKey {
            peer: self.peer,
            key_id,
            key,
            next_seq: 1,
            created_ms: self.now_ms,
            own_fingerprint: self.identity.fingerprint().to_string(),
            peer_fingerprint: self.recipient.fingerprint().to_string(),
            announcement,
            confirmed: false,
            unconfirmed_ids: Vec::new(),
        }))
    }
}

impl Engine {
    /// Encrypts `payload` to `to`. Fails with [`E2eError::UnknownPeer`]
    /// without a pin and [`E2eError::PeerKeyChanged`] while the peer's key
    /// is changed. Cheap (AES) unless it returns a job.
    pub fn encrypt<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        to: &str,
        payload: &Payload,
        now_ms: i64,
    ) -> Result<Outgoing, E2eError> {
        let plaintext = Zeroizing::new(payload.to_bytes()?);
        let peer = self.sendable_peer(store, to)?;
        match store.sending_key(to)? {
            Some(key) if !self.needs_rotation(&key, &peer, now_ms) => self
                .seal_with(store, key, payload, &plaintext)
                .map(Outgoing::Ready),
            _ => Ok(Outgoing::NeedsSessionKey(SessionKeyJob {
                identity: Arc::clone(&self.identity),
                me: self.me.clone(),
                peer: to.to_string(),
                recipient: peer,
                now_ms,
            })),
        }
    }

    /// Stores a key made by [`SessionKeyJob::run`] as the sending key to its
    /// peer. Returns false, storing nothing, when it is no longer wanted:
    /// the peer's pin changed meanwhile, or another fresh key was installed
    /// first. Either way, call [`Engine::encrypt`] again.
    pub fn install_sending_key<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        new: NewSendingKey,
        now_ms: i64,
    ) -> Result<bool, E2eError> {
        let key = new.0;
        let peer = self.sendable_peer(store, &key.peer)?;
        if self.needs_rotation(&key, &peer, now_ms) {
            return Ok(false);
        }
        if let Some(current) = store.sending_key(&key.peer)?
            && !self.needs_rotation(&current, &peer, now_ms)
        {
            return Ok(false);
        }
        store.put_sending_key(&key)?;
        Ok(true)
    }

    /// Whether a payload to `to` would be sealed now as one `msg` and
    /// nothing else: its pin is not changed, and its sending key exists,
    /// is fresh, and was confirmed by `to` (D5). For ephemeral payloads
    /// (typing, §4.1), which must never cause a `session_key` to be sent:
    /// when this is true, [`Engine::encrypt`] at the same `now_ms` in the
    /// same store answers `Outgoing::Ready` with exactly one `msg`. Reads
    /// only; false, not an error, for a peer without a pin.
    pub fn has_confirmed_key<S: E2eStore + ?Sized>(
        &self,
        store: &S,
        to: &str,
        now_ms: i64,
    ) -> Result<bool, E2eError> {
        let peer = match self.sendable_peer(store, to) {
            Ok(peer) => peer,
            Err(E2eError::UnknownPeer(_) | E2eError::PeerKeyChanged(_)) => return Ok(false),
            Err(e) => return Err(e),
        };
        Ok(store
            .sending_key(to)?
            .is_some_and(|key| key.confirmed && !self.needs_rotation(&key, &peer, now_ms)))
    }

    /// [`Engine::encrypt`] with any RSA step run inline: for callers already
    /// off the async workers, and for tests.
    pub fn encrypt_blocking<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        to: &str,
        payload: &Payload,
        now_ms: i64,
    ) -> Result<Vec<Envelope>, E2eError> {
        let mut outgoing = self.encrypt(store, to, payload, now_ms)?;
        // A freshly installed key is fresh at `now_ms` (the limits are at
        // least 1), so the second round is Ready; the bound only guards
        // against a store that loses writes.
        for _ in 0..2 {
            match outgoing {
                Outgoing::Ready(envelopes) => return Ok(envelopes),
                Outgoing::NeedsSessionKey(job) => {
                    self.install_sending_key(store, job.run()?, now_ms)?;
                    outgoing = self.encrypt(store, to, payload, now_ms)?;
                }
            }
        }
        match outgoing {
            Outgoing::Ready(envelopes) => Ok(envelopes),
            Outgoing::NeedsSessionKey(job) => Err(E2eError::NoSendingKey(job.peer)),
        }
    }

    /// The pinned key of a peer we may send to.
    fn sendable_peer<S: E2eStore + ?Sized>(
        &self,
        store: &S,
        user: &str,
    ) -> Result<PublicIdentity, E2eError> {
        let pin = store
            .pin(user)?
            .ok_or_else(|| E2eError::UnknownPeer(user.to_string()))?;
        if pin.state == PinState::Changed {
            return Err(E2eError::PeerKeyChanged(user.to_string()));
        }
        self.pinned_key(&pin)
    }

    /// Rotation rules: 1,000 messages, 24 h (or a clock that went back
    /// past the key's birth), and either identity key changing.
    fn needs_rotation(&self, key: &SendingKey, peer: &PublicIdentity, now_ms: i64) -> bool {
        let age = now_ms.saturating_sub(key.created_ms);
        key.own_fingerprint != self.identity.fingerprint()
            || key.peer_fingerprint != peer.fingerprint()
            || key.next_seq > self.config.max_messages_per_key.max(1)
            || age < 0
            || age >= self.config.max_key_age_ms.max(1)
    }

    /// Seals one message under `key`, advances its seq and stores it.
    fn seal_with<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        mut key: SendingKey,
        payload: &Payload,
        plaintext: &[u8],
    ) -> Result<Vec<Envelope>, E2eError> {
        let seq = key.next_seq;
        let route = Route {
            from: &self.me,
            to: &key.peer,
        };
        let msg = seal_msg(&key.key, route, &key.key_id, seq, plaintext)?;
        key.next_seq = seq.saturating_add(1);
        let mut envelopes = Vec::with_capacity(2);
        if !key.confirmed {
            // Receipts name texts and files, 1:1 or group (§4.1, §5.1):
            // any of them confirms.
            let text_id = match payload {
                Payload::Text(t) => Some(t.id),
                Payload::GroupText(g) => Some(g.id),
                Payload::File(f) => Some(f.id),
                Payload::GroupFile(f) => Some(f.id),
                _ => None,
            };
            if let Some(id) = text_id {
                key.unconfirmed_ids.push(id);
                let excess = key
                    .unconfirmed_ids
                    .len()
                    .saturating_sub(self.config.max_unconfirmed_ids.max(1));
                key.unconfirmed_ids.drain(..excess);
            }
            envelopes.push(Envelope::SessionKey(key.announcement.clone()));
        }
        envelopes.push(Envelope::Msg(msg));
        store.put_sending_key(&key)?;
        Ok(envelopes)
    }
}
