//! Every RSA operation the protocol uses, on 2048-bit keys (the size
//! chatd generates and the server's default), and `sealed` on top of them
//! (issue 14 item 2):
//!
//! - `rsa/oaep encrypt` (public): wrapping a session key, sealing
//!   credentials; `rsa/oaep decrypt` (private): unwrapping them. The
//!   server runs one OAEP decryption per signup, login, resume and
//!   password change.
//! - `rsa/pss sign` (private): signing a session key or a group state;
//!   `rsa/pss verify` (public): checking one.
//! - `sealed/seal`: a client sealing its login credentials to the server
//!   key (OAEP encrypt + AES-GCM); `sealed/open`: the server opening them
//!   (OAEP decrypt + AES-GCM), the cost that bounds login and resume
//!   storms.
//!
//! Keys are the protocol vectors' (testdata/vectors/v1.json); key
//! generation is in the `rsa_keygen` bench. Run with
//! `cargo bench -p chat-proto --bench crypto`; CI only compiles it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;

use chat_proto::crypto::{
    self, RsaPrivateKey, RsaPublicKey, oaep_decrypt, oaep_encrypt, pss_sign, pss_verify,
};
use chat_proto::sealed::{Sealed, credentials_aad};
use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::Value;

const VECTORS: &str = include_str!("../../../testdata/vectors/v1.json");

/// The vectors keep the server's key as PKCS#1 (as `openssl genrsa`
/// writes it) and the users' as PKCS#8.
fn private_pem<'a>(v: &'a Value, user: &str) -> &'a str {
    let key = &v["keys"][user];
    key["private_pkcs8_pem"]
        .as_str()
        .or(key["private_pkcs1_pem"].as_str())
        .unwrap()
}

fn keys(user: &str) -> (RsaPrivateKey, RsaPublicKey) {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let private = crypto::private_key_from_pem(private_pem(&v, user)).unwrap();
    let public =
        crypto::public_key_from_pem(v["keys"][user]["public_pem"].as_str().unwrap()).unwrap();
    (private, public)
}

/// What a session key's signature covers is about this long (labels, two
/// names, two fingerprints, a key id and the 256-byte wrapped key).
const SIGNED_LEN: usize = 420;

fn bench_rsa(c: &mut Criterion<CpuTime>) {
    let (private, public) = keys("bob");
    let session_key = [0x5a_u8; 32];
    let wrapped = oaep_encrypt(&public, &session_key).unwrap();
    let msg = vec![0x33_u8; SIGNED_LEN];
    let sig = pss_sign(&private, &msg).unwrap();

    let mut group = c.benchmark_group("rsa");
    group.bench_function("oaep encrypt", |b| {
        b.iter(|| oaep_encrypt(&public, black_box(&session_key)).unwrap())
    });
    group.bench_function("oaep decrypt", |b| {
        b.iter(|| oaep_decrypt(&private, black_box(&wrapped)).unwrap())
    });
    group.bench_function("pss sign", |b| {
        b.iter(|| pss_sign(&private, black_box(&msg)).unwrap())
    });
    group.bench_function("pss verify", |b| {
        b.iter(|| pss_verify(&public, black_box(&msg), &sig).unwrap())
    });
    group.finish();
}

fn bench_sealed(c: &mut Criterion<CpuTime>) {
    let (private, public) = keys("server");
    let aad = credentials_aad("bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZW5vbmNlbm8=");
    // What a login seals: a JSON object with a username and a password.
    let credentials = br#"{"username":"alice","password":"correct horse battery staple"}"#;
    let sealed = Sealed::seal(&public, &aad, credentials).unwrap();

    let mut group = c.benchmark_group("sealed");
    group.bench_function("seal (login credentials)", |b| {
        b.iter(|| Sealed::seal(&public, &aad, black_box(credentials)).unwrap())
    });
    group.bench_function("open (login credentials)", |b| {
        b.iter(|| black_box(&sealed).open(&private, &aad).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = cpu_time::criterion();
    targets = bench_rsa, bench_sealed
}
criterion_main!(benches);
