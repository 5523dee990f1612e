//! The cryptography of PROTOCOL.md §2 as pure functions over keys and
//! envelopes, with no state and no policy: the engine decides when to call
//! them, and the daemon can run the RSA ones on its blocking pool. Failures
//! of the `open_*` side are [`SecurityReason`]s because their input comes
//! from a peer.

use std::fmt;

use chat_proto::crypto::{self, AEAD_KEY_LEN, AEAD_NONCE_LEN, CryptoError};
use chat_proto::encoding::{b64_decode, b64_decode_array, b64_encode};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::envelope::{MsgEnvelope, SessionKeyEnvelope, msg_aad, session_key_tbs};
use crate::error::SecurityReason;
use crate::identity::{IdentityKey, PublicIdentity};

/// A 32-byte AES-256-GCM session key, wiped on drop and redacted in `Debug`.
/// Serialised as lowercase hex so that a store can keep it in a text column.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(Zeroizing<[u8; AEAD_KEY_LEN]>);

impl SecretKey {
    /// 32 fresh random bytes.
    pub fn generate() -> Result<Self, CryptoError> {
        crypto::random_bytes::<AEAD_KEY_LEN>().map(Self::from_bytes)
    }

    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; AEAD_KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The raw key bytes, for a store that keeps them as a blob.
    pub fn expose(&self) -> &[u8; AEAD_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl Serialize for SecretKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&Zeroizing::new(hex::encode(*self.0)))
    }
}

impl<'de> Deserialize<'de> for SecretKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        let mut bytes = Zeroizing::new([0u8; AEAD_KEY_LEN]);
        hex::decode_to_slice(text.as_str(), bytes.as_mut())
            .map_err(|_| serde::de::Error::custom("session key must be 64 hex digits"))?;
        Ok(Self(bytes))
    }
}

/// Who a message or key goes from and to, as the wire names them.
#[derive(Debug, Clone, Copy)]
pub struct Route<'a> {
    /// The sender's username.
    pub from: &'a str,
    /// The recipient's username.
    pub to: &'a str,
}

/// Wraps `key` to the recipient and signs it: one RSA-OAEP encryption and
/// one RSA-PSS signature with our private key (run it off the async workers).
pub fn seal_session_key(
    identity: &IdentityKey,
    recipient: &PublicIdentity,
    route: Route<'_>,
    key_id: &str,
    key: &SecretKey,
) -> Result<SessionKeyEnvelope, CryptoError> {
    let wrapped = crypto::oaep_encrypt(recipient.key(), key.expose())?;
    let signed = session_key_tbs(
        route.from,
        route.to,
        identity.fingerprint(),
        recipient.fingerprint(),
        key_id,
        &wrapped,
    );
    let sig = crypto::pss_sign(identity.private(), &signed)?;
    Ok(SessionKeyEnvelope {
        key_id: key_id.to_string(),
        wrapped: b64_encode(&wrapped),
        sig: b64_encode(sig),
    })
}

/// Checks a session key's signature against the sender's pinned key and our
/// own fingerprint (both are inside the signed data), and returns the raw
/// wrapped bytes. Public-key work only: cheap.
pub fn verify_session_key(
    sender: &PublicIdentity,
    recipient_fingerprint: &str,
    route: Route<'_>,
    envelope: &SessionKeyEnvelope,
) -> Result<Vec<u8>, SecurityReason> {
    let malformed = |_| SecurityReason::MalformedEnvelope;
    let wrapped = b64_decode(&envelope.wrapped, "wrapped").map_err(malformed)?;
    let sig = b64_decode(&envelope.sig, "sig").map_err(malformed)?;
    let signed = session_key_tbs(
        route.from,
        route.to,
        sender.fingerprint(),
        recipient_fingerprint,
        &envelope.key_id,
        &wrapped,
    );
    crypto::pss_verify(sender.key(), &signed, &sig).map_err(|_| SecurityReason::BadSignature)?;
    Ok(wrapped)
}

/// Decrypts verified wrapped bytes with our private key (RSA-OAEP: run it
/// off the async workers). Anything but exactly 32 bytes is refused.
pub fn unwrap_session_key(
    identity: &IdentityKey,
    wrapped: &[u8],
) -> Result<SecretKey, SecurityReason> {
    let plain = crypto::oaep_decrypt(identity.private(), wrapped)
        .map_err(|_| SecurityReason::UnwrapFailed)?;
    let bytes: [u8; AEAD_KEY_LEN] = plain
        .as_slice()
        .try_into()
        .map_err(|_| SecurityReason::UnwrapFailed)?;
    Ok(SecretKey::from_bytes(bytes))
}

/// [`verify_session_key`] then [`unwrap_session_key`], for callers that are
/// already off the async workers.
pub fn open_session_key(
    identity: &IdentityKey,
    sender: &PublicIdentity,
    route: Route<'_>,
    envelope: &SessionKeyEnvelope,
) -> Result<SecretKey, SecurityReason> {
    let wrapped = verify_session_key(sender, identity.fingerprint(), route, envelope)?;
    unwrap_session_key(identity, &wrapped)
}

