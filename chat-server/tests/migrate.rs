//! `chat-server migrate` with the real binary: an installation used over
//! the wire on SQLite is stopped, moved into a real PostgreSQL with the
//! real command, and served from PostgreSQL on the same data directory;
//! its users log in with their passwords and tokens, get their queued
//! messages in order exactly once, see the same keys, and go on with
//! their groups and files. Every refusal leaves the target as it was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use std::path::Path;

use chat_proto::encoding::{b64_decode, b64_encode};
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use test_support::Postgres;

const GID: &str = "0d5e1c3e-55a4-4c79-9d35-5a1a8f0e3b21";

async fn database() -> String {
    tokio::task::spawn_blocking(|| Postgres::shared()?.database())
        .await
        .unwrap()
        .unwrap()
}

/// The real binary's `migrate` with `args`; (success, stdout, stderr).
async fn migrate(args: &[&str]) -> (bool, String, String) {
    let out = tokio::process::Command::new(binary())
        .arg("migrate")
        .args(args)
        .env_remove("CHAT_SERVER_STORE")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn source(dir: &Path) -> String {
    format!("sqlite:{}", dir.join("chat-server.db").display())
}

/// A server on SQLite in `dir` (its own data directory).
fn sqlite_server(dir: &Path) -> ServerProcess {
    ServerProcess::start_with(
        binary(),
        dir,
        &["--plaintext", "--bcrypt-cost", "4"],
        "127.0.0.1:0",
    )
    .unwrap()
}

/// A server on PostgreSQL at `url` with `dir` as its data directory.
fn postgres_server(dir: &Path, url: &str) -> ServerProcess {
    ServerProcess::start_with(
        binary(),
        dir,
        &["--plaintext", "--bcrypt-cost", "4", "--store", url],
        "127.0.0.1:0",
    )
    .unwrap()
}

/// One number from the target database.
async fn scalar(url: &str, sql: &str) -> i64 {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

/// Rows in the tables a migration fills.
async fn rows(url: &str) -> i64 {
    scalar(
        url,
        "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM identity_keys) \
         + (SELECT count(*) FROM tokens) + (SELECT count(*) FROM messages) \
         + (SELECT count(*) FROM mailboxes) + (SELECT count(*) FROM group_records) \
         + (SELECT count(*) FROM blobs)",
    )
    .await
}

async fn fingerprint_of(c: &mut WireClient, who: &str) -> String {
    match c
        .request(json!({"type":"get_key","username":who}))
        .await
        .unwrap()
    {
        ServerMessage::Key { fingerprint, .. } => fingerprint,
        other => panic!("get_key {who}: {other:?}"),
    }
}

fn commit(version: u64, members: &[&str], admins: &[&str]) -> Value {
    json!({"type":"group_commit","group_id":GID,"version":version,
           "state_hash":format!("{version:064x}"),"members":members,"admins":admins})
}

async fn resume(addr: std::net::SocketAddr, who: &str, token: &str) -> WireClient {
    let mut c = WireClient::connect(addr).await.unwrap();
    match c.resume(who, token).await.unwrap() {
        ServerMessage::LoginOk { .. } => c,
        other => panic!("{who} resumes: {other:?}"),
    }
}

/// A SQLite installation in `dir` with two users and one message queued
/// for bob; the server is stopped when this returns.
async fn small_installation(dir: &Path) {
    let mut srv = sqlite_server(dir);
    let _bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    send_text(&mut alice, "bob", "hello").await;
    srv.terminate().unwrap();
}

#[tokio::test]
async fn an_installation_moves_to_postgres_and_its_users_carry_on() {
    let dir = tempfile::tempdir().unwrap();
    let url = database().await;
    let mut srv = sqlite_server(dir.path());
    let (mut alice, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let (mut bob, bob_token) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();
    // carol replaces her key once: the history moves too.
    drop(user(&srv, "carol", &bob_key()).await);
    let mut carol = user(&srv, "carol", &public_pem("server")).await;
    let alice_fp = fingerprint_of(&mut bob, "alice").await;
    let carol_fp = fingerprint_of(&mut bob, "carol").await;

    // Delivered and acked before the move: never delivered again.
    for n in 0..3 {
        send_text(&mut alice, "bob", &format!("d{n}")).await;
        assert_eq!(next_text(&mut bob).await, ("alice".into(), format!("d{n}")));
    }
    assert_eq!(
        bob.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    drop(bob);
    // Queued for bob, from two senders, interleaved.
    let queued = [
        ("alice", "q0"),
        ("carol", "c0"),
        ("alice", "q1"),
        ("alice", "q2"),
        ("carol", "c1"),
        ("alice", "q3"),
    ];
    for (from, text) in queued {
        let c = if from == "alice" {
            &mut alice
        } else {
            &mut carol
        };
        send_text(c, "bob", text).await;
    }
    // A group at version 2 (bob became an admin) and a finished blob.
    let all = ["alice", "bob", "carol"];
    for (v, admins) in [(1, &["alice"][..]), (2, &["alice", "bob"][..])] {
        let r = alice.request(commit(v, &all, admins)).await.unwrap();
        assert!(
            matches!(r, ServerMessage::GroupCommitted { version, .. } if version == v),
            "{r:?}"
        );
    }
    let file: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
    let blob_id = match alice
        .request(json!({"type":"blob_create","size":file.len()}))
        .await
        .unwrap()
    {
        ServerMessage::BlobCreated { blob_id, .. } => blob_id,
        other => panic!("{other:?}"),
    };
    let r = alice
        .request(json!({"type":"blob_put","blob_id":blob_id,"offset":0,"data":b64_encode(&file)}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::BlobAck { .. }), "{r:?}");
    let digest = hex::encode(Sha256::digest(&file));
    let r = alice
        .request(json!({"type":"blob_finish","blob_id":blob_id,"digest":digest}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::BlobFinished { .. }), "{r:?}");

    // While the server runs, the file is refused and the target untouched.
    let (ok, _, err) = migrate(&["--from", &source(dir.path()), "--to", &url]).await;
    assert!(!ok);
    assert!(err.contains("is open in another process"), "{err}");
    assert!(err.contains("stop the server"), "{err}");
    drop((alice, carol));
    let old_fingerprint = srv.fingerprint.clone();
    assert!(srv.terminate().unwrap().success());

    let (ok, out, err) = migrate(&["--from", &source(dir.path()), "--to", &url]).await;
    assert!(ok, "migrate failed: {err}");
    for line in [
        "accounts        3",
        "identity keys   4 (3 current)",
        "session tokens  4",
        "queued messages 6 (for 1 recipients)",
        "groups          1",
        "blobs           1 (3000 bytes finished; metadata only)",
        "--data-dir",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }

    let srv = postgres_server(dir.path(), &url);
    assert_eq!(srv.fingerprint, old_fingerprint, "the same server key");
    // bob's token still resumes, and his queue arrives once, in order.
    let mut bob = resume(srv.addr, "bob", &bob_token).await;
    for (from, text) in queued {
        assert_eq!(next_text(&mut bob).await, (from.into(), text.into()));
    }
    let mut alice = WireClient::connect(srv.addr).await.unwrap();
    match alice.login("alice", PASSWORD, &alice_key()).await.unwrap() {
        ServerMessage::LoginOk { .. } => {}
        other => panic!("alice logs in with her password: {other:?}"),
    }
    send_text(&mut alice, "bob", "after").await;
    assert_eq!(next_text(&mut bob).await, ("alice".into(), "after".into()));
    assert_eq!(
        bob.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    drop(bob);
    // Acked on PostgreSQL: a new session gets only what is new.
    send_text(&mut alice, "bob", "later").await;
    let mut bob = resume(srv.addr, "bob", &bob_token).await;
    assert_eq!(next_text(&mut bob).await, ("alice".into(), "later".into()));

    assert_eq!(fingerprint_of(&mut bob, "alice").await, alice_fp);
    assert_eq!(fingerprint_of(&mut bob, "carol").await, carol_fp);

    // The group goes on from version 2: bob (an admin since 2) commits 3,
    // and versions already taken are stale.
    let r = bob
        .request(commit(3, &all, &["alice", "bob"]))
        .await
        .unwrap();
    assert_eq!(
        r,
        ServerMessage::GroupCommitted {
            group_id: GID.into(),
            version: 3
        }
    );
    let r = alice.request(commit(3, &all, &["alice"])).await.unwrap();
    assert_eq!(code(&r), ErrorCode::StaleVersion, "{r:?}");

    // The file, whose bytes stayed in the data directory, downloads whole.
    match alice
        .request(json!({"type":"blob_get","blob_id":blob_id,"offset":0,"length":4096}))
        .await
        .unwrap()
    {
        ServerMessage::BlobData { data, size, .. } => {
            assert_eq!(size, 3000);
            assert_eq!(b64_decode(&data, "data").unwrap(), file);
        }
        other => panic!("blob_get: {other:?}"),
    }

    // New accounts get ids after the copied ones.
    let mut dave = user(&srv, "dave", &bob_key()).await;
    send_text(&mut dave, "bob", "from dave").await;
    assert_eq!(
        next_text(&mut bob).await,
        ("dave".into(), "from dave".into())
    );
}

#[tokio::test]
async fn a_target_holding_data_is_refused_unless_overwrite_is_given() {
    let dir = tempfile::tempdir().unwrap();
    small_installation(dir.path()).await;
    let url = database().await;
    // Over TLS verified against the cluster's CA (--store-ca); a CA that
    // did not sign the cluster's certificate is refused first.
    for (ca, works) in [(Postgres::other_ca(), false), (Postgres::tls_ca(), true)] {
        let (ok, _, err) = migrate(&[
            "--from",
            &source(dir.path()),
            "--to",
            &url,
            "--store-ca",
            ca.to_str().unwrap(),
        ])
        .await;
        assert_eq!(ok, works, "{err}");
        assert!(works || err.contains("certificate"), "{err}");
    }
    let before = rows(&url).await;
    assert!(before > 0);

    let (ok, _, err) = migrate(&["--from", &source(dir.path()), "--to", &url]).await;
    assert!(!ok);
    assert!(err.contains("already holds data"), "{err}");
    assert!(err.contains("--overwrite"), "{err}");
    assert_eq!(rows(&url).await, before, "nothing added");

    let (ok, out, err) =
        migrate(&["--from", &source(dir.path()), "--to", &url, "--overwrite"]).await;
    assert!(ok, "{err}");
    assert!(out.contains("accounts        2"), "{out}");
    assert_eq!(rows(&url).await, before, "replaced, not doubled");
}

#[tokio::test]
async fn a_missing_file_a_bad_url_and_a_newer_schema_are_refused_before_writing() {
    let url = database().await;
    let (ok, _, err) =
        migrate(&["--from", "sqlite:/nonexistent/chat-server.db", "--to", &url]).await;
    assert!(!ok);
    assert!(err.contains("does not exist"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    small_installation(dir.path()).await;
    let (ok, _, err) = migrate(&["--from", &source(dir.path()), "--to", "mysql://x/y"]).await;
    assert!(!ok);
    assert!(err.contains("expected a postgres://"), "{err}");
    let (ok, _, err) = migrate(&["--from", "/var/lib/x.db", "--to", &url]).await;
    assert!(!ok);
    assert!(err.contains("expected sqlite:PATH"), "{err}");
    // Nothing listens on port 1.
    let (ok, _, err) = migrate(&[
        "--from",
        &source(dir.path()),
        "--to",
        "postgres://postgres@127.0.0.1:1/nothing",
    ])
    .await;
    assert!(!ok);
    assert!(err.contains("cannot prepare the target database"), "{err}");

    // A schema version this build does not know.
    let db = dir.path().join("chat-server.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (99, 0)",
            [],
        )
        .unwrap();
    let (ok, _, err) = migrate(&["--from", &source(dir.path()), "--to", &url]).await;
    assert!(!ok);
    assert!(err.contains("schema version 99"), "{err}");
    assert_eq!(
        scalar(
            &url,
            "SELECT count(*) FROM pg_tables WHERE tablename = 'users'"
        )
        .await,
        0,
        "the target was not even given a schema"
    );
}

#[tokio::test]
async fn a_failure_midway_leaves_the_target_empty() {
    let dir = tempfile::tempdir().unwrap();
    small_installation(dir.path()).await;
    // A message for an account that does not exist (possible in SQLite
    // with foreign keys off): accounts are copied first, then this row
    // fails PostgreSQL's foreign key.
    let db = dir.path().join("chat-server.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             INSERT INTO messages (msg_id, sender, recipient_id, ts, expires_at, envelope)
             VALUES ('orphan', 'alice', 999, 1, 9999999999999, '{}');",
        )
        .unwrap();
    let url = database().await;
    let (ok, out, err) = migrate(&["--from", &source(dir.path()), "--to", &url]).await;
    assert!(!ok, "{out}");
    assert!(err.contains("copying queued messages"), "{err}");
    assert!(err.contains("foreign key"), "{err}");
    assert!(err.contains("nothing was written to the target"), "{err}");
    assert_eq!(
        rows(&url).await,
        0,
        "the accounts copied first were rolled back"
    );

    // With the bad row gone, the same target takes the whole store.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("DELETE FROM messages WHERE msg_id = 'orphan'", [])
        .unwrap();
    let (ok, out, err) = migrate(&["--from", &source(dir.path()), "--to", &url]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("queued messages 1 (for 1 recipients)"),
        "{out}"
    );
}
