//! The store conformance matrix: one set of tests written against the
//! `Store` trait, run against the SQLite store (a file in a temp dir) and
//! the PostgreSQL store (a fresh database on a real PostgreSQL 15 started
//! by test-support), so that both keep the same promises: exact limits,
//! per-recipient order that a resuming reader can rely on, token expiry,
//! compare-and-set of group versions and blob quota under concurrency.
//! Engine-specific checks (file modes, pragmas, writer batching) stay in
//! each store's own tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chat_server::store::{
    GroupRecord, KeyRecord, NewBlob, NewMessage, NewToken, PostgresOptions, PostgresStore,
    QuotaRefusal, SqliteStore, Store, StoreError,
};
use tempfile::TempDir;
use test_support::Postgres;

const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    i64::try_from(d.as_millis()).unwrap()
}

fn key(n: u8) -> KeyRecord {
    KeyRecord {
        public_key: format!("-----BEGIN PUBLIC KEY-----\nkey{n}\n-----END PUBLIC KEY-----\n"),
        fingerprint: format!("{n:064x}"),
    }
}

async fn user<S: Store>(store: &S, name: &str) -> i64 {
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

// ---------------------------------------------------------------- accounts

async fn create_user_and_duplicate<S: Store>(s: Arc<S>) {
    let id = user(&*s, "alice").await;
    let auth = s.user_auth("alice").await.unwrap().unwrap();
    assert_eq!((auth.id, auth.username.as_str()), (id, "alice"));
    assert_eq!(auth.password_hash, "$2b$12$hash");
    assert_eq!(s.current_key("alice").await.unwrap(), Some(key(1)));
    assert!(s.user_exists("alice").await.unwrap());
    assert!(!s.user_exists("bob").await.unwrap());
    assert!(s.user_auth("bob").await.unwrap().is_none());

    let again = s.create_user("alice", "h", &key(2), 2_000).await;
    assert!(matches!(again, Err(StoreError::UsernameTaken)), "{again:?}");
    // The failed signup left nothing behind, not even its key.
    assert_eq!(s.current_key("alice").await.unwrap(), Some(key(1)));
    let bob = user(&*s, "bob").await;
    assert_ne!(bob, id);
}

async fn usernames_are_case_sensitive<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    user(&*s, "Alice").await;
    assert!(s.user_auth("ALICE").await.unwrap().is_none());
    assert!(!s.user_exists("aLice").await.unwrap());
    assert_eq!(
        s.user_auth("Alice").await.unwrap().unwrap().username,
        "Alice"
    );
}

async fn set_password_replaces_the_hash<S: Store>(s: Arc<S>) {
    let id = user(&*s, "alice").await;
    s.set_password(id, "$2b$12$new").await.unwrap();
    let auth = s.user_auth("alice").await.unwrap().unwrap();
    assert_eq!(auth.password_hash, "$2b$12$new");
    let missing = s.set_password(id + 100, "x").await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchUser)),
        "{missing:?}"
    );
}

async fn replace_key_makes_the_new_key_current<S: Store>(s: Arc<S>) {
    let id = user(&*s, "alice").await;
    s.replace_key(id, &key(2), 2_000).await.unwrap();
    // The same key again is not a change, and not an error.
    s.replace_key(id, &key(2), 3_000).await.unwrap();
    assert_eq!(s.current_key("alice").await.unwrap(), Some(key(2)));
    s.replace_key(id, &key(3), 4_000).await.unwrap();
    assert_eq!(s.current_key("alice").await.unwrap(), Some(key(3)));
    let missing = s.replace_key(id + 100, &key(4), 5_000).await;
    assert!(
        matches!(missing, Err(StoreError::NoSuchUser)),
        "{missing:?}"
    );
}

