//! Turning a delivered envelope back into a payload, or into the reason it
//! is held or refused. Everything here is input from the network: no path
//! returns a Rust error for anything a peer sent (errors are for the store
//! only), and the one RSA step (unwrapping a session key) is split out as
//! an [`UnwrapJob`] for the daemon's blocking pool.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::engine::Engine;
use crate::envelope::{Envelope, EnvelopeError, MsgEnvelope, SessionKeyEnvelope};
use crate::error::{E2eError, SecurityReason};
use crate::identity::{IdentityKey, PublicIdentity};
use crate::payload::{Payload, Receipt};
use crate::pins::PinState;
use crate::session::{Route, SecretKey, open_msg, unwrap_session_key, verify_session_key};
use crate::store::{E2eStore, ReceivingKey};

/// What became of a delivered envelope. Every outcome but `Pending` and
/// `NeedsPrivateKey` means: ack it to the server and drop the envelope.
#[derive(Debug)]
pub enum Received {
    /// An authentic, fresh message. [`Payload::Unknown`] is to be ignored.
    Message(Decrypted),
    /// A session key was verified and kept: retry the pending envelopes of
    /// this sender that wait for `key_id`.
    SessionKey {
        /// The key's id.
        key_id: String,
    },
    /// Cannot be decided yet: keep the envelope (ack it only once it is
    /// stored) and offer it to [`Engine::receive`] again when the reason
    /// goes away.
    Pending(Pending),
    /// Already accepted (a redelivery or a replay): drop silently.
    Duplicate,
    /// An envelope kind this version does not know: drop silently.
    Ignored {
        /// The `kind` field as received.
        kind: String,
    },
    /// Refused: never show it; report a `security` event.
    Security(SecurityReason),
    /// A signed session key needs our private key: run the job off the
    /// async workers, then pass its result to [`Engine::finish_session_key`].
    NeedsPrivateKey(UnwrapJob),
}

/// A decrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The session key it came under.
    pub key_id: String,
    /// Its sequence number under that key.
    pub seq: u64,
    /// The plaintext.
    pub payload: Payload,
}

/// Why an envelope is held, and for which key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// What it waits for.
    pub reason: PendingReason,
    /// The key id the envelope names.
    pub key_id: String,
}

/// What a held envelope waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingReason {
    /// No key is pinned for the sender: fetch it (`get_key`), pass it to
    /// [`Engine::observe_key`], retry.
    UnknownPeer,
    /// The message's session key has not arrived: retry when
    /// [`Received::SessionKey`] names it.
    UnknownKey,
    /// The sender's key changed and was not accepted: retry after
    /// [`Engine::trust`] or a matching [`Engine::verify`].
    PeerKeyChanged,
}

/// The private-key half of receiving a session key. `Send + 'static`.
#[derive(Debug)]
pub struct UnwrapJob {
    identity: Arc<IdentityKey>,
    from: String,
    key_id: String,
    sender_fingerprint: String,
    wrapped: Vec<u8>,
}

/// The result of an [`UnwrapJob`], to pass to [`Engine::finish_session_key`].
#[derive(Debug)]
pub struct UnwrappedKey {
    from: String,
    key_id: String,
    sender_fingerprint: String,
    key: Result<SecretKey, SecurityReason>,
}

impl UnwrapJob {
    /// RSA-OAEP decryption with our private key. Slow.
    pub fn run(self) -> UnwrappedKey {
        UnwrappedKey {
            key: unwrap_session_key(&self.identity, &self.wrapped),
            from: self.from,
            key_id: self.key_id,
            sender_fingerprint: self.sender_fingerprint,
        }
    }
}

fn pending(reason: PendingReason, key_id: &str) -> Received {
    Received::Pending(Pending {
        reason,
        key_id: key_id.to_string(),
    })
}

