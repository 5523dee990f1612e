//! Load generator for the stores (issue 15): the same durable `enqueue`
//! load against the SQLite store (a file in a temp dir) and the PostgreSQL
//! store (a real PostgreSQL 15 started by test-support, fsync on), so the
//! cost of a committed `sent` on each can be compared on one machine.
//!
//! ```sh
//! cargo run --release -p chat-server --example store_load -- [SENDERS...] [--each N]
//! ```
//!
//! Every sender task enqueues `--each` messages, one after the other, each
//! to one of 16 recipients; every call returns only after its commit.
//! Prints one row per store and concurrency: throughput and the latency of
//! one `enqueue` (p50, p99, max).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_server::store::{
    KeyRecord, NewMessage, PostgresOptions, PostgresStore, SqliteStore, Store,
};
use test_support::Postgres;

const RECIPIENTS: usize = 16;

#[tokio::main]
async fn main() {
    let mut senders = Vec::new();
    let mut each = 200usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--each" {
            each = args.next().and_then(|v| v.parse().ok()).expect("--each N");
        } else {
            senders.push(arg.parse::<usize>().expect("a number of senders"));
        }
    }
    if senders.is_empty() {
        senders = vec![1, 8, 64];
    }
    let pg = tokio::task::spawn_blocking(Postgres::start)
        .await
        .unwrap()
        .expect("PostgreSQL 15 starts (Debian's postgresql package)");
    println!("| store | senders | sends | seconds | sends/s | p50 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for &n in &senders {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Arc::new(SqliteStore::open(&dir.path().join("chat.db")).unwrap());
        run("sqlite", sqlite, n, each).await;
        // psql runs blocking; this worker steps aside for it.
        let url = tokio::task::block_in_place(|| pg.database()).unwrap();
        let options = PostgresOptions {
            max_connections: n.clamp(1, 64),
            ..PostgresOptions::default()
        };
        let postgres = Arc::new(PostgresStore::connect_with(&url, &options).await.unwrap());
        run("postgres", postgres, n, each).await;
    }
}

async fn run<S: Store>(name: &str, store: Arc<S>, senders: usize, each: usize) {
    let key = KeyRecord {
        public_key: "-----BEGIN PUBLIC KEY-----\nk\n-----END PUBLIC KEY-----\n".to_owned(),
        fingerprint: "0".repeat(64),
    };
    for r in 0..RECIPIENTS {
        store
            .create_user(&format!("r{r}"), "$2b$04$x", &key, 0)
            .await
            .unwrap();
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..senders {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(each);
            for i in 0..each {
                let now = 1_000_000;
                let msg = NewMessage {
                    sender: format!("s{s}"),
                    recipient: format!("r{}", (s + i) % RECIPIENTS),
                    envelope: format!(r#"{{"kind":"msg","ct":"{}"}}"#, "x".repeat(200)),
                    ts: now,
                    expires_at: i64::MAX,
                    mailbox_limit: 1_000_000,
                    sender_limit: 1_000_000,
                };
                let t = Instant::now();
                store.enqueue(msg).await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all: Vec<Duration> = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort_unstable();
    let at = |q: f64| {
        let i = ((all.len() as f64 - 1.0) * q).round() as usize;
        all[i].as_secs_f64() * 1000.0
    };
    println!(
        "| {name} | {senders} | {} | {secs:.2} | {:.0} | {:.2} | {:.2} | {:.2} |",
        all.len(),
        all.len() as f64 / secs,
        at(0.5),
        at(0.99),
        at(1.0)
    );
    store.shutdown().await;
}