async fn concurrent_key_changes_leave_one_current_key<S: Store>(s: Arc<S>) {
    let id = user(&*s, "alice").await;
    let mut tasks = Vec::new();
    for n in 2..12u8 {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            s.replace_key(id, &key(n), i64::from(n)).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let current = s.current_key("alice").await.unwrap().unwrap();
    assert!((2..12u8).any(|n| key(n) == current), "{current:?}");
}

async fn list_users_prefix_after_limit_and_case<S: Store>(s: Arc<S>) {
    for name in [
        "bob", "al", "alice", "Alfred", "alz", "al_x", "am", "albert", "al%",
    ] {
        user(&*s, name).await;
    }
    let list = |prefix: &'static str, after: Option<&'static str>, limit| {
        let s = Arc::clone(&s);
        async move { s.list_users(prefix, after, limit).await.unwrap() }
    };
    assert_eq!(
        list("al", None, 50).await,
        ["al", "al%", "al_x", "albert", "alice", "alz"]
    );
    assert_eq!(list("al", None, 2).await, ["al", "al%"]);
    assert_eq!(list("al", Some("al_x"), 2).await, ["albert", "alice"]);
    assert_eq!(list("al", Some("alz"), 50).await, Vec::<String>::new());
    // An `after` before the prefix does not widen the result.
    assert_eq!(list("al", Some("a"), 1).await, ["al"]);
    // Case-sensitive, byte order, and `_` and `%` are not wildcards.
    assert_eq!(list("Al", None, 50).await, ["Alfred"]);
    assert_eq!(list("al_", None, 50).await, ["al_x"]);
    assert_eq!(list("al%", None, 50).await, ["al%"]);
    assert_eq!(
        list("", None, 50).await,
        [
            "Alfred", "al", "al%", "al_x", "albert", "alice", "alz", "am", "bob"
        ]
    );
    assert_eq!(list("", Some("am"), 50).await, ["bob"]);
    assert!(list("al", None, 0).await.is_empty());
    assert!(list("zz", None, 50).await.is_empty());
}

// ------------------------------------------------------------------ tokens

async fn tokens_valid_wrong_user_and_expiry<S: Store>(s: Arc<S>) {
    let alice = user(&*s, "alice").await;
    user(&*s, "bob").await;
    let t0 = 1_000_000;
    s.insert_token(token(alice, 1, t0)).await.unwrap();
    let idle = 7 * DAY;
    let expiry = t0 + 30 * DAY;
    let use_at = |name: &'static str, n: u8, at: i64| {
        let s = Arc::clone(&s);
        async move { s.use_token(name, [n; 32], at, idle).await.unwrap() }
    };

    assert_eq!(use_at("alice", 1, t0 + 1).await, Some((alice, expiry)));
    assert_eq!(use_at("bob", 1, t0 + 2).await, None, "another user's");
    assert_eq!(use_at("alice", 9, t0 + 2).await, None, "unknown");
    // Each use moves the idle deadline: used at t0+6d, valid at t0+12d.
    assert_eq!(
        use_at("alice", 1, t0 + 6 * DAY).await,
        Some((alice, expiry))
    );
    assert_eq!(
        use_at("alice", 1, t0 + 12 * DAY).await,
        Some((alice, expiry))
    );
    // Idle: exactly `idle` after the last use it is gone.
    assert_eq!(use_at("alice", 1, t0 + 19 * DAY).await, None);

    // Absolute expiry, even when used recently.
    s.insert_token(token(alice, 2, t0)).await.unwrap();
    for day in [6, 12, 18, 24] {
        assert_eq!(
            use_at("alice", 2, t0 + day * DAY).await,
            Some((alice, expiry))
        );
    }
    assert_eq!(use_at("alice", 2, expiry - 1).await, Some((alice, expiry)));
    assert_eq!(use_at("alice", 2, expiry).await, None);
}

