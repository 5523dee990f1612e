//! Errors split by who caused them: [`E2eError`] for what the caller asked
//! and for the store, [`SecurityReason`] for what a peer sent. Keeping them
//! apart means nothing a peer sends can surface as a Rust error or a panic:
//! it always becomes an outcome the daemon reports and drops.

use std::error::Error as StdError;
use std::fmt;

use chat_proto::crypto::CryptoError;
use serde::{Deserialize, Serialize};

use crate::payload::PayloadError;

/// A storage backend failed. The engine only passes it through; the daemon's
/// SQLite implementation wraps its own error here.
#[derive(Debug, thiserror::Error)]
#[error("e2e store failed: {0}")]
pub struct StoreError(#[source] pub Box<dyn StdError + Send + Sync + 'static>);

impl StoreError {
    /// Wraps any error (or a message) raised by a store implementation.
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync + 'static>>) -> Self {
        Self(source.into())
    }
}

/// Why a request of the caller could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    /// A key or primitive failed: our own key does not load, a public key
    /// is not acceptable, or the system RNG failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// No identity key is pinned for this user yet: fetch it (`get_key`)
    /// and pass it to [`crate::Engine::observe_key`] first.
    #[error("no identity key is pinned for {0}")]
    UnknownPeer(String),
    /// The peer's key changed and has not been accepted yet: nothing is
    /// sent to them until [`crate::Engine::trust`] (or a matching verify).
    #[error(
        "the identity key of {0} changed: nothing is sent to them until the new key is trusted"
    )]
    PeerKeyChanged(String),
    /// The fingerprint a person typed is not the one of the peer's key.
    /// The right fingerprint is deliberately not part of the error: a
    /// "verification" that is told the expected value compares nothing
    /// (issue 11), so no message or log line built from it may carry it.
    #[error("fingerprint mismatch for {user}: {given} is not the fingerprint of their key")]
    FingerprintMismatch {
        /// The peer.
        user: String,
        /// The fingerprint that was given, normalised.
        given: String,
    },
    /// The text given as a fingerprint is not 64 hexadecimal digits.
    #[error("not a fingerprint: expected 64 hexadecimal digits")]
    InvalidFingerprint,
    /// The payload cannot be encoded for sending.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A new sending key was made but the store did not keep it.
    #[error("could not establish a sending key to {0}")]
    NoSendingKey(String),
    /// The storage backend failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why an envelope from a peer was refused. It is never shown as a message:
/// the daemon acks it, drops it and reports a `security` event with
/// [`SecurityReason::as_str`] as its `reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityReason {
    /// A field is missing, of the wrong type, badly encoded or out of range.
    MalformedEnvelope,
    /// A session key's signature does not verify against the sender's pinned
    /// identity key and our own: forged, altered, signed by another identity,
    /// or meant for another recipient.
    BadSignature,
    /// A correctly signed session key does not decrypt with our private key
    /// (wrapped to another key of ours) or is not 32 bytes.
    UnwrapFailed,
    /// A message failed AES-GCM authentication: altered ciphertext, nonce,
    /// key id, sequence number, sender or recipient.
    BadTag,
    /// An authentic message whose plaintext is not a valid payload.
    MalformedPayload,
    /// A message under a session key that was retired (a replaced identity,
    /// or too many newer keys): a replay or a very late redelivery.
    RetiredKey,
    /// An authentic `file` or `group_file` whose `size` passes the
    /// receiver's limit (PROTOCOL.md §5.1): refused apart from
    /// [`Self::MalformedPayload`], since the sender may simply run with a
    /// larger limit.
    FileTooLarge,
}

impl SecurityReason {
    /// The stable snake_case code used in `security` events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedEnvelope => "malformed_envelope",
            Self::BadSignature => "bad_signature",
            Self::UnwrapFailed => "unwrap_failed",
            Self::BadTag => "bad_tag",
            Self::MalformedPayload => "malformed_payload",
            Self::RetiredKey => "retired_key",
            Self::FileTooLarge => "file_too_large",
        }
    }
}

impl fmt::Display for SecurityReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