/// Encrypts one plaintext under a session key with a fresh random nonce.
pub fn seal_msg(
    key: &SecretKey,
    route: Route<'_>,
    key_id: &str,
    seq: u64,
    plaintext: &[u8],
) -> Result<MsgEnvelope, CryptoError> {
    let nonce = crypto::random_bytes::<AEAD_NONCE_LEN>()?;
    let aad = msg_aad(route.from, route.to, key_id, seq);
    let ct = crypto::aead_seal(key.expose(), &nonce, plaintext, &aad)?;
    Ok(MsgEnvelope {
        key_id: key_id.to_string(),
        seq,
        nonce: b64_encode(nonce),
        ct: b64_encode(ct),
    })
}

/// Decrypts and authenticates a message; returns the exact plaintext bytes.
pub fn open_msg(
    key: &SecretKey,
    route: Route<'_>,
    envelope: &MsgEnvelope,
) -> Result<Zeroizing<Vec<u8>>, SecurityReason> {
    let malformed = |_| SecurityReason::MalformedEnvelope;
    let nonce = b64_decode_array::<AEAD_NONCE_LEN>(&envelope.nonce, "nonce").map_err(malformed)?;
    let ct = b64_decode(&envelope.ct, "ct").map_err(malformed)?;
    let aad = msg_aad(route.from, route.to, &envelope.key_id, envelope.seq);
    crypto::aead_open(key.expose(), &nonce, &ct, &aad).map_err(|_| SecurityReason::BadTag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_serialise_as_hex_and_hide_in_debug() {
        let key = SecretKey::from_bytes([0xab; 32]);
        let json = serde_json::to_string(&key).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(serde_json::from_str::<SecretKey>(&json).unwrap(), key);
        assert!(serde_json::from_str::<SecretKey>("\"abcd\"").is_err());
        assert_eq!(format!("{key:?}"), "SecretKey(..)");
    }

    #[test]
    fn session_keys_open_only_for_the_named_pair() {
        let (alice, bob) = (crate::test_keys::alice(), crate::test_keys::bob());
        let key = SecretKey::generate().unwrap();
        let id = "40b04b0f-fd8e-45d9-9949-93a07bab65c9";
        let route = Route {
            from: "alice",
            to: "bob",
        };
        let env = seal_session_key(&alice, bob.public(), route, id, &key).unwrap();
        assert_eq!(
            open_session_key(&bob, alice.public(), route, &env).unwrap(),
            key
        );
        // Another sender name, another claimed signer, or the sender itself
        // as recipient: all refused.
        let mallory = Route {
            from: "mallory",
            to: "bob",
        };
        assert_eq!(
            open_session_key(&bob, alice.public(), mallory, &env),
            Err(SecurityReason::BadSignature)
        );
        assert_eq!(
            open_session_key(&bob, bob.public(), route, &env),
            Err(SecurityReason::BadSignature)
        );
        assert_eq!(
            open_session_key(&alice, alice.public(), route, &env),
            Err(SecurityReason::BadSignature)
        );
        // Signed for alice's own key as recipient fingerprint, it verifies
        // but cannot be unwrapped by alice.
        let wrapped = verify_session_key(alice.public(), bob.fingerprint(), route, &env).unwrap();
        assert_eq!(
            unwrap_session_key(&alice, &wrapped),
            Err(SecurityReason::UnwrapFailed)
        );
    }

    #[test]
    fn malformed_rsa_inputs_are_refused_without_panicking() {
        let (alice, bob) = (crate::test_keys::alice(), crate::test_keys::bob());
        for wrapped in [&[][..], &[1, 2, 3], &[0xff; 256], &[0; 600]] {
            assert_eq!(
                unwrap_session_key(&bob, wrapped),
                Err(SecurityReason::UnwrapFailed)
            );
        }
        let route = Route {
            from: "alice",
            to: "bob",
        };
        for sig in ["", "AAAA", &b64_encode([0xff; 256]), &b64_encode([0; 600])] {
            let env = SessionKeyEnvelope {
                key_id: "40b04b0f-fd8e-45d9-9949-93a07bab65c9".into(),
                wrapped: "AAAA".into(),
                sig: sig.to_string(),
            };
            assert_eq!(
                verify_session_key(alice.public(), bob.fingerprint(), route, &env),
                Err(SecurityReason::BadSignature)
            );
        }
    }

    #[test]
    fn messages_bind_route_key_id_and_seq() {
        let key = SecretKey::generate().unwrap();
        let route = Route {
            from: "alice",
            to: "bob",
        };
        let id = "40b04b0f-fd8e-45d9-9949-93a07bab65c9";
        let env = seal_msg(&key, route, id, 3, b"hi").unwrap();
        assert_eq!(open_msg(&key, route, &env).unwrap().as_slice(), b"hi");
        let swapped = Route {
            from: "bob",
            to: "alice",
        };
        assert_eq!(open_msg(&key, swapped, &env), Err(SecurityReason::BadTag));
        let mut moved = env.clone();
        moved.seq = 4;
        assert_eq!(open_msg(&key, route, &moved), Err(SecurityReason::BadTag));
        let mut garbled = env;
        garbled.nonce = "AAAA".into();
        assert_eq!(
            open_msg(&key, route, &garbled),
            Err(SecurityReason::MalformedEnvelope)
        );
    }
}