async fn tokens_revoke_and_revoke_except<S: Store>(s: Arc<S>) {
    let alice = user(&*s, "alice").await;
    let bob = user(&*s, "bob").await;
    for n in 1..=3 {
        s.insert_token(token(alice, n, 0)).await.unwrap();
    }
    s.insert_token(token(bob, 4, 0)).await.unwrap();
    let valid = |name: &'static str, n: u8| {
        let s = Arc::clone(&s);
        async move { s.use_token(name, [n; 32], 1, DAY).await.unwrap().is_some() }
    };

    s.revoke_token([1; 32]).await.unwrap();
    s.revoke_token([99; 32]).await.unwrap();
    assert!(!valid("alice", 1).await);
    assert!(valid("alice", 2).await);

    s.revoke_tokens_except(alice, Some([2; 32])).await.unwrap();
    assert!(valid("alice", 2).await);
    assert!(!valid("alice", 3).await);
    assert!(valid("bob", 4).await, "other users' tokens stay");

    s.revoke_tokens_except(alice, None).await.unwrap();
    assert!(!valid("alice", 2).await);
    assert!(valid("bob", 4).await);

    let orphan = s.insert_token(token(bob + 100, 5, 0)).await;
    assert!(matches!(orphan, Err(StoreError::NoSuchUser)), "{orphan:?}");
}

// ----------------------------------------------------------------- mailbox

async fn enqueue_pending_order_and_ack<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    user(&*s, "bob").await;
    user(&*s, "carol").await;
    let mut sent = Vec::new();
    for i in 0..5 {
        sent.push(
            s.enqueue(message("alice", "bob", &i.to_string()))
                .await
                .unwrap(),
        );
    }
    let for_carol = s.enqueue(message("alice", "carol", "c")).await.unwrap();
    assert!(sent.windows(2).all(|w| w[0].seq < w[1].seq));
    for m in &sent {
        let id = uuid_v7(&m.msg_id);
        assert_eq!(m.msg_id, id, "lowercase hyphenated UUID v7 (D4)");
        assert_eq!(m.sender, "alice");
    }

    assert_eq!(s.pending("bob", 0, 100).await.unwrap(), sent);
    assert_eq!(s.pending("bob", 0, 2).await.unwrap(), sent[..2]);
    assert_eq!(s.pending("bob", sent[1].seq, 100).await.unwrap(), sent[2..]);
    assert!(s.pending("nobody", 0, 100).await.unwrap().is_empty());

    // Bob cannot ack Carol's message; unknown ids are ignored.
    let acks = vec![
        sent[0].msg_id.clone(),
        for_carol.msg_id.clone(),
        "nope".to_owned(),
    ];
    s.ack("bob", &acks).await.unwrap();
    s.ack("bob", &[]).await.unwrap();
    s.ack("nobody", &acks).await.unwrap();
    assert_eq!(s.pending("bob", 0, 100).await.unwrap(), sent[1..]);
    assert_eq!(s.pending("carol", 0, 100).await.unwrap(), [for_carol]);

    // A seq is never reused, even after the newest message was acked.
    let newest = sent.last().unwrap().clone();
    s.ack("bob", std::slice::from_ref(&newest.msg_id))
        .await
        .unwrap();
    let next = s.enqueue(message("alice", "bob", "again")).await.unwrap();
    assert!(next.seq > newest.seq);
}

/// The msg_id parsed as a UUID v7 and printed back in canonical form.
fn uuid_v7(text: &str) -> String {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    assert_eq!(hex.len(), 32, "{text}");
    assert_eq!(&hex[12..13], "7", "version 7: {text}");
    let canonical = format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    );
    canonical.to_ascii_lowercase()
}

async fn enqueue_to_unknown_user<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    let sent = s.enqueue(message("alice", "Bob", "x")).await;
    assert!(matches!(sent, Err(StoreError::NoSuchUser)), "{sent:?}");
}

async fn mailbox_full_at_the_exact_limit<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    user(&*s, "bob").await;
    let limited = |text: &str| NewMessage {
        mailbox_limit: 3,
        ..message("alice", "bob", text)
    };
    for i in 0..3 {
        s.enqueue(limited(&i.to_string())).await.unwrap();
    }
    let full = s.enqueue(limited("3")).await;
    assert!(matches!(full, Err(StoreError::MailboxFull)), "{full:?}");
    assert_eq!(s.pending("bob", 0, 100).await.unwrap().len(), 3);

    // One ack makes room for exactly one more.
    let first = s.pending("bob", 0, 1).await.unwrap().remove(0);
    s.ack("bob", &[first.msg_id]).await.unwrap();
    s.enqueue(limited("4")).await.unwrap();
    assert!(matches!(
        s.enqueue(limited("5")).await,
        Err(StoreError::MailboxFull)
    ));
}

