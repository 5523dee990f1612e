//! Byte encodings shared by every layer: base64 as the protocol spells it,
//! and `tbs`, the length-prefixed concatenation that every signature and
//! every AEAD associated data is built from, so that no two field lists can
//! encode to the same bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::crypto::CryptoError;

/// RFC 4648 standard base64 with padding.
pub fn b64_encode(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Decodes standard padded base64; `field` names the field in the error.
pub fn b64_decode(text: &str, field: &'static str) -> Result<Vec<u8>, CryptoError> {
    STANDARD
        .decode(text)
        .map_err(|_| CryptoError::BadField(field))
}

/// Decodes base64 that must hold exactly `N` bytes.
pub fn b64_decode_array<const N: usize>(
    text: &str,
    field: &'static str,
) -> Result<[u8; N], CryptoError> {
    b64_decode(text, field)?
        .try_into()
        .map_err(|_| CryptoError::BadField(field))
}

/// tbs(f1, ..., fn): each field as a u32 big-endian length, then its bytes.
///
/// Fields longer than `u32::MAX` cannot occur in this protocol (frames are
/// capped far below); such a field would be a caller bug, so its length is
/// saturated rather than wrapped, which keeps the encoding injective for
/// everything that can reach it.
pub fn tbs(fields: &[&[u8]]) -> Vec<u8> {
    let total = fields.iter().map(|f| 4 + f.len()).sum();
    let mut out = Vec::with_capacity(total);
    for field in fields {
        let len = u32::try_from(field.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(field);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tbs_prefixes_each_field_with_its_length() {
        assert_eq!(tbs(&[b"ab", b""]), vec![0, 0, 0, 2, b'a', b'b', 0, 0, 0, 0]);
        assert_ne!(tbs(&[b"ab", b"c"]), tbs(&[b"a", b"bc"]));
    }

    #[test]
    fn base64_is_standard_and_padded() {
        assert_eq!(b64_encode(b"\xfb\xff"), "+/8=");
        assert_eq!(b64_decode("+/8=", "x").ok(), Some(vec![0xfb, 0xff]));
        assert_eq!(b64_decode("-_8", "x"), Err(CryptoError::BadField("x")));
        assert!(b64_decode_array::<3>("+/8=", "x").is_err());
    }
}
