//! The end-to-end layer of SecureChat (PROTOCOL.md §2): identity keys,
//! trust-on-first-use pins, per-peer session keys, envelopes and replay
//! windows; the signed group states of §4 ([`group`]); and the sealed
//! file blobs of §5 ([`file`]). It exists so
//! that the daemon never touches a cipher directly, and so that the server
//! (which never links this crate) can read and forge nothing. It performs
//! no I/O and keeps no state of its own: state lives in a store the caller
//! provides ([`E2eStore`]; [`MemoryStore`] for tests).
//!
//! # How the daemon uses it
//!
//! One [`Engine`] per account, holding the [`IdentityKey`] in an `Arc`.
//! Every call takes the store and the time (`now_ms`, Unix ms), so tests
//! inject time and the daemon can run a call plus its own writes in one
//! transaction. RSA private-key work is never done inside a state-changing
//! call: it is returned as a job ([`SessionKeyJob`], [`UnwrapJob`]) whose
//! `run` is a plain sync function for `spawn_blocking`, followed by a cheap
//! call that records the result ([`Engine::install_sending_key`],
//! [`Engine::finish_session_key`]). `*_blocking` variants do all of it
//! inline.
//!
//! ```text
//! send:    encrypt ─ Ready(envelopes) ─> send each, in order
//!                  └ NeedsSessionKey(job) ─ job.run() ─ install_sending_key ─ encrypt
//! deliver: receive ─ Message / Duplicate / Ignored / Security ─> ack
//!                  ├ Pending{reason,key_id} ─> store, ack, retry later
//!                  └ NeedsPrivateKey(job) ─ job.run() ─ finish_session_key ─ SessionKey{key_id}
//!                                                        ─> retry pending for key_id
//! pins:    observe_key (on get_key / key_changed), verify, trust, rekey
//! groups:  group::accept(held, state, signer pin, me) ─> Joined / Advanced / Removed / Duplicate
//! files:   FileKey::generate ─ FileSealer ─ SealingReader ─> blob (upload) ─ Payload::file
//!          Payload::File ─ FileAttachment::opener ─ OpeningWriter / open_blob <─ blob (download)
//! ```
//!
//! # Decisions where PROTOCOL.md is silent
//!
//! These are normative for this implementation and are meant for
//! docs/PROTOCOL.md.
//!
//! - **Re-sending session keys.** A sender sends its `session_key`
//!   envelope before *every* `msg` under that key until the key is
//!   confirmed: confirmed means an authentic receipt (`delivered` or `read`)
//!   from the recipient naming a text message (`text` or `group_text`)
//!   sent under that key (message ids are random and travel encrypted, so
//!   only a holder of the key can name one). A receiver treats a `session_key` whose `key_id` it already
//!   holds, or has retired, as a duplicate, without any RSA work. So a
//!   recipient that lost its state, or never got the first announcement,
//!   recovers by itself until the key is confirmed; after that, messages
//!   under the key wait at such a recipient until the sender's next rotation
//!   (at most 24 h or 1,000 messages), or until a person runs
//!   [`Engine::rekey`] on the sending side.
//! - **Rotation.** A new sending key is made when the current one has sent
//!   1,000 messages, is 24 h old (or the clock went back before its
//!   creation), when our identity fingerprint or the peer's pinned one
//!   differs from the ones it was made for, after `trust`, and on `rekey`.
//! - **Replay window.** Each receiving key keeps the highest accepted `seq`
//!   and a 1,024-bit window below it (a few hundred bytes, in the store,
//!   so it survives restarts). A `seq` at or below `highest - 1024` counts
//!   as seen; conforming senders rotate at 1,000 so never reach it. The
//!   tag is checked first: an altered copy of an accepted message is a
//!   `bad_tag` security event, an authentic copy a silent duplicate; only
//!   authentic messages advance the window.
//! - **Key retention.** At most 8 live receiving keys per peer; accepting
//!   a ninth retires the oldest. Retiring keeps only the key id (at most
//!   1,024 per peer, oldest forgotten first), so a replayed `session_key`
//!   cannot reset a replay window: it is a duplicate, and a `msg` under a
//!   retired key is a `retired_key` security event.
//! - **Key ids** must be canonical uuids (lowercase, hyphenated), else the
//!   envelope is malformed; `seq` must be an integer >= 1. Payload ids are
//!   accepted in any RFC 4122 text form and normalised to lowercase.
//! - **Unknown things.** An envelope `kind` other than `session_key` and
//!   `msg` is acked and ignored (reserved for later versions), as is a
//!   payload `type` other than `text`, `receipt` and the group types of
//!   §4.1 (`group_text`, `group_state`, `group_state_request`, `typing`;
//!   see [`payload`] and PROTOCOL.md D12) and the file types of §5.1
//!   (`file`, `group_file`; PROTOCOL.md D17). A known kind or type
//!   with a missing or invalid field is a `malformed_envelope` or
//!   `malformed_payload` security event.
//! - **Changed keys.** While a peer's pin is `changed`, nothing is
//!   encrypted to it and every envelope from it is held pending (reason
//!   `peer_key_changed`), not refused: after `trust` it is examined again,
//!   against the new pin. `trust` rotates our sending key and retires the
//!   peer's receiving keys signed by the old identity. `verify` while
//!   `changed` accepts only the new key's fingerprint, which adopts it as
//!   `verified`. If the server reports the pinned key again while
//!   `changed`, the pending key is dropped and the pin returns to
//!   `unverified` (an earlier verification is not restored silently).
//! - **Security reasons** (the `reason` of a `security` event):
//!   `malformed_envelope`, `bad_signature` (does not verify against the
//!   sender's pin and our own fingerprint: forged, altered, signed by
//!   another identity, or meant for someone else), `unwrap_failed`,
//!   `bad_tag`, `malformed_payload`, `retired_key`.
//! - **Payload encoding.** Compact JSON with fields in the order
//!   PROTOCOL.md lists them; any valid JSON is accepted on receipt, unknown
//!   fields ignored.
//!
//! # What the daemon still owns
//!
//! Pending envelopes (store them before acking; retry on
//! [`Received::SessionKey`], after [`Engine::observe_key`] and after
//! [`Engine::trust`]; bound them per peer and in age), de-duplication of
//! history by payload id, and the wording of events.

