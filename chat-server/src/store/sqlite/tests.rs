//! Tests of the SQLite store against real files in temporary directories:
//! the guarantees the server relies on (durability, ordering, exact limits,
//! batching that isolates failures) only exist on a real database.

use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use tempfile::TempDir;

use super::queries::prefix_end;
use super::{SqliteOptions, SqliteStore, migrate, now_ms};
use crate::store::{
    GroupRecord, KeyRecord, NewBlob, NewMessage, NewToken, QuotaRefusal, Store, StoreError,
};

const DAY: i64 = 86_400_000;

struct Fixture {
    dir: TempDir,
    store: SqliteStore,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("chat.db")).unwrap();
        Fixture { dir, store }
    }

    fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("chat.db")
    }

    /// Closes the store and opens the same file again.
    async fn reopen(self) -> Fixture {
        self.store.close().await;
        let store = SqliteStore::open(&self.path()).unwrap();
        Fixture {
            dir: self.dir,
            store,
        }
    }
}

fn key(n: u8) -> KeyRecord {
    KeyRecord {
        public_key: format!("-----BEGIN PUBLIC KEY-----\nkey{n}\n-----END PUBLIC KEY-----\n"),
        fingerprint: format!("{n:064x}"),
    }
}

async fn user(store: &SqliteStore, name: &str) -> i64 {
    store
        .create_user(name, "$2b$12$hash", &key(1), 1_000)
        .await
        .unwrap()
}

fn message(from: &str, to: &str, text: &str) -> NewMessage {
    let now = now_ms();
    NewMessage {
        sender: from.to_owned(),
        recipient: to.to_owned(),
        envelope: format!(r#"{{"kind":"msg","ct":"{text}"}}"#),
        ts: now,
        expires_at: now + 30 * DAY,
        mailbox_limit: 10_000,
        sender_limit: 1_000,
    }
}

fn token(user_id: i64, n: u8, created_at: i64) -> NewToken {
    NewToken {
        user_id,
        token_hash: [n; 32],
        created_at,
        expires_at: created_at + 30 * DAY,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn create_user_and_duplicate() {
    let f = Fixture::new();
    let id = user(&f.store, "alice").await;
    let auth = f.store.user_auth("alice").await.unwrap().unwrap();
    assert_eq!((auth.id, auth.username.as_str()), (id, "alice"));
    assert_eq!(auth.password_hash, "$2b$12$hash");
    assert_eq!(f.store.current_key("alice").await.unwrap(), Some(key(1)));
    assert!(f.store.user_exists("alice").await.unwrap());

    let again = f.store.create_user("alice", "h", &key(2), 2_000).await;
    assert!(matches!(again, Err(StoreError::UsernameTaken)), "{again:?}");
    // The failed signup left nothing behind, not even its key.
    assert_eq!(f.store.current_key("alice").await.unwrap(), Some(key(1)));
}

#[tokio::test(flavor = "multi_thread")]
async fn usernames_are_case_sensitive() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    user(&f.store, "Alice").await;
    assert!(f.store.user_auth("ALICE").await.unwrap().is_none());
    assert!(!f.store.user_exists("aLice").await.unwrap());
    assert_eq!(
        f.store.user_auth("Alice").await.unwrap().unwrap().username,
        "Alice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn set_password_replaces_the_hash() {
    let f = Fixture::new();
    let id = user(&f.store, "alice").await;
    f.store.set_password(id, "$2b$12$new").await.unwrap();
    let auth = f.store.user_auth("alice").await.unwrap().unwrap();
    assert_eq!(auth.password_hash, "$2b$12$new");
    let missing = f.store.set_password(id + 100, "x").await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchUser)),
        "{missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn users_table_is_exactly_the_seeds() {
    let f = Fixture::new();
    let conn = Connection::open(f.path()).unwrap();
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'users'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        sql,
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT \
         NULL, password_hash TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)"
    );
    let mut stmt = conn.prepare("PRAGMA table_info(users)").unwrap();
    let columns: Vec<(String, String, bool, Option<String>, i64)> = stmt
        .query_map([], |r| {
            Ok((r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = [
        ("id", "INTEGER", false, None, 1),
        ("username", "TEXT", true, None, 0),
        ("password_hash", "TEXT", true, None, 0),
        (
            "created_at",
            "TIMESTAMP",
            false,
            Some("CURRENT_TIMESTAMP"),
            0,
        ),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(n, t, nn, d, pk)| (n.to_string(), t.to_string(), *nn, d.map(str::to_owned), *pk))
        .collect();
    assert_eq!(columns, expected);
    // created_at is filled by the seed's default, as SQLite text.
    user(&f.store, "alice").await;
    let created: String = conn
        .query_row("SELECT created_at FROM users", [], |r| r.get(0))
        .unwrap();
    assert_eq!(created.len(), "2026-01-01 00:00:00".len(), "{created}");
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_settings_are_durable() {
    let f = Fixture::new();
    let (mode, sync, fk) = f
        .store
        .write(|c| {
            let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0))?;
            let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
            Ok((mode, sync, fk))
        })
        .await
        .unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1), "2 is FULL");
}

