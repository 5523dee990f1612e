//! RSA-2048 key generation, the one RSA operation chatd does once per
//! account (its identity key, on first start) and chat-server once per
//! data dir. It is slow and its time varies widely from key to key
//! (finding two primes is a random search), so it is measured apart from
//! the other RSA operations, with few samples of one key each.
//!
//! Run with `cargo bench -p chat-proto --bench rsa_keygen`; CI only
//! compiles it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/cpu_time.rs"]
mod cpu_time;

use std::time::Duration;

use chat_proto::crypto::generate_private_key;
use cpu_time::CpuTime;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};

fn bench_keygen(c: &mut Criterion<CpuTime>) {
    let mut group = c.benchmark_group("rsa");
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("generate 2048-bit key", |b| {
        b.iter(|| generate_private_key().unwrap())
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = cpu_time::criterion();
    targets = bench_keygen
}
criterion_main!(benches);
