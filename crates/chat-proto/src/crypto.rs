//! The protocol's primitives (PROTOCOL.md §0) in one place, so that the
//! server, the daemon and the tests cannot disagree on a padding, a salt
//! length or a key encoding. Everything here is pure: no I/O, no state.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

pub use rsa::{PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};

/// Smallest modulus the protocol accepts, in bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Modulus size of keys we generate, in bits.
pub const GENERATED_RSA_BITS: usize = 2048;
/// AES-256-GCM key length.
pub const AEAD_KEY_LEN: usize = 32;
/// AES-256-GCM nonce length.
pub const AEAD_NONCE_LEN: usize = 12;
/// PSS salt length fixed by the protocol.
pub const PSS_SALT_LEN: usize = 32;

/// What went wrong with a key or a cryptographic operation.
///
/// Deliberately coarse: callers report "bad key" or "does not verify" to
/// peers, and finer detail would only help an attacker.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The PEM text is not an RSA key in a format we read.
    #[error("not an RSA key in PEM (expected SubjectPublicKeyInfo / PKCS#1 / PKCS#8)")]
    BadPem,
    /// The key parses but is weaker than the protocol allows.
    #[error("RSA key refused: modulus must be at least {MIN_RSA_BITS} bits and e = 65537")]
    WeakKey,
    /// A signature did not verify.
    #[error("signature does not verify")]
    BadSignature,
    /// Decryption failed (wrong key, tampered data, wrong associated data).
    #[error("decryption failed")]
    Decrypt,
    /// Encryption failed (plaintext too long for RSA-OAEP).
    #[error("encryption failed")]
    Encrypt,
    /// Base64 text was malformed or had the wrong decoded length.
    #[error("bad base64 field `{0}`")]
    BadField(&'static str),
    /// The operating system random number generator failed.
    #[error("system random number generator failed")]
    Rng,
}

/// Fills a fresh array from the operating system RNG.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], CryptoError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| CryptoError::Rng)?;
    Ok(out)
}

/// Generates a new RSA-2048 key pair. Slow (hundreds of milliseconds): call
/// it off the async workers.
pub fn generate_private_key() -> Result<RsaPrivateKey, CryptoError> {
    RsaPrivateKey::new(&mut getrandom::SysRng, GENERATED_RSA_BITS).map_err(|_| CryptoError::Rng)
}

/// Loads a private key from PEM, PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
/// (`BEGIN RSA PRIVATE KEY`), as `openssl genrsa` and `openssl genpkey` write.
pub fn private_key_from_pem(pem: &str) -> Result<RsaPrivateKey, CryptoError> {
    let key = RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|_| CryptoError::BadPem)?;
    check_strength(&key.to_public_key())?;
    Ok(key)
}

/// Encodes a private key as PKCS#8 PEM, in memory that is wiped on drop.
pub fn private_key_to_pem(key: &RsaPrivateKey) -> Result<Zeroizing<String>, CryptoError> {
    key.to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| CryptoError::BadPem)
}

/// Parses a SubjectPublicKeyInfo PEM and enforces the protocol's minimum.
pub fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, CryptoError> {
    let key = RsaPublicKey::from_public_key_pem(pem.trim()).map_err(|_| CryptoError::BadPem)?;
    check_strength(&key)?;
    Ok(key)
}

/// Encodes a public key as SubjectPublicKeyInfo PEM with LF line endings.
pub fn public_key_to_pem(key: &RsaPublicKey) -> String {
    // Encoding an in-memory RSA public key cannot fail: the only error
    // sources are allocation and malformed keys, neither possible here.
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// The key's SubjectPublicKeyInfo DER.
pub fn public_key_der(key: &RsaPublicKey) -> Vec<u8> {
    key.to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .unwrap_or_default()
}

fn check_strength(key: &RsaPublicKey) -> Result<(), CryptoError> {
    // Count the modulus's bits, not its bytes: a 2041..2047-bit modulus
    // still takes 256 bytes.
    let bits = key.n().bit_width() as usize;
    let e = key.e_bytes();
    if bits < MIN_RSA_BITS || e.as_ref() != [0x01, 0x00, 0x01] {
        return Err(CryptoError::WeakKey);
    }
    Ok(())
}

/// fingerprint(key): lowercase hex SHA-256 of the SPKI DER (64 characters).
pub fn fingerprint(key: &RsaPublicKey) -> String {
    hex::encode(Sha256::digest(public_key_der(key)))
}

/// Shows a 64-character fingerprint as 16 groups of 4 separated by spaces,
/// the form people compare aloud. Other input is returned unchanged.
pub fn format_fingerprint(fpr: &str) -> String {
    if fpr.len() != 64 || !fpr.is_ascii() {
        return fpr.to_string();
    }
    fpr.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalises a fingerprint typed by a person (spaces, colons, upper case)
/// into the 64-character lowercase form, or `None` when it is not one.
pub fn parse_fingerprint(text: &str) -> Option<String> {
    let hex: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(hex)
}

/// RSA-OAEP with SHA-256 and MGF1-SHA-256, empty label.
pub fn oaep_encrypt(key: &RsaPublicKey, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
    key.oaep_encrypt::<Sha256>(plaintext)
        .map_err(|_| CryptoError::Encrypt)
}

/// Inverse of [`oaep_encrypt`]. A private-key operation: keep it off the
/// async workers.
pub fn oaep_decrypt(
    key: &RsaPrivateKey,
    ciphertext: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    key.oaep_decrypt::<Sha256>(ciphertext)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// A private key that undoes [`oaep_encrypt`]: RSA-OAEP with SHA-256,
/// MGF1-SHA-256 and an empty label. [`crate::sealed::Sealed::open`] takes
/// any of them, so the server can open credentials with a faster
/// implementation of the same operation than the `rsa` crate's while the
/// format is still parsed and checked in one place.
pub trait OaepDecrypt {
    /// The plaintext of `ciphertext`, or [`CryptoError::Decrypt`]. A
    /// private-key operation: keep it off the async workers.
    fn oaep_decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError>;
}

impl OaepDecrypt for RsaPrivateKey {
    fn oaep_decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        oaep_decrypt(self, ciphertext)
    }
}

/// RSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
pub fn pss_sign(key: &RsaPrivateKey, msg: &[u8]) -> Result<Vec<u8>, CryptoError> {
    key.pss_sign::<Sha256>(msg).map_err(|_| CryptoError::Rng)
}

/// Verifies an RSA-PSS signature made by [`pss_sign`] or any conforming
/// implementation (salt length 32 required).
pub fn pss_verify(key: &RsaPublicKey, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
    key.pss_verify::<Sha256>(msg, sig)
        .map_err(|_| CryptoError::BadSignature)
}

/// AES-256-GCM encryption; the 16-byte tag is appended to the ciphertext.
pub fn aead_seal(
    key: &[u8; AEAD_KEY_LEN],
    nonce: &[u8; AEAD_NONCE_LEN],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    cipher
        .encrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Encrypt)
}

/// AES-256-GCM decryption; fails on any change to key, nonce, data or tag.
pub fn aead_open(
    key: &[u8; AEAD_KEY_LEN],
    nonce: &[u8; AEAD_NONCE_LEN],
    ciphertext: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let cipher = Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key));
    cipher
        .decrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Decrypt)
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
