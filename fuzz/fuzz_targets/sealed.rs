//! Credential opening (chat_proto::sealed::Sealed::open with a fixed server
//! key and hello nonce), what chat-server runs on every signup, login,
//! resume and change_password: any blob is refused or opened without
//! panics, and what we seal opens to the same bytes under the same nonce
//! only.
//!
//! The first byte picks the mode: 0, the rest is the `credentials` JSON
//! object as it arrives; 1, the rest is split into ek (256 bytes), nonce (12)
//! and ct, base64-encoded as the wire carries them, to reach RSA-OAEP and
//! AES-GCM with arbitrary bytes; otherwise the rest is a plaintext sealed
//! and opened again.

#![no_main]

mod common;

use std::sync::LazyLock;

use chat_proto::crypto::{RsaPrivateKey, RsaPublicKey, private_key_from_pem};
use chat_proto::encoding::b64_encode;
use chat_proto::sealed::{Sealed, credentials_aad};
use libfuzzer_sys::fuzz_target;

static KEY: LazyLock<(RsaPrivateKey, RsaPublicKey, Vec<u8>)> = LazyLock::new(|| {
    let key = private_key_from_pem(&common::field(&["keys", "server", "private_pkcs1_pem"]))
        .expect("server key");
    let public = key.to_public_key();
    let aad = credentials_aad(&common::field(&["credentials", "hello_nonce"]));
    (key, public, aad)
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (key, public, aad) = &*KEY;
    match mode {
        0 => {
            if let Ok(sealed) = serde_json::from_slice::<Sealed>(rest) {
                let _ = sealed.open(key, aad);
            }
        }
        1 => {
            let (ek, tail) = rest.split_at(rest.len().min(256));
            let (nonce, ct) = tail.split_at(tail.len().min(12));
            let sealed = Sealed {
                ek: b64_encode(ek),
                nonce: b64_encode(nonce),
                ct: b64_encode(ct),
            };
            let _ = sealed.open(key, aad);
        }
        _ => {
            let sealed = Sealed::seal(public, aad, rest).expect("seal");
            assert_eq!(sealed.open(key, aad).expect("opens").as_slice(), rest);
            assert!(sealed.open(key, &credentials_aad("another nonce")).is_err());
        }
    }
});
