//! What the durable relay costs at the store, without sockets: N sends
//! enqueued at once from many senders (the writer group-commits them),
//! then each recipient's mailbox fetched and acked, as the delivery loop
//! and the client do. Throughput is messages per second; the time per
//! iteration divided by N is the cost per message. Real files in a temp
//! dir, `synchronous=FULL`: every commit is fsynced, as in production.
//! `enqueue_to_backlog` sends to a recipient who is away with 5,000
//! messages waiting, where the mailbox limits are checked against a full
//! mailbox.
//!
//! ```sh
//! cargo bench -p chat-server --bench relay_store
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_server::store::{KeyRecord, NewMessage, SqliteStore, Store};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tempfile::TempDir;

/// Sender/recipient pairs; sender i writes to recipient i only.
const PAIRS: usize = 32;
/// An envelope of about the size chatd sends for a short text.
const ENVELOPE_CT: usize = 160;
/// Messages waiting for the away recipient `away`.
const BACKLOG: usize = 5_000;

struct Bench {
    _dir: TempDir,
    store: Arc<SqliteStore>,
    rt: tokio::runtime::Runtime,
}

fn key(n: usize) -> KeyRecord {
    KeyRecord {
        public_key: format!("-----BEGIN PUBLIC KEY-----\nkey{n}\n-----END PUBLIC KEY-----\n"),
        fingerprint: format!("{n:064x}"),
    }
}

impl Bench {
    fn new() -> Bench {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = TempDir::new().unwrap();
        let store = Arc::new(SqliteStore::open(&dir.path().join("bench.db")).unwrap());
        rt.block_on(async {
            for i in 0..PAIRS {
                for side in ["s", "r"] {
                    store
                        .create_user(&format!("{side}{i}"), "$2b$04$x", &key(i), 1)
                        .await
                        .unwrap();
                }
            }
            store
                .create_user("away", "$2b$04$x", &key(0), 1)
                .await
                .unwrap();
        });
        let bench = Bench {
            _dir: dir,
            store,
            rt,
        };
        bench.rt.block_on(bench.enqueue_to("away", BACKLOG, 1024));
        bench
    }

    /// Enqueues `n` messages from the senders to `to`, `window` at a time.
    async fn enqueue_to(&self, to: &str, n: usize, window: usize) {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            if set.len() >= window {
                set.join_next().await.unwrap().unwrap();
            }
            let (store, to) = (self.store.clone(), to.to_owned());
            set.spawn(async move {
                let now = chat_proto::now_ms();
                store
                    .enqueue(NewMessage {
                        sender: format!("s{}", i % PAIRS),
                        recipient: to,
                        envelope: format!(r#"{{"n":{i},"ct":"{}"}}"#, "x".repeat(ENVELOPE_CT)),
                        ts: now,
                        expires_at: now + 86_400_000,
                        mailbox_limit: 100_000,
                        sender_limit: 100_000,
                    })
                    .await
                    .unwrap();
            });
        }
        while let Some(done) = set.join_next().await {
            done.unwrap();
        }
    }

    /// Acks what `to` got after its first `keep` messages; returns how many.
    async fn ack_after(&self, to: &str, keep: usize) -> usize {
        let all = self.store.pending(to, 0, 100_000).await.unwrap();
        let ids: Vec<String> = all[keep..].iter().map(|m| m.msg_id.clone()).collect();
        for chunk in ids.chunks(1000) {
            self.store.ack(to, chunk).await.unwrap();
        }
        ids.len()
    }

    /// Enqueues `n` messages, `window` of them in flight at a time.
    async fn enqueue(&self, n: usize, window: usize) {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..n {
            if set.len() >= window {
                set.join_next().await.unwrap().unwrap();
            }
            let store = self.store.clone();
            set.spawn(async move {
                let pair = i % PAIRS;
                let now = chat_proto::now_ms();
                let envelope = format!(
                    r#"{{"kind":"msg","key_id":"k","seq":{i},"nonce":"AAAAAAAAAAAAAAAA","ct":"{}"}}"#,
                    "x".repeat(ENVELOPE_CT)
                );
                store
                    .enqueue(NewMessage {
                        sender: format!("s{pair}"),
                        recipient: format!("r{pair}"),
                        envelope,
                        ts: now,
                        expires_at: now + 86_400_000,
                        mailbox_limit: 10_000,
                        sender_limit: 1_000,
                    })
                    .await
                    .unwrap();
            });
        }
        while let Some(done) = set.join_next().await {
            done.unwrap();
        }
    }

    /// Fetches and acks every recipient's mailbox, all recipients at once,
    /// in batches of 64 as the delivery loop reads them. Returns how many
    /// messages went.
    async fn drain(&self) -> usize {
        let mut set = tokio::task::JoinSet::new();
        for pair in 0..PAIRS {
            let store = self.store.clone();
            set.spawn(async move {
                let me = format!("r{pair}");
                let (mut cursor, mut count) = (0, 0);
                loop {
                    let batch = store.pending(&me, cursor, 64).await.unwrap();
                    let Some(last) = batch.last() else { break };
                    cursor = last.seq;
                    count += batch.len();
                    let ids: Vec<String> = batch.into_iter().map(|m| m.msg_id).collect();
                    store.ack(&me, &ids).await.unwrap();
                }
                count
            });
        }
        let mut total = 0;
        while let Some(done) = set.join_next().await {
            total += done.unwrap();
        }
        total
    }
}

fn relay(c: &mut Criterion) {
    let bench = Bench::new();
    let mut group = c.benchmark_group("relay_store");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    let n = 2048;
    group.throughput(Throughput::Elements(n as u64));
    for window in [1usize, 64, 1024] {
        // Only the sends are timed; the mailbox is emptied untimed.
        group.bench_with_input(
            BenchmarkId::new("enqueue", format!("n{n}_window{window}")),
            &window,
            |b, &window| {
                let n = if window == 1 { 256 } else { n };
                b.iter_custom(|iters| {
                    let mut spent = Duration::ZERO;
                    for _ in 0..iters {
                        let start = Instant::now();
                        bench.rt.block_on(bench.enqueue(n, window));
                        spent += start.elapsed();
                        assert_eq!(bench.rt.block_on(bench.drain()), n);
                    }
                    // Scaled to `n` so the throughput line stays right.
                    spent.mul_f64(2048.0 / n as f64)
                })
            },
        );
    }
    group.bench_function(
        BenchmarkId::new("enqueue_fetch_ack", format!("n{n}_window1024")),
        |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    bench.rt.block_on(bench.enqueue(n, 1024));
                    assert_eq!(bench.rt.block_on(bench.drain()), n);
                }
                start.elapsed()
            })
        },
    );
    group.bench_function(
        BenchmarkId::new("enqueue_to_backlog", format!("n{n}_window1024")),
        |b| {
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    bench.rt.block_on(bench.enqueue_to("away", n, 1024));
                    spent += start.elapsed();
                    assert_eq!(bench.rt.block_on(bench.ack_after("away", BACKLOG)), n);
                }
                spent
            })
        },
    );
    group.finish();
    bench.rt.block_on(bench.store.close());
}

criterion_group!(benches, relay);
criterion_main!(benches);
