//! A user's long-term key and the public forms derived from it (PEM,
//! fingerprint), computed once and kept together so they can never
//! disagree, and so that the private half never reaches a log through
//! `Debug`. Reading and writing files is the caller's job: this module only
//! turns keys into text and back.

use std::fmt;

use chat_proto::crypto::{self, CryptoError, RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

/// A peer's (or our own) public identity key with its PEM and fingerprint.
#[derive(Clone)]
pub struct PublicIdentity {
    key: RsaPublicKey,
    pem: String,
    fingerprint: String,
}

impl PublicIdentity {
    /// Parses a SubjectPublicKeyInfo PEM; keys under 2048 bits or with
    /// e != 65537 are refused ([`CryptoError::WeakKey`]).
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        crypto::public_key_from_pem(pem).map(Self::from_key)
    }

    /// Wraps an already parsed key.
    pub fn from_key(key: RsaPublicKey) -> Self {
        let pem = crypto::public_key_to_pem(&key);
        let fingerprint = crypto::fingerprint(&key);
        Self {
            key,
            pem,
            fingerprint,
        }
    }

    /// The RSA key.
    pub fn key(&self) -> &RsaPublicKey {
        &self.key
    }

    /// SubjectPublicKeyInfo PEM, re-encoded by us (LF line endings).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// fingerprint(key): 64 lowercase hex characters.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl fmt::Debug for PublicIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicIdentity")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Our identity: the RSA private key the daemon holds for one account.
pub struct IdentityKey {
    private: RsaPrivateKey,
    public: PublicIdentity,
}

impl IdentityKey {
    /// Generates a new RSA-2048 identity. Slow (hundreds of milliseconds):
    /// call it off the async workers.
    pub fn generate() -> Result<Self, CryptoError> {
        crypto::generate_private_key().map(Self::from_private)
    }

    /// Loads a private key from PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`); weak keys are refused.
    pub fn from_pem(pem: &str) -> Result<Self, CryptoError> {
        crypto::private_key_from_pem(pem).map(Self::from_private)
    }

    fn from_private(private: RsaPrivateKey) -> Self {
        let public = PublicIdentity::from_key(private.to_public_key());
        Self { private, public }
    }

    /// The private key as PKCS#8 PEM, in memory wiped on drop. The caller
    /// writes it to a file of mode 0600.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>, CryptoError> {
        crypto::private_key_to_pem(&self.private)
    }

    /// The public half.
    pub fn public(&self) -> &PublicIdentity {
        &self.public
    }

    /// The public key as SubjectPublicKeyInfo PEM (what `signup`/`login` send).
    pub fn public_pem(&self) -> &str {
        self.public.pem()
    }

    /// Our fingerprint, 64 lowercase hex characters.
    pub fn fingerprint(&self) -> &str {
        self.public.fingerprint()
    }

    pub(crate) fn private(&self) -> &RsaPrivateKey {
        &self.private
    }
}

impl fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityKey")
            .field("fingerprint", &self.public.fingerprint)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS1: &str = include_str!("../../../testdata/openssl/pkcs1.pem");
    const PKCS1_FPR: &str = include_str!("../../../testdata/openssl/pkcs1.fingerprint");

    #[test]
    fn pem_round_trip_keeps_the_fingerprint() {
        let id = IdentityKey::from_pem(PKCS1).unwrap();
        assert_eq!(id.fingerprint(), PKCS1_FPR.trim());
        let again = IdentityKey::from_pem(&id.to_pkcs8_pem().unwrap()).unwrap();
        assert_eq!(again.fingerprint(), id.fingerprint());
        let public = PublicIdentity::from_pem(id.public_pem()).unwrap();
        assert_eq!(public.fingerprint(), id.fingerprint());
    }

    #[test]
    fn debug_shows_no_key_material() {
        let id = IdentityKey::from_pem(PKCS1).unwrap();
        let text = format!("{id:?}");
        assert!(text.contains(id.fingerprint()));
        assert!(!text.contains("BEGIN"));
    }

    #[test]
    fn weak_and_garbage_keys_are_refused() {
        let weak = include_str!("../../../testdata/openssl/weak1024.pub.pem");
        assert_eq!(
            PublicIdentity::from_pem(weak).err(),
            Some(CryptoError::WeakKey)
        );
        assert_eq!(
            PublicIdentity::from_pem("nope").err(),
            Some(CryptoError::BadPem)
        );
        assert!(IdentityKey::from_pem("-----BEGIN PRIVATE KEY-----\n").is_err());
    }
}