/// A database written by the previous schema (version 4) with messages in
/// it: after the upgrade every message is still there, the kept counts
/// match the rows, the limits hold on them, and acks keep them right.
#[tokio::test(flavor = "multi_thread")]
async fn upgrade_from_schema_4_keeps_messages_and_counts_them() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("chat.db");
    {
        let mut old = Connection::open(&path).unwrap();
        sqlite_support::migrate(&mut old, &migrate::MIGRATIONS[..4], "test", 1).unwrap();
        old.execute_batch(
            "INSERT INTO users (username, password_hash) VALUES ('alice', 'h'), ('bob', 'h'), ('carol', 'h');",
        )
        .unwrap();
        let far = now_ms() + 30 * DAY;
        for i in 0..5 {
            for sender in ["alice", "carol"] {
                old.execute(
                    "INSERT INTO messages (msg_id, sender, recipient_id, ts, expires_at, envelope) \
                     VALUES (?1, ?2, (SELECT id FROM users WHERE username = 'bob'), 1, ?3, ?4)",
                    rusqlite::params![
                        uuid::Uuid::new_v4().to_string(),
                        sender,
                        far,
                        format!(r#"{{"n":{i}}}"#)
                    ],
                )
                .unwrap();
            }
        }
    }
    let store = SqliteStore::open(&path).unwrap();
    let pending = store.pending("bob", 0, 100).await.unwrap();
    assert_eq!(pending.len(), 10, "every message kept");
    assert!(pending.windows(2).all(|w| w[0].seq < w[1].seq));
    let counts = || {
        store.read(|c| {
            let size: i64 = c.query_row("SELECT stored FROM mailbox_sizes", [], |r| r.get(0))?;
            let shares: Vec<(String, i64)> = c
                .prepare("SELECT sender, stored FROM sender_shares ORDER BY sender")?
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
            Ok((size, shares))
        })
    };
    let five = |name: &str, n| (name.to_owned(), n);
    assert_eq!(
        counts().await.unwrap(),
        (10, vec![five("alice", 5), five("carol", 5)])
    );
    // The limits see the messages from before the upgrade.
    let mut full = message("alice", "bob", "x");
    full.sender_limit = 5;
    assert!(matches!(
        store.enqueue(full).await,
        Err(StoreError::SenderShareFull)
    ));
    let mut full = message("dave", "bob", "x");
    full.mailbox_limit = 10;
    assert!(matches!(
        store.enqueue(full).await,
        Err(StoreError::MailboxFull)
    ));
    // An ack of old (v4) ids in one statement; the counts follow.
    let old_ids: Vec<String> = pending[..4].iter().map(|m| m.msg_id.clone()).collect();
    store.ack("bob", &old_ids).await.unwrap();
    assert_eq!(
        counts().await.unwrap(),
        (6, vec![five("alice", 3), five("carol", 3)])
    );
    let new = store.enqueue(message("alice", "bob", "new")).await.unwrap();
    assert_eq!(
        uuid::Uuid::parse_str(&new.msg_id)
            .unwrap()
            .get_version_num(),
        7
    );
    assert_eq!(store.pending("bob", 0, 100).await.unwrap().len(), 7);
    store.close().await;
}