async fn concurrent_senders_cannot_overfill_a_mailbox<S: Store>(s: Arc<S>) {
    user(&*s, "bob").await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let msg = NewMessage {
                mailbox_limit: 5,
                ..message(&format!("s{i}"), "bob", "x")
            };
            s.enqueue(msg).await
        }));
    }
    let mut stored = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => stored += 1,
            Err(StoreError::MailboxFull) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(stored, 5);
    assert_eq!(s.pending("bob", 0, 100).await.unwrap().len(), 5);
}

async fn one_sender_fills_only_its_share_of_a_mailbox<S: Store>(s: Arc<S>) {
    for name in ["alice", "carol", "bob"] {
        user(&*s, name).await;
    }
    let shared = |from: &str, text: &str| NewMessage {
        mailbox_limit: 5,
        sender_limit: 2,
        ..message(from, "bob", text)
    };
    for i in 0..2 {
        s.enqueue(shared("alice", &i.to_string())).await.unwrap();
    }
    let full = s.enqueue(shared("alice", "2")).await;
    assert!(matches!(full, Err(StoreError::SenderShareFull)), "{full:?}");
    // Others still reach bob.
    s.enqueue(shared("carol", "c")).await.unwrap();
    assert_eq!(s.pending("bob", 0, 100).await.unwrap().len(), 3);
}

async fn enqueue_many_stores_in_order_and_refuses_items_alone<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    user(&*s, "bob").await;
    user(&*s, "carol").await;
    let limited = |to: &str, text: &str| NewMessage {
        mailbox_limit: 2,
        ..message("alice", to, text)
    };
    let results = s
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
    let texts = |to: &'static str| {
        let s = Arc::clone(&s);
        async move {
            let pending = s.pending(to, 0, 100).await.unwrap();
            assert!(pending.windows(2).all(|w| w[0].seq < w[1].seq));
            pending.into_iter().map(|m| m.envelope).collect::<Vec<_>>()
        }
    };
    assert_eq!(
        texts("bob").await,
        [limited("bob", "1").envelope, limited("bob", "4").envelope]
    );
    assert_eq!(
        texts("carol").await,
        [
            limited("carol", "3").envelope,
            limited("carol", "6").envelope
        ]
    );
    assert!(s.enqueue_many(Vec::new()).await.unwrap().is_empty());
}

async fn concurrent_batches_to_overlapping_recipients<S: Store>(s: Arc<S>) {
    for name in ["a", "b", "c", "d"] {
        user(&*s, name).await;
    }
    // Batches naming the same recipients in opposite orders: a store that
    // locked recipients in request order could deadlock here.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let s = Arc::clone(&s);
        let mut to = ["a", "b", "c", "d"];
        if i % 2 == 1 {
            to.reverse();
        }
        tasks.push(tokio::spawn(async move {
            let batch = to
                .iter()
                .map(|r| message(&format!("s{i}"), r, &i.to_string()))
                .collect();
            s.enqueue_many(batch).await
        }));
    }
    for t in tasks {
        let results = t.await.unwrap().unwrap();
        assert!(results.iter().all(Result::is_ok));
    }
    for name in ["a", "b", "c", "d"] {
        assert_eq!(s.pending(name, 0, 100).await.unwrap().len(), 16);
    }
}

