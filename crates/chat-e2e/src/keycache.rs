//! Pinned keys parsed once, not on every message. A pin stores its key as
//! PEM (the store is text), and turning that into an RSA key with its
//! fingerprint costs more than sealing or opening a short message itself
//! (issue 14's micro-benchmarks: 16.7 µs of the 19-25 µs per message).
//! The cache is keyed by the PEM text, so a changed or re-pinned key is
//! simply another entry: nothing can serve a stale key for a peer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::identity::PublicIdentity;
use chat_proto::crypto::CryptoError;

/// Keys kept at most; past that the cache starts over (a daemon talks to
/// far fewer people, so this only bounds memory against a flood of keys).
const MAX_KEYS: usize = 1_024;

/// Parsed public keys by PEM, shared by the clones of an engine.
#[derive(Debug, Clone, Default)]
pub(crate) struct ParsedKeys(Arc<Mutex<HashMap<String, PublicIdentity>>>);

impl ParsedKeys {
    /// The key `pem` holds, parsed once.
    pub(crate) fn get(&self, pem: &str) -> Result<PublicIdentity, CryptoError> {
        if let Some(key) = self.0.lock().ok().and_then(|k| k.get(pem).cloned()) {
            return Ok(key);
        }
        let key = PublicIdentity::from_pem(pem)?;
        if let Ok(mut keys) = self.0.lock() {
            if keys.len() >= MAX_KEYS {
                keys.clear();
            }
            keys.insert(pem.to_string(), key.clone());
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityKey;

    #[test]
    fn a_key_is_parsed_once_and_each_pem_is_its_own_key() {
        let a = IdentityKey::generate().unwrap();
        let b = IdentityKey::generate().unwrap();
        let cache = ParsedKeys::default();
        let first = cache.get(a.public().pem()).unwrap();
        assert_eq!(first.fingerprint(), a.public().fingerprint());
        assert_eq!(cache.0.lock().unwrap().len(), 1);
        let again = cache.clone().get(a.public().pem()).unwrap();
        assert_eq!(again.fingerprint(), a.public().fingerprint());
        assert_eq!(cache.0.lock().unwrap().len(), 1, "shared by clones");
        let other = cache.get(b.public().pem()).unwrap();
        assert_eq!(other.fingerprint(), b.public().fingerprint());
        assert!(cache.get("not a key").is_err());
        assert_eq!(cache.0.lock().unwrap().len(), 2, "a bad PEM is not kept");
    }
}