/// The kept counts are an upper bound (they include expired messages
/// until the purge); at a limit the exact count decides, so expired
/// messages never make a mailbox full, and the purge brings the kept
/// counts back to the rows.
#[tokio::test(flavor = "multi_thread")]
async fn expired_messages_do_not_fill_a_mailbox_before_the_purge() {
    let f = Fixture::new();
    for name in ["alice", "bob"] {
        user(&f.store, name).await;
    }
    let mut old = message("alice", "bob", "old");
    old.expires_at = old.ts + 1;
    f.store.enqueue(old).await.unwrap();
    let mut next = message("alice", "bob", "next");
    next.ts += 10;
    next.sender_limit = 1;
    next.mailbox_limit = 1;
    f.store.enqueue(next.clone()).await.unwrap();
    assert!(matches!(
        f.store.enqueue(next.clone()).await,
        Err(StoreError::MailboxFull)
    ));
    assert_eq!(f.store.purge_expired(next.ts).await.unwrap(), 1);
    let size: i64 = f
        .store
        .read(|c| Ok(c.query_row("SELECT stored FROM mailbox_sizes", [], |r| r.get(0))?))
        .await
        .unwrap();
    assert_eq!(size, 1);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let f = Fixture::new();
    let mode = std::fs::metadata(f.path()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_key_keeps_history() {
    let f = Fixture::new();
    let id = user(&f.store, "alice").await;
    f.store.replace_key(id, &key(2), 2_000).await.unwrap();
    // The same key again is not a change.
    f.store.replace_key(id, &key(2), 3_000).await.unwrap();
    f.store.replace_key(id, &key(3), 4_000).await.unwrap();
    assert_eq!(f.store.current_key("alice").await.unwrap(), Some(key(3)));

    let conn = Connection::open(f.path()).unwrap();
    let mut stmt = conn
        .prepare("SELECT fingerprint, created_at, replaced_at FROM identity_keys ORDER BY id")
        .unwrap();
    let history: Vec<(String, i64, Option<i64>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected = vec![
        (key(1).fingerprint, 1_000, Some(2_000)),
        (key(2).fingerprint, 2_000, Some(4_000)),
        (key(3).fingerprint, 4_000, None),
    ];
    assert_eq!(history, expected);

    let missing = f.store.replace_key(id + 100, &key(4), 5_000).await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchUser)),
        "{missing:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_users_prefix_after_limit_and_case() {
    let f = Fixture::new();
    for name in [
        "bob", "al", "alice", "Alfred", "alz", "al_x", "am", "albert",
    ] {
        user(&f.store, name).await;
    }
    let list = |prefix: &'static str, after: Option<&'static str>, limit| {
        let store = &f.store;
        async move { store.list_users(prefix, after, limit).await.unwrap() }
    };
    assert_eq!(
        list("al", None, 50).await,
        ["al", "al_x", "albert", "alice", "alz"]
    );
    assert_eq!(list("al", None, 2).await, ["al", "al_x"]);
    assert_eq!(list("al", Some("al_x"), 2).await, ["albert", "alice"]);
    assert_eq!(list("al", Some("alz"), 50).await, Vec::<String>::new());
    // An `after` before the prefix does not widen the result.
    assert_eq!(list("al", Some("a"), 1).await, ["al"]);
    // Case-sensitive, and `_` is not a wildcard.
    assert_eq!(list("Al", None, 50).await, ["Alfred"]);
    assert_eq!(list("al_", None, 50).await, ["al_x"]);
    let all = list("", None, 50).await;
    assert_eq!(
        all,
        [
            "Alfred", "al", "al_x", "albert", "alice", "alz", "am", "bob"
        ]
    );
    assert_eq!(list("", Some("am"), 50).await, ["bob"]);
    assert!(list("al", None, 0).await.is_empty());
    assert!(list("zz", None, 50).await.is_empty());
}

#[test]
fn prefix_end_is_the_next_string_in_byte_order() {
    assert_eq!(prefix_end(""), None);
    assert_eq!(prefix_end("al").as_deref(), Some("am"));
    assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
    assert_eq!(prefix_end("\u{10FFFF}"), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_valid_wrong_user_and_expiry() {
    let f = Fixture::new();
    let alice = user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    let t0 = 1_000_000;
    f.store.insert_token(token(alice, 1, t0)).await.unwrap();
    let idle = 7 * DAY;

    let ok = f
        .store
        .use_token("alice", [1; 32], t0 + 1, idle)
        .await
        .unwrap();
    assert_eq!(ok, Some((alice, t0 + 30 * DAY)));
    assert_eq!(
        f.store
            .use_token("bob", [1; 32], t0 + 2, idle)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        f.store
            .use_token("alice", [9; 32], t0 + 2, idle)
            .await
            .unwrap(),
        None
    );

    // Each use moves the idle deadline: used at t0+6d, valid at t0+12d.
    let used = f
        .store
        .use_token("alice", [1; 32], t0 + 6 * DAY, idle)
        .await
        .unwrap();
    assert_eq!(used, Some((alice, t0 + 30 * DAY)));
    let later = f
        .store
        .use_token("alice", [1; 32], t0 + 12 * DAY, idle)
        .await
        .unwrap();
    assert_eq!(later, Some((alice, t0 + 30 * DAY)));
    // Idle: exactly `idle` after the last use it is gone.
    let idle_out = f
        .store
        .use_token("alice", [1; 32], t0 + 19 * DAY, idle)
        .await
        .unwrap();
    assert_eq!(idle_out, None);

    // Absolute expiry, even when used recently.
    f.store.insert_token(token(alice, 2, t0)).await.unwrap();
    for day in [6, 12, 18, 24] {
        let at = t0 + day * DAY;
        assert_eq!(
            f.store.use_token("alice", [2; 32], at, idle).await.unwrap(),
            Some((alice, t0 + 30 * DAY))
        );
    }
    let at_expiry = f
        .store
        .use_token("alice", [2; 32], t0 + 30 * DAY, idle)
        .await
        .unwrap();
    assert_eq!(at_expiry, None);
    let just_before = f
        .store
        .use_token("alice", [2; 32], t0 + 30 * DAY - 1, idle)
        .await
        .unwrap();
    assert_eq!(just_before, Some((alice, t0 + 30 * DAY)));
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_revoke_and_revoke_except() {
    let f = Fixture::new();
    let alice = user(&f.store, "alice").await;
    let bob = user(&f.store, "bob").await;
    for n in 1..=3 {
        f.store.insert_token(token(alice, n, 0)).await.unwrap();
    }
    f.store.insert_token(token(bob, 4, 0)).await.unwrap();
    let valid = |name: &'static str, n: u8| {
        let store = &f.store;
        async move {
            store
                .use_token(name, [n; 32], 1, DAY)
                .await
                .unwrap()
                .is_some()
        }
    };

    f.store.revoke_token([1; 32]).await.unwrap();
    assert!(!valid("alice", 1).await);
    assert!(valid("alice", 2).await);

    f.store
        .revoke_tokens_except(alice, Some([2; 32]))
        .await
        .unwrap();
    assert!(valid("alice", 2).await);
    assert!(!valid("alice", 3).await);
    assert!(valid("bob", 4).await, "other users' tokens stay");

    f.store.revoke_tokens_except(alice, None).await.unwrap();
    assert!(!valid("alice", 2).await);
    assert!(valid("bob", 4).await);

    let orphan = f.store.insert_token(token(bob + 100, 5, 0)).await;
    assert!(matches!(orphan, Err(StoreError::NoSuchUser)), "{orphan:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn enqueue_pending_order_and_ack() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    user(&f.store, "carol").await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            f.store
                .enqueue(message("alice", "bob", &i.to_string()))
                .await
                .unwrap(),
        );
    }
    let for_carol = f
        .store
        .enqueue(message("alice", "carol", "c"))
        .await
        .unwrap();
    assert!(sent.windows(2).all(|w| w[0].seq < w[1].seq));
    for m in &sent {
        let id = uuid::Uuid::parse_str(&m.msg_id).unwrap();
        assert_eq!(id.get_version_num(), 7, "time-ordered ids");
        assert_eq!(
            m.msg_id,
            id.hyphenated().to_string(),
            "lowercase hyphenated"
        );
    }

    assert_eq!(f.store.pending("bob", 0, 100).await.unwrap(), sent);
    assert_eq!(f.store.pending("bob", 0, 2).await.unwrap(), sent[..2]);
    assert_eq!(
        f.store.pending("bob", sent[1].seq, 100).await.unwrap(),
        sent[2..]
    );
    assert!(f.store.pending("nobody", 0, 100).await.unwrap().is_empty());

    // Bob cannot ack Carol's message; unknown ids are ignored.
    let acks = vec![
        sent[0].msg_id.clone(),
        for_carol.msg_id.clone(),
        "nope".to_owned(),
    ];
    f.store.ack("bob", &acks).await.unwrap();
    f.store.ack("bob", &[]).await.unwrap();
    assert_eq!(f.store.pending("bob", 0, 100).await.unwrap(), sent[1..]);
    assert_eq!(f.store.pending("carol", 0, 100).await.unwrap(), [for_carol]);
}

#[tokio::test(flavor = "multi_thread")]
async fn enqueue_to_unknown_user() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    let sent = f.store.enqueue(message("alice", "Bob", "x")).await;
    assert!(matches!(sent, Err(StoreError::NoSuchUser)), "{sent:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mailbox_full_at_the_exact_limit() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    let limited = |text: &str| NewMessage {
        mailbox_limit: 3,
        ..message("alice", "bob", text)
    };
    for i in 0..3 {
        f.store.enqueue(limited(&i.to_string())).await.unwrap();
    }
    let full = f.store.enqueue(limited("3")).await;
    assert!(matches!(full, Err(StoreError::MailboxFull)), "{full:?}");
    assert_eq!(f.store.pending("bob", 0, 100).await.unwrap().len(), 3);

    // One ack makes room for exactly one more.
    let first = f.store.pending("bob", 0, 1).await.unwrap().remove(0);
    f.store.ack("bob", &[first.msg_id]).await.unwrap();
    f.store.enqueue(limited("4")).await.unwrap();
    assert!(matches!(
        f.store.enqueue(limited("5")).await,
        Err(StoreError::MailboxFull)
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn enqueue_many_stores_in_order_and_refuses_items_alone() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    user(&f.store, "carol").await;
    let limited = |to: &str, text: &str| NewMessage {
        mailbox_limit: 2,
        ..message("alice", to, text)
    };
    let results = f
        .store
        .enqueue_many(vec![
            limited("bob", "1"),
            limited("nobody", "2"),
            limited("carol", "3"),
            limited("bob", "4"),
            // bob's third: over his limit of 2, counting this request's own.
            limited("bob", "5"),
            limited("carol", "6"),
        ])
        .await
        .unwrap();
    let shape: Vec<&str> = results
        .iter()
        .map(|r| match r {
            Ok(_) => "ok",
            Err(StoreError::NoSuchUser) => "no_such_user",
            Err(StoreError::MailboxFull) => "mailbox_full",
            Err(_) => "other",
        })
        .collect();
    assert_eq!(
        shape,
        ["ok", "no_such_user", "ok", "ok", "mailbox_full", "ok"]
    );
    let seqs: Vec<i64> = results.iter().flatten().map(|m| m.seq).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let texts = |to: &'static str| {
        let store = &f.store;
        async move {
            store
                .pending(to, 0, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.envelope)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        texts("bob").await,
        [limited("bob", "1").envelope, limited("bob", "4").envelope]
    );
    assert_eq!(texts("carol").await.len(), 2);
    assert!(f.store.enqueue_many(Vec::new()).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn group_commits_compare_and_set_and_survive_reopening() {
    let f = Fixture::new();
    let record = |version: u64, members: &[&str]| GroupRecord {
        version,
        state_hash: format!("{version:064x}"),
        members: members.iter().map(|m| m.to_string()).collect(),
        admins: vec!["alice".to_owned()],
    };
    let gid = "6c5d130e-8708-4887-80c3-5c82d334a3e7";
    assert_eq!(f.store.group(gid).await.unwrap(), None);
    let v1 = record(1, &["alice", "bob"]);
    let commit = |expected, r: GroupRecord| f.store.commit_group(gid, expected, r, "alice", 5);
    assert_eq!(commit(0, v1.clone()).await.unwrap(), Ok(()));
    // A second creation, or a commit on top of a version no longer held,
    // changes nothing and returns what is held.
    assert_eq!(
        commit(0, record(1, &["alice"])).await.unwrap(),
        Err(Some(v1.clone()))
    );
    let v2 = record(2, &["alice", "bob", "carol"]);
    assert_eq!(commit(1, v2.clone()).await.unwrap(), Ok(()));
    assert_eq!(
        commit(1, record(2, &["alice"])).await.unwrap(),
        Err(Some(v2.clone()))
    );
    let f = f.reopen().await;
    assert_eq!(f.store.group(gid).await.unwrap(), Some(v2));
    assert_eq!(f.store.group("other").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_sender_fills_only_its_share_of_a_mailbox() {
    let f = Fixture::new();
    for name in ["alice", "carol", "bob"] {
        user(&f.store, name).await;
    }
    let shared = |from: &str, text: &str| NewMessage {
        mailbox_limit: 5,
        sender_limit: 2,
        ..message(from, "bob", text)
    };
    for i in 0..2 {
        f.store
            .enqueue(shared("alice", &i.to_string()))
            .await
            .unwrap();
    }
    let full = f.store.enqueue(shared("alice", "2")).await;
    assert!(matches!(full, Err(StoreError::SenderShareFull)), "{full:?}");
    // Others still reach bob.
    f.store.enqueue(shared("carol", "c")).await.unwrap();
    assert_eq!(f.store.pending("bob", 0, 100).await.unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn purge_deletes_expired_messages_and_tokens() {
    let f = Fixture::new();
    let alice = user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    let now = now_ms();
    let expiring = |expires_at| NewMessage {
        ts: now - DAY,
        expires_at,
        ..message("alice", "bob", "old")
    };
    f.store.enqueue(expiring(now + DAY)).await.unwrap();
    let kept = f.store.enqueue(expiring(now + 2 * DAY)).await.unwrap();
    f.store
        .insert_token(NewToken {
            expires_at: now + DAY,
            ..token(alice, 1, now - DAY)
        })
        .await
        .unwrap();
    f.store
        .insert_token(NewToken {
            expires_at: now + 3 * DAY,
            ..token(alice, 2, now - DAY)
        })
        .await
        .unwrap();

    assert_eq!(
        f.store.purge_expired(now + DAY).await.unwrap(),
        1,
        "expires_at <= now goes"
    );
    assert_eq!(f.store.pending("bob", 0, 100).await.unwrap(), [kept]);
    let tokens: i64 = Connection::open(f.path())
        .unwrap()
        .query_row("SELECT count(*) FROM tokens", [], |r| r.get(0))
        .unwrap();
    assert_eq!(tokens, 1);
    assert_eq!(f.store.purge_expired(now + DAY).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_messages_are_not_pending() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    let now = now_ms();
    let old = NewMessage {
        ts: now - 2 * DAY,
        expires_at: now - DAY,
        ..message("alice", "bob", "old")
    };
    f.store.enqueue(old).await.unwrap();
    assert!(f.store.pending("bob", 0, 100).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn reopening_keeps_everything() {
    let f = Fixture::new();
    let alice = user(&f.store, "alice").await;
    user(&f.store, "bob").await;
    f.store.replace_key(alice, &key(2), 2_000).await.unwrap();
    f.store.insert_token(token(alice, 1, 0)).await.unwrap();
    let sent = f
        .store
        .enqueue(message("alice", "bob", "hi"))
        .await
        .unwrap();

    let f = f.reopen().await;
    assert_eq!(f.store.user_auth("alice").await.unwrap().unwrap().id, alice);
    assert_eq!(f.store.current_key("alice").await.unwrap(), Some(key(2)));
    assert_eq!(
        f.store.use_token("alice", [1; 32], 1, DAY).await.unwrap(),
        Some((alice, 30 * DAY))
    );
    assert_eq!(
        f.store.pending("bob", 0, 10).await.unwrap(),
        std::slice::from_ref(&sent)
    );
    // seq is never reused, even after the newest message was acked.
    f.store
        .ack("bob", std::slice::from_ref(&sent.msg_id))
        .await
        .unwrap();
    let f = f.reopen().await;
    let next = f
        .store
        .enqueue(message("alice", "bob", "again"))
        .await
        .unwrap();
    assert!(next.seq > sent.seq);
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_are_idempotent_on_reopen() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    let f = f.reopen().await.reopen().await;
    let conn = Connection::open(f.path()).unwrap();
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected: Vec<i64> = (1..=migrate::latest()).collect();
    assert_eq!(versions, expected);
    assert!(f.store.user_exists("alice").await.unwrap());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_schema_is_refused() {
    let f = Fixture::new();
    f.store.close().await;
    let conn = Connection::open(f.path()).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (?1, 0)",
        [migrate::latest() + 1],
    )
    .unwrap();
    let Err(StoreError::Db(e)) = SqliteStore::open(&f.path()) else {
        panic!("a newer schema was accepted");
    };
    assert!(e.contains("newer"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn open_error_names_the_path() {
    // A directory cannot be made under a regular file.
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("not-a-dir"), b"").unwrap();
    let path = dir.path().join("not-a-dir").join("chat.db");
    let Err(StoreError::Db(e)) = SqliteStore::open(&path) else {
        panic!("opened a database under a regular file");
    };
    assert!(e.contains("not-a-dir"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn calls_after_close_are_unavailable() {
    let f = Fixture::new();
    user(&f.store, "alice").await;
    f.store.close().await;
    f.store.close().await;
    let write = f.store.create_user("bob", "h", &key(1), 0).await;
    assert!(matches!(write, Err(StoreError::Unavailable)), "{write:?}");
    let read = f.store.user_exists("alice").await;
    assert!(matches!(read, Err(StoreError::Unavailable)), "{read:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_enqueues_get_distinct_increasing_seqs() {
    const TASKS: usize = 32;
    const EACH: usize = 25;
    let f = Fixture::new();
    user(&f.store, "bob").await;
    let store = Arc::new(f.store);
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let sent = store.enqueue(message(&format!("s{t}"), "bob", &i.to_string()));
                seqs.push(sent.await.unwrap().seq);
            }
            seqs
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let seqs = task.await.unwrap();
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "one sender's order kept"
        );
        all.extend(seqs);
    }
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), TASKS * EACH);

    let pending = store.pending("bob", 0, 10_000).await.unwrap();
    let seqs: Vec<i64> = pending.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, all, "every write committed, delivered in seq order");
    let stats = store.writer_stats();
    assert_eq!(stats.ops, 1 + (TASKS * EACH) as u64);
}

/// Stalls the writer until released, so that the writes queued meanwhile
/// are drained into one batch.
async fn stall_writer(store: &Arc<SqliteStore>) -> std::sync::mpsc::Sender<()> {
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let (started, running) = tokio::sync::oneshot::channel();
    let stalled = Arc::clone(store);
    tokio::spawn(async move {
        stalled
            .write(move |_| {
                let _ = started.send(());
                let _ = wait.recv_timeout(Duration::from_secs(30));
                Ok(())
            })
            .await
    });
    running.await.unwrap();
    release
}

async fn wait_until_queued(store: &SqliteStore, queued: usize) {
    test_support::wait::Wait::new(&format!("{queued} writes to be queued"))
        .every(Duration::from_millis(5))
        .until_async(async || store.writer.queued() >= queued)
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_op_does_not_fail_its_batch() {
    let dir = TempDir::new().unwrap();
    let options = SqliteOptions {
        batch_max: 64,
        ..SqliteOptions::default()
    };
    let store = Arc::new(SqliteStore::open_with(&dir.path().join("chat.db"), &options).unwrap());
    user(&store, "taken").await;
    let before = store.writer_stats();

    let release = stall_writer(&store).await;
    let names = ["a", "taken", "b", "c"];
    let mut signups = Vec::new();
    for name in names {
        let store = Arc::clone(&store);
        signups.push(tokio::spawn(async move {
            store.create_user(name, "h", &key(1), 0).await
        }));
    }
    // An op that fails after writing: its savepoint must undo its write.
    let half_done = Arc::clone(&store);
    let ghost = tokio::spawn(async move {
        half_done
            .write(|c| {
                c.execute(
                    "INSERT INTO users (username, password_hash) VALUES ('ghost', 'h')",
                    [],
                )?;
                Err::<(), _>(StoreError::Db("deliberate".to_owned()))
            })
            .await
    });
    wait_until_queued(&store, names.len() + 1).await;
    release.send(()).unwrap();
    assert!(matches!(ghost.await.unwrap(), Err(StoreError::Db(_))));
    assert!(!store.user_exists("ghost").await.unwrap());

    let mut results = Vec::new();
    for signup in signups {
        results.push(signup.await.unwrap());
    }
    assert!(
        matches!(results[1], Err(StoreError::UsernameTaken)),
        "{:?}",
        results[1]
    );
    for (name, result) in names.iter().zip(&results) {
        if *name != "taken" {
            assert!(result.is_ok(), "{name}: {result:?}");
            assert!(store.user_exists(name).await.unwrap());
        }
    }
    let after = store.writer_stats();
    assert_eq!(
        after.batches - before.batches,
        2,
        "the stall, then one batch of five"
    );
    assert_eq!(after.ops - before.ops, 1 + 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn adopts_a_seed_database() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("chat.db");
    let seed = Connection::open(&path).unwrap();
    seed.execute_batch(
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT \
         NULL, password_hash TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP); \
         INSERT INTO users (username, password_hash) VALUES ('old', '$2b$12$seed');",
    )
    .unwrap();
    drop(seed);
    let store = SqliteStore::open(&path).unwrap();
    let auth = store.user_auth("old").await.unwrap().unwrap();
    assert_eq!(auth.password_hash, "$2b$12$seed");
    assert_eq!(store.current_key("old").await.unwrap(), None);
    let new = store.create_user("new", "h", &key(1), 0).await.unwrap();
    assert!(new > auth.id);
}

fn blob(n: u8, owner: i64, size: u64, now: i64) -> NewBlob {
    NewBlob {
        blob_id: format!("{n:032x}"),
        owner,
        size,
        now,
        expires: now + 1_000,
        quota: 10_000,
        max_uploads: 3,
    }
}

#[tokio::test]
async fn blob_quota_offsets_finish_and_expiry() {
    let f = Fixture::new();
    let (alice, bob) = (user(&f.store, "alice").await, user(&f.store, "bob").await);
    let s = &f.store;
    assert_eq!(
        s.blob_create(blob(1, alice, 6_000, 0)).await.unwrap(),
        Ok(())
    );
    // Exactly at the quota fits; one byte more does not.
    assert_eq!(
        s.blob_create(blob(2, alice, 4_001, 0)).await.unwrap(),
        Err(QuotaRefusal::Bytes {
            used: 6_000,
            quota: 10_000
        })
    );
    assert_eq!(
        s.blob_create(blob(2, alice, 4_000, 0)).await.unwrap(),
        Ok(())
    );
    assert_eq!(
        s.blob_create(blob(3, bob, 10_000, 0)).await.unwrap(),
        Ok(())
    );
    let id = format!("{:032x}", 1);
    // The durable offset moves by compare-and-set, never past the size.
    assert!(s.blob_advance(&id, 0, 4_000).await.unwrap());
    assert!(!s.blob_advance(&id, 0, 10).await.unwrap());
    assert!(!s.blob_advance(&id, 4_000, 6_001).await.unwrap());
    assert!(
        !s.blob_finish(&id, "d", 5, 500).await.unwrap(),
        "not complete"
    );
    assert!(s.blob_advance(&id, 4_000, 6_000).await.unwrap());
    assert!(s.blob_finish(&id, "d", 5, 500).await.unwrap());
    assert!(!s.blob_finish(&id, "d", 5, 500).await.unwrap(), "only once");
    let rec = s.blob(&id).await.unwrap().unwrap();
    assert_eq!(
        (
            rec.owner,
            rec.size,
            rec.offset,
            rec.digest.as_deref(),
            rec.finished,
            rec.expires
        ),
        (alice, 6_000, 6_000, Some("d"), Some(5), 500)
    );
    assert!(
        !s.blob_advance(&id, 6_000, 6_000).await.unwrap(),
        "finished"
    );
    // Expired rows stop counting and are listed for the sweeper.
    assert_eq!(
        s.blob_create(blob(4, alice, 6_000, 600)).await.unwrap(),
        Ok(())
    );
    assert_eq!(s.blobs_expired(600, 10).await.unwrap(), vec![id.clone()]);
    assert!(s.blob_delete(&id).await.unwrap());
    assert!(!s.blob_delete(&id).await.unwrap());
    assert_eq!(s.blob(&id).await.unwrap(), None);
    // At most `max_uploads` unfinished at once.
    let f = f.reopen().await;
    let s = &f.store;
    let carol = user(s, "carol").await;
    for n in 5..8 {
        assert_eq!(s.blob_create(blob(n, carol, 1, 600)).await.unwrap(), Ok(()));
    }
    assert_eq!(
        s.blob_create(blob(8, carol, 1, 600)).await.unwrap(),
        Err(QuotaRefusal::Uploads { max: 3 })
    );
}