async fn concurrent_senders_keep_their_order<S: Store>(s: Arc<S>) {
    const TASKS: usize = 16;
    const EACH: usize = 20;
    user(&*s, "bob").await;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let sent = s.enqueue(message(&format!("s{t}"), "bob", &i.to_string()));
                seqs.push(sent.await.unwrap().seq);
            }
            seqs
        }));
    }
    let mut all = BTreeSet::new();
    for task in tasks {
        let seqs = task.await.unwrap();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "one sender's order");
        all.extend(seqs);
    }
    assert_eq!(all.len(), TASKS * EACH, "distinct seqs");
    let pending = s.pending("bob", 0, 10_000).await.unwrap();
    let seqs: Vec<i64> = pending.iter().map(|m| m.seq).collect();
    assert_eq!(seqs, all.into_iter().collect::<Vec<_>>());
    // Per sender, delivery order is send order.
    for t in 0..TASKS {
        let sender = format!("s{t}");
        let texts: Vec<String> = pending
            .iter()
            .filter(|m| m.sender == sender)
            .map(|m| m.envelope.clone())
            .collect();
        let expected: Vec<String> = (0..EACH)
            .map(|i| message("", "", &i.to_string()).envelope)
            .collect();
        assert_eq!(texts, expected, "{sender}");
    }
}

/// A reader that resumes "after the last seq it saw" while senders are
/// committing, as the delivery loop does, must see every message: a store
/// whose seqs could commit out of order would make it skip one.
async fn a_resuming_reader_misses_nothing<S: Store>(s: Arc<S>) {
    const TASKS: usize = 8;
    const EACH: usize = 40;
    user(&*s, "bob").await;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            for i in 0..EACH {
                s.enqueue(message(&format!("s{t}"), "bob", &i.to_string()))
                    .await
                    .unwrap();
            }
        }));
    }
    let mut seen = Vec::new();
    let mut cursor = 0;
    loop {
        // Judged before the read: when every sender had finished before
        // it, an empty read means nothing more will come.
        let senders_done = tasks.iter().all(|t| t.is_finished());
        let batch = s.pending("bob", cursor, 7).await.unwrap();
        if batch.is_empty() {
            if senders_done {
                break;
            }
            tokio::task::yield_now().await;
            continue;
        }
        for m in batch {
            assert!(m.seq > cursor, "ascending seq");
            cursor = m.seq;
            seen.push(m.msg_id);
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let all: BTreeSet<String> = s
        .pending("bob", 0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.msg_id)
        .collect();
    assert_eq!(all.len(), TASKS * EACH);
    assert_eq!(
        seen.len(),
        all.len(),
        "the resuming reader skipped messages"
    );
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), all);
}

async fn purge_deletes_expired_messages_and_tokens<S: Store>(s: Arc<S>) {
    let alice = user(&*s, "alice").await;
    user(&*s, "bob").await;
    let now = now_ms();
    let expiring = |expires_at| NewMessage {
        ts: now - DAY,
        expires_at,
        ..message("alice", "bob", "old")
    };
    s.enqueue(expiring(now + DAY)).await.unwrap();
    let kept = s.enqueue(expiring(now + 2 * DAY)).await.unwrap();
    let short = NewToken {
        expires_at: now + DAY,
        ..token(alice, 1, now - DAY)
    };
    let long = NewToken {
        expires_at: now + 3 * DAY,
        ..token(alice, 2, now - DAY)
    };
    s.insert_token(short).await.unwrap();
    s.insert_token(long).await.unwrap();

    assert_eq!(
        s.purge_expired(now + DAY).await.unwrap(),
        1,
        "expires_at <= now goes"
    );
    assert_eq!(s.pending("bob", 0, 100).await.unwrap(), [kept]);
    // The purged token is gone even when asked about before its expiry.
    assert_eq!(
        s.use_token("alice", [1; 32], now, 7 * DAY).await.unwrap(),
        None
    );
    assert!(
        s.use_token("alice", [2; 32], now, 7 * DAY)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.purge_expired(now + DAY).await.unwrap(), 0);
}

async fn expired_messages_are_not_pending_nor_counted<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    user(&*s, "bob").await;
    let now = now_ms();
    let old = NewMessage {
        ts: now - 2 * DAY,
        expires_at: now - DAY,
        mailbox_limit: 1,
        ..message("alice", "bob", "old")
    };
    s.enqueue(old).await.unwrap();
    assert!(s.pending("bob", 0, 100).await.unwrap().is_empty());
    // The expired one awaiting the purge does not fill the mailbox.
    let fresh = NewMessage {
        mailbox_limit: 1,
        ..message("alice", "bob", "new")
    };
    s.enqueue(fresh).await.unwrap();
}

