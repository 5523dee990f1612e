//! Trust on first use. A peer's first key is pinned; a different key later
//! is never adopted silently but held beside the pin until a person accepts
//! it. The transitions live here as plain methods on the record so that they
//! can be tested without an engine or a store.

use chat_proto::crypto::{self, CryptoError};
use serde::{Deserialize, Serialize};

use crate::error::E2eError;
use crate::identity::PublicIdentity;

/// How much a pinned key is trusted (the local API's `state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinState {
    /// Pinned on first use, never compared by a person.
    Unverified,
    /// A person compared the fingerprint out of band.
    Verified,
    /// The server reported another key; it is held in [`Pin::pending`].
    Changed,
}

impl PinState {
    /// `"unverified"`, `"verified"` or `"changed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified => "verified",
            Self::Changed => "changed",
        }
    }
}

/// A key the server reported that differs from the pin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingKey {
    /// SubjectPublicKeyInfo PEM.
    pub public_pem: String,
    /// Its fingerprint.
    pub fingerprint: String,
    /// When it was first reported, Unix ms.
    pub seen_ms: i64,
}

/// The pin record of one peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The peer's username.
    pub user: String,
    /// The pinned key, SubjectPublicKeyInfo PEM.
    pub public_pem: String,
    /// fingerprint(pinned key); kept for display and queries, the engine
    /// recomputes it from the PEM before relying on it.
    pub fingerprint: String,
    /// Trust state.
    pub state: PinState,
    /// The newer key awaiting a decision, present exactly when `Changed`.
    pub pending: Option<PendingKey>,
    /// When the current key was pinned, Unix ms.
    pub pinned_ms: i64,
}

/// What reporting a key for a peer did to its pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyObservation {
    /// First key seen: pinned, unverified.
    Pinned,
    /// The key is the pinned one (or the one already pending): no change.
    Unchanged(PinState),
    /// A new key differs from the pin: the pin is now `changed` and the key
    /// held pending. The daemon emits `key_changed`.
    Changed {
        /// Fingerprint of the pinned key.
        pinned: String,
        /// Fingerprint of the new, pending key.
        new: String,
    },
    /// While `changed`, the server reported the pinned key again: the
    /// pending key is dropped and the pin is back to `unverified` (a
    /// verification made before the episode is not restored silently).
    Reverted,
}

/// How a fingerprint comparison by a person ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verified {
    /// The pinned key was marked verified.
    Pinned,
    /// While `changed`, the person confirmed the pending key: it replaced
    /// the pin, verified. The caller must rotate keys as after a trust.
    AdoptedPending,
}

impl Pin {
    /// A first-use pin of `key`.
    pub fn new(user: &str, key: &PublicIdentity, now_ms: i64) -> Self {
        Self {
            user: user.to_string(),
            public_pem: key.pem().to_string(),
            fingerprint: key.fingerprint().to_string(),
            state: PinState::Unverified,
            pending: None,
            pinned_ms: now_ms,
        }
    }

    /// Parses the pinned key (its fingerprint is recomputed, not read).
    pub fn identity(&self) -> Result<PublicIdentity, CryptoError> {
        PublicIdentity::from_pem(&self.public_pem)
    }

    /// Applies a key the server reports for the peer.
    pub fn observe(&mut self, key: &PublicIdentity, now_ms: i64) -> KeyObservation {
        if key.fingerprint() == self.fingerprint {
            if self.state != PinState::Changed {
                return KeyObservation::Unchanged(self.state);
            }
            self.state = PinState::Unverified;
            self.pending = None;
            return KeyObservation::Reverted;
        }
        if self.pending.as_ref().map(|p| p.fingerprint.as_str()) == Some(key.fingerprint()) {
            return KeyObservation::Unchanged(self.state);
        }
        self.state = PinState::Changed;
        self.pending = Some(PendingKey {
            public_pem: key.pem().to_string(),
            fingerprint: key.fingerprint().to_string(),
            seen_ms: now_ms,
        });
        KeyObservation::Changed {
            pinned: self.fingerprint.clone(),
            new: key.fingerprint().to_string(),
        }
    }

