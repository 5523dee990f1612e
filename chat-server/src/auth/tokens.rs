//! Session tokens: 32 random bytes given to the client once, stored only as
//! their SHA-256, so a copy of the database cannot resume anyone's session.

use chat_proto::crypto::{self, CryptoError};
use chat_proto::encoding::{b64_decode_array, b64_encode};
use zeroize::Zeroizing;

/// A freshly issued token: the text for the client and the hash to store.
pub struct IssuedToken {
    /// Base64 of the 32 bytes, sent in `login_ok`.
    pub text: Zeroizing<String>,
    /// SHA-256 of the bytes, the only form stored.
    pub hash: [u8; 32],
}

/// Makes a new random token.
pub fn issue() -> Result<IssuedToken, CryptoError> {
    let raw = Zeroizing::new(crypto::random_bytes::<32>()?);
    Ok(IssuedToken {
        text: Zeroizing::new(b64_encode(raw.as_ref())),
        hash: crypto::sha256(raw.as_ref()),
    })
}

/// Hashes a token presented by a client; `None` when it is not base64 of
/// 32 bytes (and so cannot be one of ours).
pub fn hash_presented(text: &str) -> Option<[u8; 32]> {
    let raw = Zeroizing::new(b64_decode_array::<32>(text, "token").ok()?);
    Some(crypto::sha256(raw.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_hash_back_and_differ() {
        let a = issue().expect("token");
        let b = issue().expect("token");
        assert_eq!(hash_presented(&a.text), Some(a.hash));
        assert_ne!(a.hash, b.hash);
        assert_eq!(hash_presented("AAAA"), None);
        assert_eq!(hash_presented("not base64!"), None);
    }
}
