//! The server key's OAEP decryption through AWS-LC. Every signup, login,
//! resume and password change opens sealed credentials with one RSA-2048
//! private-key operation, so that operation bounds how fast a login or
//! reconnect storm drains: about 3 ms of CPU with the `rsa` crate, 0.3 ms
//! here (docs/BENCHMARKS.md, "RSA"). Only the decryption moves: parsing
//! and checking the sealed blob stays in `chat_proto::sealed`, the one place
//! that opens credentials, which takes any [`OaepDecrypt`].
//!
//! AWS-LC blinds private-key operations and is the provider rustls
//! defaults to; the key is loaded from the same PKCS#8 bytes rustls gets,
//! so both use the key `ServerKey` checked.

use std::fmt;

use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey};
use chat_proto::crypto::{CryptoError, OaepDecrypt};
use zeroize::Zeroizing;

/// An RSA private key ready for OAEP (SHA-256, MGF1-SHA-256, empty label)
/// decryption, as PROTOCOL.md §1.3 seals credentials.
pub struct UnsealKey {
    key: OaepPrivateDecryptingKey,
}

/// AWS-LC refused the key (outside 2048..=8192 bits, or not RSA).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("AWS-LC refuses this RSA key for OAEP decryption")]
pub struct Refused;

impl UnsealKey {
    /// Loads a PKCS#8 RSA private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, Refused> {
        let private = PrivateDecryptingKey::from_pkcs8(der).map_err(|_| Refused)?;
        let key = OaepPrivateDecryptingKey::new(private).map_err(|_| Refused)?;
        Ok(Self { key })
    }
}

impl OaepDecrypt for UnsealKey {
    fn oaep_decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let mut out = Zeroizing::new(vec![0u8; self.key.min_output_size()]);
        let len = self
            .key
            .decrypt(&OAEP_SHA256_MGF1SHA256, ciphertext, &mut out, None)
            .map_err(|_| CryptoError::Decrypt)?
            .len();
        out.truncate(len);
        Ok(out)
    }
}

impl fmt::Debug for UnsealKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnsealKey")
            .field("bits", &self.key.key_size_bits())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use chat_proto::crypto;
    use chat_proto::sealed::{Sealed, credentials_aad};
    use rsa::pkcs8::EncodePrivateKey;
    use serde_json::Value;

    const VECTORS: &str = include_str!("../../testdata/vectors/v1.json");

    fn vectors() -> Value {
        serde_json::from_str(VECTORS).unwrap()
    }

    /// The shared vectors' server key (PKCS#1 PEM there) through the rsa
    /// crate into the PKCS#8 form `ServerKey` hands over.
    fn vector_server_key() -> (crypto::RsaPrivateKey, UnsealKey) {
        let v = vectors();
        let pem = v["keys"]["server"]["private_pkcs1_pem"]
            .as_str()
            .or(v["keys"]["server"]["private_pkcs8_pem"].as_str())
            .unwrap();
        let private = crypto::private_key_from_pem(pem).unwrap();
        let der = private.to_pkcs8_der().unwrap();
        let unseal = UnsealKey::from_pkcs8(der.as_bytes()).unwrap();
        (private, unseal)
    }

    #[test]
    fn the_vector_credentials_open_only_with_their_nonce() {
        let v = vectors();
        let c = &v["credentials"];
        let (_, key) = vector_server_key();
        let sealed: Sealed = serde_json::from_value(c["sealed"].clone()).unwrap();
        let aad = credentials_aad(c["hello_nonce"].as_str().unwrap());
        assert_eq!(hex::encode(&aad), c["aad_hex"].as_str().unwrap());
        let opened = sealed.open(&key, &aad).unwrap();
        assert_eq!(
            opened.as_slice(),
            c["plaintext"].as_str().unwrap().as_bytes()
        );
        let other = credentials_aad("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
        assert_eq!(sealed.open(&key, &other).err(), Some(CryptoError::Decrypt));
    }

    #[test]
    fn opens_what_the_rsa_crate_opens_and_refuses_the_same_tampering() {
        let (private, key) = vector_server_key();
        let aad = credentials_aad("bm9uY2U=");
        let sealed = Sealed::seal(&private.to_public_key(), &aad, b"{\"token\":\"x\"}").unwrap();
        assert_eq!(
            sealed.open(&key, &aad).unwrap().as_slice(),
            sealed.open(&private, &aad).unwrap().as_slice()
        );
        // A flipped bit in the wrapped key fails the OAEP check in both.
        let mut ek = chat_proto::encoding::b64_decode(&sealed.ek, "ek").unwrap();
        ek[100] ^= 1;
        let bad = Sealed {
            ek: chat_proto::encoding::b64_encode(&ek),
            ..sealed
        };
        assert_eq!(bad.open(&key, &aad).err(), Some(CryptoError::Decrypt));
        assert_eq!(bad.open(&private, &aad).err(), Some(CryptoError::Decrypt));
        // A wrapped key of the wrong length is refused, not a panic.
        let short = Sealed {
            ek: chat_proto::encoding::b64_encode([1u8; 10]),
            ..bad
        };
        assert_eq!(short.open(&key, &aad).err(), Some(CryptoError::Decrypt));
    }

    #[test]
    fn another_key_does_not_open_them() {
        let (_, key) = vector_server_key();
        let v = vectors();
        let alice = crypto::public_key_from_pem(v["keys"]["alice"]["public_pem"].as_str().unwrap())
            .unwrap();
        let aad = credentials_aad("bm9uY2U=");
        let sealed = Sealed::seal(&alice, &aad, b"{}").unwrap();
        assert_eq!(sealed.open(&key, &aad).err(), Some(CryptoError::Decrypt));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let (_, key) = vector_server_key();
        assert_eq!(format!("{key:?}"), "UnsealKey { bits: 2048, .. }");
    }
}
