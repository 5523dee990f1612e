//! Blob ids (PROTOCOL.md §5.3): 16 random bytes chosen by the server,
//! written as 32 lowercase hex digits. The id is the download capability,
//! so it is random and unguessable, and only the canonical spelling is
//! accepted (one blob, one name: no uppercase twin to probe with).

use std::fmt;

/// A parsed blob id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobId([u8; 16]);

impl BlobId {
    /// A fresh id from the system RNG.
    pub fn random() -> Result<Self, chat_proto::crypto::CryptoError> {
        chat_proto::crypto::random_bytes::<16>().map(Self)
    }

    /// Parses exactly 32 lowercase hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        let lower = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !lower {
            return None;
        }
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The raw bytes (spread over lock stripes and directories).
    pub fn bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_canonical_spelling_parses() {
        let text = "0123456789abcdef0123456789abcdef";
        let id = BlobId::parse(text).expect("canonical");
        assert_eq!(id.to_string(), text);
        for bad in [
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "0123456789abcdef0123456789abcdeg",
            "../../../../../../../../etc/pass",
            "",
        ] {
            assert_eq!(BlobId::parse(bad), None, "{bad}");
        }
        let a = BlobId::random().expect("rng");
        assert_ne!(a, BlobId::random().expect("rng"));
        assert_eq!(BlobId::parse(&a.to_string()), Some(a));
    }
}
