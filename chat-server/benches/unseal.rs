//! The server's private-key operation per signup, login, resume and
//! password change: opening sealed credentials (issue 14). `rsa crate`
//! is `chat_proto`'s own implementation (what the server used before and
//! clients still use), `aws-lc` the server's [`UnsealKey`]; both open the
//! same blob with the protocol vectors' server key, so the difference is
//! the RSA-2048 OAEP decryption alone. CPU time of the bench thread, as
//! chat-proto's `crypto` bench. Run with
//! `cargo bench -p chat-server --bench unseal`; CI only compiles it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "../../crates/chat-proto/benches/support/cpu_time.rs"]
mod cpu_time;

use std::hint::black_box;

use chat_proto::crypto::{self, OaepDecrypt};
use chat_proto::sealed::{Sealed, credentials_aad};
use chat_server::unseal::UnsealKey;
use cpu_time::CpuTime;
use criterion::{Criterion, criterion_group, criterion_main};
use rsa::pkcs8::EncodePrivateKey;
use serde_json::Value;

const VECTORS: &str = include_str!("../../testdata/vectors/v1.json");

fn bench_unseal(c: &mut Criterion<CpuTime>) {
    let v: Value = serde_json::from_str(VECTORS).unwrap();
    let pem = v["keys"]["server"]["private_pkcs1_pem"].as_str().unwrap();
    let private = crypto::private_key_from_pem(pem).unwrap();
    let der = private.to_pkcs8_der().unwrap();
    let fast = UnsealKey::from_pkcs8(der.as_bytes()).unwrap();
    let public = private.to_public_key();
    let aad = credentials_aad("bm9uY2Vub25jZW5vbmNlbm9uY2Vub25jZW5vbmNlbm8=");
    // What a login seals: a JSON object with a username and a password.
    let credentials = br#"{"username":"alice","password":"correct horse battery staple"}"#;
    let sealed = Sealed::seal(&public, &aad, credentials).unwrap();
    let wrapped = crypto::oaep_encrypt(&public, &[0x5a_u8; 32]).unwrap();

    let mut group = c.benchmark_group("unseal");
    group.bench_function("oaep decrypt, rsa crate", |b| {
        // The trait's method: `RsaPrivateKey` has an inherent `oaep_decrypt`
        // generic over the digest, which would shadow it.
        b.iter(|| OaepDecrypt::oaep_decrypt(&private, black_box(&wrapped)).unwrap())
    });
    group.bench_function("oaep decrypt, aws-lc", |b| {
        b.iter(|| fast.oaep_decrypt(black_box(&wrapped)).unwrap())
    });
    group.bench_function("open credentials, rsa crate", |b| {
        b.iter(|| black_box(&sealed).open(&private, &aad).unwrap())
    });
    group.bench_function("open credentials, aws-lc", |b| {
        b.iter(|| black_box(&sealed).open(&fast, &aad).unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = cpu_time::criterion();
    targets = bench_unseal
}
criterion_main!(benches);