// ------------------------------------------------------------------ groups

fn record(version: u64, members: &[&str]) -> GroupRecord {
    GroupRecord {
        version,
        state_hash: format!("{version:064x}"),
        members: members.iter().map(|m| m.to_string()).collect(),
        admins: vec!["alice".to_owned()],
    }
}

async fn group_commits_compare_and_set<S: Store>(s: Arc<S>) {
    let gid = "6c5d130e-8708-4887-80c3-5c82d334a3e7";
    assert_eq!(s.group(gid).await.unwrap(), None);
    let commit = |expected, r: GroupRecord| {
        let s = Arc::clone(&s);
        async move { s.commit_group(gid, expected, r, "alice", 5).await.unwrap() }
    };
    // A commit on top of a version of a group that does not exist.
    assert_eq!(commit(1, record(2, &["alice"])).await, Err(None));
    let v1 = record(1, &["alice", "bob"]);
    assert_eq!(commit(0, v1.clone()).await, Ok(()));
    assert_eq!(s.group(gid).await.unwrap(), Some(v1.clone()));
    // A second creation, or a commit on a version no longer held, changes
    // nothing and returns what is held.
    assert_eq!(
        commit(0, record(1, &["alice"])).await,
        Err(Some(v1.clone()))
    );
    let v2 = record(2, &["alice", "bob", "carol"]);
    assert_eq!(commit(1, v2.clone()).await, Ok(()));
    assert_eq!(
        commit(1, record(2, &["alice"])).await,
        Err(Some(v2.clone()))
    );
    assert_eq!(s.group(gid).await.unwrap(), Some(v2));
    assert_eq!(s.group("other").await.unwrap(), None);
}

async fn racing_group_commits_one_wins<S: Store>(s: Arc<S>) {
    let gid = "race";
    for (expected, version) in [(0u64, 1u64), (1, 2)] {
        let mut tasks = Vec::new();
        for i in 0..12 {
            let s = Arc::clone(&s);
            tasks.push(tokio::spawn(async move {
                let mut r = record(version, &["alice"]);
                r.members.push(format!("m{i}"));
                let result = s.commit_group(gid, expected, r.clone(), "alice", 1).await;
                (r, result.unwrap())
            }));
        }
        let mut winners = Vec::new();
        let mut held_by_losers = Vec::new();
        for t in tasks {
            match t.await.unwrap() {
                (r, Ok(())) => winners.push(r),
                (_, Err(held)) => held_by_losers.push(held),
            }
        }
        assert_eq!(winners.len(), 1, "exactly one commit of version {version}");
        let winner = Some(winners.remove(0));
        assert_eq!(s.group(gid).await.unwrap(), winner);
        assert!(held_by_losers.iter().all(|h| *h == winner), "stale_version");
    }
}

// ------------------------------------------------------------------- blobs