    /// Compares a fingerprint typed by a person (spaces, colons and case
    /// are ignored) with the peer's current key: the pin, or while
    /// `changed` the pending key, which it then adopts.
    pub(crate) fn verify(&mut self, given: &str, now_ms: i64) -> Result<Verified, E2eError> {
        let given = crypto::parse_fingerprint(given).ok_or(E2eError::InvalidFingerprint)?;
        if let Some(pending) = &self.pending {
            if pending.fingerprint != given {
                return Err(self.mismatch(given));
            }
            self.adopt_pending(PinState::Verified, now_ms);
            return Ok(Verified::AdoptedPending);
        }
        if self.fingerprint != given {
            return Err(self.mismatch(given));
        }
        self.state = PinState::Verified;
        Ok(Verified::Pinned)
    }

    /// Accepts the pending key, unverified. Returns whether anything
    /// changed (false when the pin was not `changed`).
    pub(crate) fn trust(&mut self, now_ms: i64) -> bool {
        self.adopt_pending(PinState::Unverified, now_ms)
    }

    fn adopt_pending(&mut self, state: PinState, now_ms: i64) -> bool {
        let Some(pending) = self.pending.take() else {
            return false;
        };
        self.public_pem = pending.public_pem;
        self.fingerprint = pending.fingerprint;
        self.state = state;
        self.pinned_ms = now_ms;
        true
    }

    fn mismatch(&self, given: String) -> E2eError {
        E2eError::FingerprintMismatch {
            user: self.user.clone(),
            given,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_keys;

    #[test]
    fn tofu_change_and_trust() {
        let (a1, a2) = (test_keys::alice_public(), test_keys::bob_public());
        let mut pin = Pin::new("alice", &a1, 1);
        assert_eq!(
            pin.observe(&a1, 2),
            KeyObservation::Unchanged(PinState::Unverified)
        );
        let changed = pin.observe(&a2, 3);
        assert!(matches!(changed, KeyObservation::Changed { .. }));
        assert_eq!(pin.state, PinState::Changed);
        assert_eq!(pin.fingerprint, a1.fingerprint(), "the pin itself is kept");
        assert_eq!(
            pin.observe(&a2, 4),
            KeyObservation::Unchanged(PinState::Changed)
        );
        assert!(pin.trust(5));
        assert_eq!(
            (pin.state, pin.fingerprint.as_str()),
            (PinState::Unverified, a2.fingerprint())
        );
        assert!(pin.pending.is_none());
        assert!(!pin.trust(6), "trust without a pending key changes nothing");
    }

    #[test]
    fn verify_accepts_human_formatting_and_reports_mismatch() {
        let a = test_keys::alice_public();
        let mut pin = Pin::new("alice", &a, 1);
        let spaced = crypto::format_fingerprint(a.fingerprint()).to_uppercase();
        assert_eq!(pin.verify(&spaced, 2).unwrap(), Verified::Pinned);
        assert_eq!(pin.state, PinState::Verified);
        let other = "0".repeat(64);
        assert!(matches!(
            pin.verify(&other, 3),
            Err(E2eError::FingerprintMismatch { .. })
        ));
        assert!(matches!(
            pin.verify("xyz", 3),
            Err(E2eError::InvalidFingerprint)
        ));
        assert_eq!(
            pin.state,
            PinState::Verified,
            "a failed verify changes nothing"
        );
    }

    #[test]
    fn verify_while_changed_only_accepts_the_new_key() {
        let (a1, a2) = (test_keys::alice_public(), test_keys::bob_public());
        let mut pin = Pin::new("alice", &a1, 1);
        pin.verify(a1.fingerprint(), 2).unwrap();
        pin.observe(&a2, 3);
        assert!(pin.verify(a1.fingerprint(), 4).is_err());
        assert_eq!(
            pin.verify(a2.fingerprint(), 5).unwrap(),
            Verified::AdoptedPending
        );
        assert_eq!(
            (pin.state, pin.fingerprint.as_str()),
            (PinState::Verified, a2.fingerprint())
        );
    }

    #[test]
    fn reverting_to_the_pinned_key_drops_verification() {
        let (a1, a2) = (test_keys::alice_public(), test_keys::bob_public());
        let mut pin = Pin::new("alice", &a1, 1);
        pin.verify(a1.fingerprint(), 2).unwrap();
        pin.observe(&a2, 3);
        assert_eq!(pin.observe(&a1, 4), KeyObservation::Reverted);
        assert_eq!(pin.state, PinState::Unverified);
        assert!(pin.pending.is_none());
    }
}
