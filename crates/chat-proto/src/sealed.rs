//! `sealed(pub, aad, pt)`: hybrid encryption to the server key, used for
//! credentials so that a password never crosses the wire in a form the TLS
//! terminator, a log or a replayed connection could use. The associated data
//! binds a blob to one connection's hello nonce.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::crypto::{self, AEAD_KEY_LEN, AEAD_NONCE_LEN, CryptoError, OaepDecrypt, RsaPublicKey};
use crate::encoding::{b64_decode, b64_decode_array, b64_encode, tbs};

/// Domain label of the credentials associated data.
pub const CREDENTIALS_LABEL: &str = "securechat-v1-credentials";

/// A sealed blob as it appears on the wire: three base64 strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// RSA-OAEP of the one-time AES key.
    pub ek: String,
    /// The 12-byte AES-GCM nonce.
    pub nonce: String,
    /// AES-256-GCM ciphertext with its tag.
    pub ct: String,
}

impl Sealed {
    /// Seals `plaintext` to `key` under `aad` with a fresh key and nonce.
    pub fn seal(key: &RsaPublicKey, aad: &[u8], plaintext: &[u8]) -> Result<Self, CryptoError> {
        let k = Zeroizing::new(crypto::random_bytes::<AEAD_KEY_LEN>()?);
        let n = crypto::random_bytes::<AEAD_NONCE_LEN>()?;
        let ek = crypto::oaep_encrypt(key, k.as_ref())?;
        let ct = crypto::aead_seal(&k, &n, plaintext, aad)?;
        Ok(Self {
            ek: b64_encode(ek),
            nonce: b64_encode(n),
            ct: b64_encode(ct),
        })
    }

    /// Opens the blob with the private key (an [`RsaPrivateKey`](crate::crypto::RsaPrivateKey), or the
    /// server's faster implementation of the same decryption). An RSA
    /// private-key operation: run it off the async workers.
    pub fn open<K: OaepDecrypt + ?Sized>(
        &self,
        key: &K,
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let ek = b64_decode(&self.ek, "ek")?;
        let nonce = b64_decode_array::<AEAD_NONCE_LEN>(&self.nonce, "nonce")?;
        let ct = b64_decode(&self.ct, "ct")?;
        let k = key.oaep_decrypt(&ek)?;
        let k: Zeroizing<[u8; AEAD_KEY_LEN]> =
            Zeroizing::new(k.as_slice().try_into().map_err(|_| CryptoError::Decrypt)?);
        crypto::aead_open(&k, &nonce, &ct, aad)
    }
}

/// The associated data binding credentials to one connection:
/// tbs("securechat-v1-credentials", hello.nonce), the nonce as the base64
/// text the hello carried.
pub fn credentials_aad(hello_nonce_b64: &str) -> Vec<u8> {
    tbs(&[CREDENTIALS_LABEL.as_bytes(), hello_nonce_b64.as_bytes()])
}