async fn blob_quota_offsets_finish_and_expiry<S: Store>(s: Arc<S>) {
    let (alice, bob) = (user(&*s, "alice").await, user(&*s, "bob").await);
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
    let fresh = s.blob(&id).await.unwrap().unwrap();
    assert_eq!(
        (
            fresh.owner,
            fresh.size,
            fresh.offset,
            fresh.created,
            fresh.expires
        ),
        (alice, 6_000, 0, 0, 1_000)
    );
    assert!(!fresh.is_finished());
    assert_eq!((fresh.digest, fresh.finished), (None, None));
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
    assert!(rec.is_finished());
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
    assert!(!s.blob_advance("unknown", 0, 1).await.unwrap());
    // Expired rows stop counting and are listed for the sweeper.
    assert_eq!(
        s.blob_create(blob(4, alice, 6_000, 600)).await.unwrap(),
        Ok(())
    );
    assert_eq!(s.blobs_expired(600, 10).await.unwrap(), vec![id.clone()]);
    assert!(s.blob_delete(&id).await.unwrap());
    assert!(!s.blob_delete(&id).await.unwrap());
    assert_eq!(s.blob(&id).await.unwrap(), None);
    // Oldest expiry first: 2 and 3 (at 1000) before 4 (at 1600).
    let later: Vec<String> = s.blobs_expired(2_000, 10).await.unwrap();
    assert_eq!(later.len(), 3, "{later:?}");
    let first_two: BTreeSet<&str> = later[..2].iter().map(String::as_str).collect();
    let (two, three) = (format!("{:032x}", 2), format!("{:032x}", 3));
    assert_eq!(first_two, BTreeSet::from([two.as_str(), three.as_str()]));
    assert_eq!(later[2], format!("{:032x}", 4));
    assert_eq!(s.blobs_expired(2_000, 1).await.unwrap().len(), 1);
    // At most `max_uploads` unfinished at once.
    let carol = user(&*s, "carol").await;
    for n in 5..8 {
        assert_eq!(s.blob_create(blob(n, carol, 1, 600)).await.unwrap(), Ok(()));
    }
    assert_eq!(
        s.blob_create(blob(8, carol, 1, 600)).await.unwrap(),
        Err(QuotaRefusal::Uploads { max: 3 })
    );
}

async fn racing_reservations_stay_under_the_quota<S: Store>(s: Arc<S>) {
    let alice = user(&*s, "alice").await;
    let mut tasks = Vec::new();
    for n in 0..12u8 {
        let s = Arc::clone(&s);
        tasks.push(tokio::spawn(async move {
            let new = NewBlob {
                max_uploads: 100,
                ..blob(n, alice, 4_000, 0)
            };
            s.blob_create(new).await.unwrap()
        }));
    }
    let mut granted = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => granted += 1,
            Err(QuotaRefusal::Bytes { quota, used }) => {
                assert_eq!(quota, 10_000);
                assert!(used + 4_000 > quota, "{used}");
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(granted, 2, "two of 4000 fit in 10000");
}

// --------------------------------------------------------------- lifecycle

async fn calls_after_shutdown_are_unavailable<S: Store>(s: Arc<S>) {
    user(&*s, "alice").await;
    s.shutdown().await;
    s.shutdown().await;
    let write = s.create_user("bob", "h", &key(1), 0).await;
    assert!(matches!(write, Err(StoreError::Unavailable)), "{write:?}");
    let read = s.user_exists("alice").await;
    assert!(matches!(read, Err(StoreError::Unavailable)), "{read:?}");
}

// ------------------------------------------------------------------ matrix

/// A SQLite store in its own temp dir.
async fn sqlite() -> (Arc<SqliteStore>, TempDir) {
    let dir = TempDir::new().unwrap();
    let store = SqliteStore::open(&dir.path().join("chat.db")).unwrap();
    (Arc::new(store), dir)
}

/// A PostgreSQL store on a fresh database of the binary's shared cluster.
async fn postgres() -> Arc<PostgresStore> {
    let url = postgres_database().await;
    let options = PostgresOptions {
        max_connections: 8,
        connect_timeout: Duration::from_secs(30),
        ..PostgresOptions::default()
    };
    Arc::new(PostgresStore::connect_with(&url, &options).await.unwrap())
}

async fn postgres_database() -> String {
    tokio::task::spawn_blocking(|| Postgres::shared()?.database())
        .await
        .unwrap()
        .unwrap()
}

/// Runs each listed generic test once per store.
macro_rules! matrix {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let (store, _dir) = super::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let store = super::postgres().await;
                    super::$name(store).await;
                }
            )*
        }
    };
}

