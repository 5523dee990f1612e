//! The values a `file` payload carries to open a blob: the blob id (the
//! server's download capability, bound into every chunk), the per-file
//! key and nonce prefix (secret: wiped on drop, redacted in `Debug`), and
//! the digest of the blob. Ids and digests have exactly one spelling
//! (lowercase hex), because the blob id's text is part of every chunk's
//! associated data and a digest is compared as text by the server.

use std::fmt;

use chat_proto::crypto::{self, AEAD_KEY_LEN, CryptoError};
use zeroize::Zeroizing;

/// Bytes of the nonce prefix; the chunk index fills the other 4.
pub const NONCE_PREFIX_LEN: usize = 8;

/// Parses exactly `2 * N` lowercase hex digits.
fn lower_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N || !text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(text, &mut out).ok()?;
    Some(out)
}

/// A blob id: 16 bytes chosen by the server at `blob_create`, written as
/// 32 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId([u8; 16]);

impl BlobId {
    /// Wraps raw bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// Parses the canonical form only (32 lowercase hex digits): another
    /// spelling would seal under other associated data.
    pub fn parse(text: &str) -> Option<Self> {
        lower_hex(text).map(Self)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 32 lowercase hex digits, as the wire and the associated data
    /// spell it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

/// SHA-256 of a whole blob (its ciphertext), written as 64 lowercase hex
/// digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobDigest([u8; 32]);

impl BlobDigest {
    /// Wraps raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses the canonical form only (64 lowercase hex digits).
    pub fn parse(text: &str) -> Option<Self> {
        lower_hex(text).map(Self)
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex digits of the wire.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for BlobDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for BlobDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobDigest({self})")
    }
}

/// One file's secret: the AES-256-GCM key and the 8-byte nonce prefix,
/// both fresh from the OS RNG for every file, so that (key, nonce) never
/// repeats across files and a chunk of one file never opens in another.
/// The key is wiped on drop and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct FileKey {
    key: Zeroizing<[u8; AEAD_KEY_LEN]>,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

impl FileKey {
    /// A fresh key and nonce prefix from the operating system's RNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let key = Zeroizing::new(crypto::random_bytes::<AEAD_KEY_LEN>()?);
        let nonce_prefix = crypto::random_bytes::<NONCE_PREFIX_LEN>()?;
        Ok(Self { key, nonce_prefix })
    }

    /// A key received in a payload (or fixed by a test vector).
    pub fn from_parts(key: [u8; AEAD_KEY_LEN], nonce_prefix: [u8; NONCE_PREFIX_LEN]) -> Self {
        Self {
            key: Zeroizing::new(key),
            nonce_prefix,
        }
    }

    /// The raw key, for the payload (and a store that keeps it).
    pub fn key_bytes(&self) -> &[u8; AEAD_KEY_LEN] {
        &self.key
    }

    /// The nonce prefix, for the payload.
    pub fn nonce_prefix(&self) -> &[u8; NONCE_PREFIX_LEN] {
        &self.nonce_prefix
    }
}

impl fmt::Debug for FileKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FileKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_one_spelling() {
        let hex = "00112233445566778899aabbccddeeff";
        let id = BlobId::parse(hex).unwrap();
        assert_eq!(id.to_string(), hex);
        for bad in [
            "00112233445566778899AABBCCDDEEFF",
            "00112233445566778899aabbccddeef",
            "00112233445566778899aabbccddeeff0",
            "0011223344556677-899aabbccddeeff",
            "",
            "00112233445566778899aabbccddeefg",
        ] {
            assert!(BlobId::parse(bad).is_none(), "{bad}");
        }
        let d = "ab".repeat(32);
        assert_eq!(BlobDigest::parse(&d).unwrap().to_hex(), d);
        assert!(BlobDigest::parse(&d.to_uppercase()).is_none());
        assert!(BlobDigest::parse(&d[2..]).is_none());
    }

    #[test]
    fn keys_are_fresh_and_redacted() {
        let (a, b) = (FileKey::generate().unwrap(), FileKey::generate().unwrap());
        assert_ne!(a.key_bytes(), b.key_bytes());
        assert_ne!(a.nonce_prefix(), b.nonce_prefix());
        assert_eq!(format!("{a:?}"), "FileKey(..)");
    }
}
