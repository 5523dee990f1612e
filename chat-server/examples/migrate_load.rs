//! How long `chat-server migrate` takes on a large installation (issue
//! 15): builds a SQLite store with `--accounts` accounts (each with a key
//! and a token) and `--messages` queued messages of ~230 bytes, spread
//! over `--recipients` of the accounts, then moves it into a real
//! PostgreSQL 15 (started by test-support, fsync on) with the same code the
//! subcommand runs, and prints the time.
//!
//! ```sh
//! cargo run --release -p chat-server --example migrate_load -- \
//!     [--accounts 1000] [--messages 100000] [--recipients 1000]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chat_server::migrate::{MigrateOptions, run};
use chat_server::store::SqliteStore;
use test_support::Postgres;

#[tokio::main]
async fn main() {
    let (mut accounts, mut messages, mut recipients) = (1_000i64, 100_000i64, 1_000i64);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next().and_then(|v| v.parse().ok()).expect("a number");
        match arg.as_str() {
            "--accounts" => accounts = value,
            "--messages" => messages = value,
            "--recipients" => recipients = value,
            other => panic!("unknown flag {other}"),
        }
    }
    let recipients = recipients.clamp(1, accounts);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat-server.db");
    let built = Instant::now();
    let path = db.clone();
    tokio::task::spawn_blocking(move || fill(&path, accounts, messages, recipients))
        .await
        .unwrap();
    let size = std::fs::metadata(&db).unwrap().len();
    println!(
        "SQLite store: {accounts} accounts, {messages} messages for {recipients} recipients, \
         {:.1} MB, built in {:.1} s",
        size as f64 / 1e6,
        built.elapsed().as_secs_f64()
    );
    let pg = tokio::task::spawn_blocking(Postgres::start)
        .await
        .unwrap()
        .expect("PostgreSQL 15 starts (Debian's postgresql package)");
    let url = tokio::task::block_in_place(|| pg.database()).unwrap();
    let opts = MigrateOptions {
        from: db,
        to: url,
        overwrite: false,
        ca: None,
    };
    let start = Instant::now();
    let summary = run(&opts).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!("{summary}");
    println!(
        "migrate: {secs:.2} s ({:.0} messages/s, schema creation and commit included)",
        summary.messages as f64 / secs
    );
}

/// The store as the server makes it (schema by `SqliteStore::open`), then
/// rows written directly in one transaction: sending 100,000 messages
/// through the server would measure the server, not the migration.
fn fill(db: &std::path::Path, accounts: i64, messages: i64, recipients: i64) {
    drop(SqliteStore::open(db).unwrap());
    let mut conn = rusqlite::Connection::open(db).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut user = tx
            .prepare("INSERT INTO users (id, username, password_hash) VALUES (?1, ?2, ?3)")
            .unwrap();
        let mut key = tx
            .prepare(
                "INSERT INTO identity_keys (user_id, public_key, fingerprint, created_at) \
                 VALUES (?1, ?2, ?3, 0)",
            )
            .unwrap();
        let mut token = tx
            .prepare(
                "INSERT INTO tokens (token_hash, user_id, created_at, expires_at, last_used_at) \
                 VALUES (?1, ?2, 0, 9999999999999, 0)",
            )
            .unwrap();
        let pem = format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            "A".repeat(392)
        );
        for id in 1..=accounts {
            user.execute(rusqlite::params![
                id,
                format!("user{id}"),
                "$2b$12$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234"
            ])
            .unwrap();
            key.execute(rusqlite::params![id, pem, format!("{id:064x}")])
                .unwrap();
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&id.to_be_bytes());
            token.execute(rusqlite::params![&hash[..], id]).unwrap();
        }
        let mut msg = tx
            .prepare(
                "INSERT INTO messages (msg_id, sender, recipient_id, ts, expires_at, envelope) \
                 VALUES (?1, ?2, ?3, ?4, 9999999999999, ?5)",
            )
            .unwrap();
        let envelope = format!(r#"{{"kind":"msg","ct":"{}"}}"#, "x".repeat(200));
        for n in 0..messages {
            let recipient = n % recipients + 1;
            let sender = (n * 7) % accounts + 1;
            msg.execute(rusqlite::params![
                format!("{n:08x}-0000-7000-8000-000000000000"),
                format!("user{sender}"),
                recipient,
                1_000_000 + n,
                envelope
            ])
            .unwrap();
        }
    }
    tx.commit().unwrap();
}