matrix!(
    create_user_and_duplicate,
    usernames_are_case_sensitive,
    set_password_replaces_the_hash,
    replace_key_makes_the_new_key_current,
    concurrent_key_changes_leave_one_current_key,
    list_users_prefix_after_limit_and_case,
    tokens_valid_wrong_user_and_expiry,
    tokens_revoke_and_revoke_except,
    enqueue_pending_order_and_ack,
    enqueue_to_unknown_user,
    mailbox_full_at_the_exact_limit,
    concurrent_senders_cannot_overfill_a_mailbox,
    one_sender_fills_only_its_share_of_a_mailbox,
    enqueue_many_stores_in_order_and_refuses_items_alone,
    concurrent_batches_to_overlapping_recipients,
    concurrent_senders_keep_their_order,
    a_resuming_reader_misses_nothing,
    purge_deletes_expired_messages_and_tokens,
    expired_messages_are_not_pending_nor_counted,
    group_commits_compare_and_set,
    racing_group_commits_one_wins,
    blob_quota_offsets_finish_and_expiry,
    racing_reservations_stay_under_the_quota,
    calls_after_shutdown_are_unavailable,
);

// ---------------------------------------------- PostgreSQL-only behaviour

/// Reconnecting (a restarted node, or a second node) finds everything, and
/// applying the migrations again changes nothing.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_reconnect_keeps_everything() {
    let url = postgres_database().await;
    let first = PostgresStore::connect(&url).await.unwrap();
    let alice = user(&first, "alice").await;
    user(&first, "bob").await;
    first.insert_token(token(alice, 1, 0)).await.unwrap();
    let sent = first.enqueue(message("alice", "bob", "hi")).await.unwrap();
    let second = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(second.user_auth("alice").await.unwrap().unwrap().id, alice);
    assert_eq!(
        second.use_token("alice", [1; 32], 1, DAY).await.unwrap(),
        Some((alice, 30 * DAY))
    );
    assert_eq!(
        second.pending("bob", 0, 10).await.unwrap(),
        std::slice::from_ref(&sent)
    );
    // Two nodes sending to one recipient share its sequence.
    let next = second
        .enqueue(message("alice", "bob", "again"))
        .await
        .unwrap();
    assert!(next.seq > sent.seq);
    first.close();
    second.close();

    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let versions: Vec<i64> = client
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let expected: Vec<i64> = (1..=PostgresStore::schema_version()).collect();
    assert_eq!(versions, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_newer_schema_is_refused() {
    let url = postgres_database().await;
    PostgresStore::connect(&url).await.unwrap().close();
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .execute(
            "INSERT INTO schema_migrations VALUES ($1, 0)",
            &[&(PostgresStore::schema_version() + 1)],
        )
        .await
        .unwrap();
    let Err(StoreError::Db(e)) = PostgresStore::connect(&url).await else {
        panic!("a newer schema was accepted");
    };
    assert!(e.contains("newer"), "{e}");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_unreachable_says_what_to_check() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/none");
    let options = PostgresOptions {
        max_connections: 1,
        connect_timeout: Duration::from_secs(5),
        ..PostgresOptions::default()
    };
    let Err(StoreError::Db(e)) = PostgresStore::connect_with(&url, &options).await else {
        panic!("connected to nothing");
    };
    assert!(e.contains("PostgreSQL"), "{e}");
    let Err(StoreError::Db(e)) = PostgresStore::connect("mysql://x").await else {
        panic!("accepted a bad URL");
    };
    assert!(e.contains("postgres://"), "{e}");
}

/// The unix-socket form of the URL that docs/DEPLOY.md shows.
#[tokio::test(flavor = "multi_thread")]
async fn postgres_over_the_unix_socket() {
    let url = postgres_database().await;
    let name = url.rsplit('/').next().unwrap().to_owned();
    let pg = Postgres::shared().unwrap();
    let (dir, port) = (pg.socket_dir().display().to_string(), pg.port());
    // The test cluster's port is not the default 5432, so it is named.
    let socket_url = format!("postgres:///{name}?user=postgres&host={dir}&port={port}");
    let store = PostgresStore::connect(&socket_url).await.unwrap();
    user(&store, "alice").await;
    assert!(store.user_exists("alice").await.unwrap());
    store.close();
}