mod engine;
pub mod envelope;
mod error;
pub mod file;
pub mod group;
pub mod identity;
mod keycache;
mod memory;
pub mod payload;
pub mod pins;
mod receive;
pub mod replay;
mod send;
pub mod session;
pub mod store;

pub use engine::{Config, Engine};
pub use envelope::{Envelope, EnvelopeError, MsgEnvelope, SessionKeyEnvelope};
pub use error::{E2eError, SecurityReason, StoreError};
pub use identity::{IdentityKey, PublicIdentity};
pub use memory::MemoryStore;
pub use payload::{
    FilePayload, GroupFilePayload, GroupStatePayload, GroupStateRequest, GroupText, Payload,
    PayloadError, Receipt, ReceiptStatus, Text, Typing,
};
pub use pins::{KeyObservation, PendingKey, Pin, PinState};
pub use receive::{Decrypted, Pending, PendingReason, Received, UnwrapJob, UnwrappedKey};
pub use replay::ReplayWindow;
pub use send::{NewSendingKey, Outgoing, SessionKeyJob};
pub use session::SecretKey;
pub use store::{
    E2eStore, PinStore, ReceivingKey, ReceivingKeyStore, RetiredKey, RetiredKeyStore, SendingKey,
    SendingKeyStore,
};

#[cfg(test)]
pub(crate) mod test_keys {
    //! The protocol vectors' keys, loaded once per test: real RSA keys
    //! without the cost of generating them.

    use serde_json::Value;

    use crate::identity::{IdentityKey, PublicIdentity};

    const VECTORS: &str = include_str!("../../../testdata/vectors/v1.json");

    fn field(user: &str, name: &str) -> String {
        let v: Value = serde_json::from_str(VECTORS).unwrap();
        v["keys"][user][name].as_str().unwrap().to_string()
    }

    pub fn alice() -> IdentityKey {
        IdentityKey::from_pem(&field("alice", "private_pkcs8_pem")).unwrap()
    }

    pub fn bob() -> IdentityKey {
        IdentityKey::from_pem(&field("bob", "private_pkcs8_pem")).unwrap()
    }

    pub fn alice_public() -> PublicIdentity {
        PublicIdentity::from_pem(&field("alice", "public_pem")).unwrap()
    }

    pub fn bob_public() -> PublicIdentity {
        PublicIdentity::from_pem(&field("bob", "public_pem")).unwrap()
    }
}