impl Engine {
    /// Processes `deliver.envelope` from `from`. Cheap: public-key and AES
    /// work only. Errors come from the store (or a corrupt stored pin),
    /// never from the envelope.
    pub fn receive<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        from: &str,
        envelope: &Map<String, Value>,
        now_ms: i64,
    ) -> Result<Received, E2eError> {
        let envelope = match Envelope::from_json(envelope) {
            Ok(e) => e,
            Err(EnvelopeError::UnknownKind(kind)) => return Ok(Received::Ignored { kind }),
            Err(EnvelopeError::BadField(_)) => {
                return Ok(Received::Security(SecurityReason::MalformedEnvelope));
            }
        };
        let Some(pin) = store.pin(from)? else {
            return Ok(pending(PendingReason::UnknownPeer, envelope.key_id()));
        };
        if pin.state == PinState::Changed {
            return Ok(pending(PendingReason::PeerKeyChanged, envelope.key_id()));
        }
        let sender = self.pinned_key(&pin)?;
        match envelope {
            Envelope::SessionKey(e) => self.receive_session_key(store, from, &sender, &e),
            Envelope::Msg(e) => self.receive_msg(store, from, &sender, &e, now_ms),
        }
    }

    /// Keeps a session key unwrapped by an [`UnwrapJob`], if its sender's pin
    /// is still the key that signed it.
    pub fn finish_session_key<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        unwrapped: UnwrappedKey,
        now_ms: i64,
    ) -> Result<Received, E2eError> {
        let UnwrappedKey {
            from,
            key_id,
            sender_fingerprint,
            key,
        } = unwrapped;
        let key = match key {
            Ok(key) => key,
            Err(reason) => return Ok(Received::Security(reason)),
        };
        let Some(pin) = store.pin(&from)? else {
            return Ok(pending(PendingReason::UnknownPeer, &key_id));
        };
        if pin.state == PinState::Changed
            || self.pinned_key(&pin)?.fingerprint() != sender_fingerprint
        {
            return Ok(pending(PendingReason::PeerKeyChanged, &key_id));
        }
        if self.key_is_known(store, &from, &key_id)? {
            return Ok(Received::Duplicate);
        }
        store.put_receiving_key(&ReceivingKey {
            peer: from.clone(),
            key_id: key_id.clone(),
            key,
            sender_fingerprint,
            created_ms: now_ms,
            window: Default::default(),
        })?;
        self.cap_live_keys(store, &from, &key_id, now_ms)?;
        Ok(Received::SessionKey { key_id })
    }

    /// [`Engine::receive`] with any RSA step run inline: for callers already
    /// off the async workers, and for tests.
    pub fn receive_blocking<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        from: &str,
        envelope: &Map<String, Value>,
        now_ms: i64,
    ) -> Result<Received, E2eError> {
        match self.receive(store, from, envelope, now_ms)? {
            Received::NeedsPrivateKey(job) => self.finish_session_key(store, job.run(), now_ms),
            other => Ok(other),
        }
    }

    fn receive_session_key<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        from: &str,
        sender: &PublicIdentity,
        envelope: &SessionKeyEnvelope,
    ) -> Result<Received, E2eError> {
        // Re-sent announcements and replays of retired keys cost no RSA.
        if self.key_is_known(store, from, &envelope.key_id)? {
            return Ok(Received::Duplicate);
        }
        let route = Route { from, to: &self.me };
        Ok(
            match verify_session_key(sender, self.identity.fingerprint(), route, envelope) {
                Err(reason) => Received::Security(reason),
                Ok(wrapped) => Received::NeedsPrivateKey(UnwrapJob {
                    identity: Arc::clone(&self.identity),
                    from: from.to_string(),
                    key_id: envelope.key_id.clone(),
                    sender_fingerprint: sender.fingerprint().to_string(),
                    wrapped,
                }),
            },
        )
    }

    fn receive_msg<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        from: &str,
        sender: &PublicIdentity,
        envelope: &MsgEnvelope,
        now_ms: i64,
    ) -> Result<Received, E2eError> {
        let Some(mut key) = store.receiving_key(from, &envelope.key_id)? else {
            if store.retired_key(from, &envelope.key_id)?.is_some() {
                return Ok(Received::Security(SecurityReason::RetiredKey));
            }
            return Ok(pending(PendingReason::UnknownKey, &envelope.key_id));
        };
        if key.sender_fingerprint != sender.fingerprint() {
            // Signed by an identity that is no longer the pin.
            self.retire(store, from, &key.key_id, now_ms)?;
            return Ok(Received::Security(SecurityReason::RetiredKey));
        }
        // Authenticate before the replay check, so that an altered copy of
        // an accepted message is reported rather than taken for a duplicate,
        // and before marking, so that forgeries cannot burn sequence numbers.
        let route = Route { from, to: &self.me };
        let plaintext = match open_msg(&key.key, route, envelope) {
            Ok(p) => p,
            Err(reason) => return Ok(Received::Security(reason)),
        };
        if !key.window.is_fresh(envelope.seq) {
            return Ok(Received::Duplicate);
        }
        key.window.mark(envelope.seq);
        store.put_receiving_key(&key)?;
        let payload = match Payload::from_bytes(&plaintext) {
            Ok(p) => p,
            Err(crate::payload::PayloadError::FileTooLarge { .. }) => {
                return Ok(Received::Security(SecurityReason::FileTooLarge));
            }
            Err(_) => return Ok(Received::Security(SecurityReason::MalformedPayload)),
        };
        if let Payload::Receipt(receipt) = &payload {
            self.note_receipt(store, from, receipt)?;
        }
        Ok(Received::Message(Decrypted {
            key_id: key.key_id,
            seq: envelope.seq,
            payload,
        }))
    }

    fn key_is_known<S: E2eStore + ?Sized>(
        &self,
        store: &S,
        from: &str,
        key_id: &str,
    ) -> Result<bool, E2eError> {
        Ok(store.receiving_key(from, key_id)?.is_some()
            || store.retired_key(from, key_id)?.is_some())
    }

    /// Retires the oldest live keys of `peer` beyond the limit, never
    /// `newest` (the one just accepted).
    fn cap_live_keys<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        peer: &str,
        newest: &str,
        now_ms: i64,
    ) -> Result<(), E2eError> {
        let mut live = store.receiving_keys(peer)?;
        let keep = self.config.max_live_receiving_keys.max(1);
        if live.len() <= keep {
            return Ok(());
        }
        live.retain(|k| k.key_id != newest);
        live.sort_by(|a, b| (a.created_ms, &a.key_id).cmp(&(b.created_ms, &b.key_id)));
        let excess = live.len() + 1 - keep;
        for old in live.iter().take(excess) {
            self.retire(store, peer, &old.key_id, now_ms)?;
        }
        Ok(())
    }

    /// A receipt naming a message sent under our unconfirmed key to `peer`
    /// proves the peer holds that key: stop re-sending its announcement.
    fn note_receipt<S: E2eStore + ?Sized>(
        &self,
        store: &mut S,
        peer: &str,
        receipt: &Receipt,
    ) -> Result<(), E2eError> {
        let Some(mut key) = store.sending_key(peer)? else {
            return Ok(());
        };
        if key.confirmed
            || !receipt
                .ids
                .iter()
                .any(|id| key.unconfirmed_ids.contains(id))
        {
            return Ok(());
        }
        key.confirmed = true;
        key.unconfirmed_ids.clear();
        store.put_sending_key(&key)?;
        Ok(())
    }
}
