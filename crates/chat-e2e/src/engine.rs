//! The engine ties identity, pins, sessions and replay state into the few
//! operations a daemon performs, and holds the policy (when to rotate, what
//! to keep, what to refuse) in one place. It owns no state itself: every
//! call takes the store, so the daemon can wrap a call and its own writes
//! in one transaction (its only cache is of parsed keys, a pure function
//! of the pins' text). Sending and receiving are in `send.rs` and
//! `receive.rs`; this file has the engine, its limits and the pin
//! operations.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::E2eError;
use crate::identity::{IdentityKey, PublicIdentity};
use crate::keycache::ParsedKeys;
use crate::pins::{KeyObservation, Pin, PinState, Verified};
use crate::store::{E2eStore, RetiredKey};

/// Limits of the engine. The defaults are PROTOCOL.md's where it sets them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// A sending key is replaced after this many messages (1,000).
    pub max_messages_per_key: u64,
    /// A sending key is replaced once this old, in ms (24 h).
    pub max_key_age_ms: i64,
    /// Live receiving keys kept per peer; accepting one more retires the
    /// oldest (8).
    pub max_live_receiving_keys: usize,
    /// Retired key ids remembered per peer, oldest forgotten first (1,024).
    pub max_retired_keys: usize,
    /// Unconfirmed message ids remembered per sending key (64).
    pub max_unconfirmed_ids: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            max_messages_per_key: 1_000,
            max_key_age_ms: 24 * 60 * 60 * 1_000,
            max_live_receiving_keys: 8,
            max_retired_keys: 1_024,
            max_unconfirmed_ids: 64,
        }
    }
}

/// The end-to-end layer of one account: our username and identity key,
/// and the policy. Cheap to clone (the key is shared).
#[derive(Debug, Clone)]
pub struct Engine {
    pub(crate) me: String,
    pub(crate) identity: Arc<IdentityKey>,
    pub(crate) config: Config,
    /// Pinned keys parsed once (shared by clones).
    pub(crate) keys: ParsedKeys,
}

impl Engine {
    /// An engine for account `me` holding `identity`, with default limits.
    pub fn new(me: impl Into<String>, identity: Arc<IdentityKey>) -> Self {
        Self {
            me: me.into(),
            identity,
            config: Config::default(),
            keys: ParsedKeys::default(),
        }
    }

    /// Replaces the limits.
    pub fn with_config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Our username.
    pub fn username(&self) -> &str {
        &self.me
    }

    /// Our identity key.
    pub fn identity(&self) -> &Arc<IdentityKey> {
        &self.identity
    }

    /// The limits in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The key `pin` holds, parsed once per engine (see `keycache`).
    pub(crate) fn pinned_key(&self, pin: &Pin) -> Result<PublicIdentity, E2eError> {
        Ok(self.keys.get(&pin.public_pem)?)
    }

    /// Records the key the server reports for `user` (a `key` answer to
    /// `get_key`, also after a `key_changed` push): pins it on first use,
    /// or marks the pin `changed` and holds the key pending.
    pub fn observe_key<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        user: &str,
        public_pem: &str,
        now_ms: i64,
    ) -> Result<KeyObservation, E2eError> {
        let key = PublicIdentity::from_pem(public_pem)?;
        let Some(mut pin) = store.pin(user)? else {
            store.put_pin(&Pin::new(user, &key, now_ms))?;
            return Ok(KeyObservation::Pinned);
        };
        let observation = pin.observe(&key, now_ms);
        if !matches!(observation, KeyObservation::Unchanged(_)) {
            store.put_pin(&pin)?;
        }
        Ok(observation)
    }

    /// A person compared `fingerprint` with the peer's: marks the pin
    /// verified, or fails with [`E2eError::FingerprintMismatch`]. While the
    /// pin is `changed`, the fingerprint of the new key both accepts it (as
    /// [`Self::trust`] does) and marks it verified.
    pub fn verify<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        user: &str,
        fingerprint: &str,
        now_ms: i64,
    ) -> Result<PinState, E2eError> {
        let mut pin = self.pin_of(store, user)?;
        if pin.verify(fingerprint, now_ms)? == Verified::AdoptedPending {
            self.forget_old_identity(store, &pin, now_ms)?;
        }
        store.put_pin(&pin)?;
        Ok(pin.state)
    }

    /// A person accepts the changed key of `user`: it becomes the pin,
    /// unverified; our sending key to them is replaced and their session
    /// keys signed by the old identity are retired. Without a pending key
    /// nothing changes and the current state is returned.
    pub fn trust<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        user: &str,
        now_ms: i64,
    ) -> Result<PinState, E2eError> {
        let mut pin = self.pin_of(store, user)?;
        if pin.trust(now_ms) {
            self.forget_old_identity(store, &pin, now_ms)?;
            store.put_pin(&pin)?;
        }
        Ok(pin.state)
    }

    /// Forces a new sending key to `peer` with the next message (for a
    /// person who knows the peer lost its keys).
    pub fn rekey<S: E2eStore + ?Sized>(&self, store: &mut S, peer: &str) -> Result<(), E2eError> {
        Ok(store.delete_sending_key(peer)?)
    }

    fn pin_of<S: E2eStore + ?Sized>(&self, store: &S, user: &str) -> Result<Pin, E2eError> {
        store
            .pin(user)?
            .ok_or_else(|| E2eError::UnknownPeer(user.to_string()))
    }

    /// After the pin of a peer was replaced: rotate our sending key and
    /// retire what the old identity signed.
    fn forget_old_identity<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        pin: &Pin,
        now_ms: i64,
    ) -> Result<(), E2eError> {
        store.delete_sending_key(&pin.user)?;
        for key in store.receiving_keys(&pin.user)? {
            if key.sender_fingerprint != pin.fingerprint {
                self.retire(store, &pin.user, &key.key_id, now_ms)?;
            }
        }
        Ok(())
    }

    /// Deletes a receiving key, remembers its id, and forgets the oldest
    /// remembered ids of that peer beyond the limit.
    pub(crate) fn retire<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        peer: &str,
        key_id: &str,
        now_ms: i64,
    ) -> Result<(), E2eError> {
        store.delete_receiving_key(peer, key_id)?;
        store.put_retired_key(&RetiredKey {
            peer: peer.to_string(),
            key_id: key_id.to_string(),
            retired_ms: now_ms,
        })?;
        let mut retired = store.retired_keys(peer)?;
        let keep = self.config.max_retired_keys.max(1);
        if retired.len() > keep {
            retired.sort_by(|a, b| (a.retired_ms, &a.key_id).cmp(&(b.retired_ms, &b.key_id)));
            let excess = retired.len() - keep;
            for old in retired.iter().take(excess) {
                store.delete_retired_key(peer, &old.key_id)?;
            }
        }
        Ok(())
    }
}
