//! The attach session against a real chatd (and a real server for it to
//! relay messages through): it attaches, hands out events, reports a chatd
//! killed with SIGKILL as detached, attaches to the restarted one with the
//! events in between handed out once, and a new session object started
//! from the same seq file resumes where the last one stopped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use chatd_api::attach::{Attach, Attached, Backoff, SeqStore, Session, Update};
use chatd_api::{ClientError, Direction, EventBody};
use serde_json::json;
use test_support::daemon::binary;
use test_support::{DaemonProcess, RpcClient, ServerProcess};

const PASSWORD: &str = "correct horse battery";
/// Every wait for an update fails the test after this.
const WAIT: Duration = Duration::from_secs(30);
/// A backoff nobody waits out.
const HOUR: Duration = Duration::from_secs(3600);

/// A fresh chatd for `name`, signed up on `server`.
async fn user(
    dir: &std::path::Path,
    server: &ServerProcess,
    name: &str,
) -> (DaemonProcess, RpcClient) {
    let daemon = DaemonProcess::start(&dir.join(name), server.addr, &server.fingerprint)
        .await
        .unwrap();
    let mut client = daemon.client().await.unwrap();
    client
        .ok("signup", json!({"username": name, "password": PASSWORD}))
        .await
        .unwrap();
    (daemon, client)
}

/// Waits until chatd's event log holds the incoming message `text`.
async fn logged(daemon: &DaemonProcess, text: &str) {
    let mut watcher = daemon.client().await.unwrap();
    watcher.ok("subscribe", json!({"since": 0})).await.unwrap();
    watcher
        .event_where(&format!("chatd to log {text:?}"), |e| {
            e["type"] == "message" && e["message"]["text"] == text
        })
        .await
        .unwrap();
}

/// The next update, failing the test (naming `what`) if none comes.
async fn next(session: &mut Session, what: &str) -> Update {
    match tokio::time::timeout(WAIT, session.next()).await {
        Ok(Some(update)) => update,
        Ok(None) => panic!("the session ended while waiting for {what}"),
        Err(_) => panic!("no update within {WAIT:?} while waiting for {what}"),
    }
}

/// Takes updates until an `Attached`; nothing else may come first.
async fn attached(session: &mut Session, what: &str) -> Attached {
    loop {
        match next(session, what).await {
            Update::Attached(a) => return a,
            // Repeated reasons while chatd comes back are fine.
            Update::Detached(_) => {}
            Update::Event(e) => panic!("an event before {what}: {e:?}"),
        }
    }
}

/// Every incoming message text seen, with how often, and the seqs in order.
#[derive(Default)]
struct Seen {
    texts: BTreeMap<String, u32>,
    seqs: Vec<u64>,
}

impl Seen {
    /// Records one event: seqs must only grow.
    fn event(&mut self, e: chatd_api::Event) {
        if let Some(&last) = self.seqs.last() {
            assert!(e.seq > last, "seq {} after {last}", e.seq);
        }
        self.seqs.push(e.seq);
        if let EventBody::Message { message, .. } = e.body
            && message.direction == Direction::In
        {
            *self.texts.entry(message.text).or_default() += 1;
        }
    }

    /// Takes events until every text in `texts` has arrived; a detach on
    /// the way fails the test.
    async fn until(&mut self, session: &mut Session, texts: &[&str]) {
        while !texts.iter().all(|t| self.texts.contains_key(*t)) {
            match next(session, &format!("the messages {texts:?}")).await {
                Update::Event(e) => self.event(e),
                other => panic!("waiting for {texts:?}, got {other:?}"),
            }
        }
    }

    /// Takes events until the session reports chatd gone.
    async fn until_detached(&mut self, session: &mut Session) -> ClientError {
        loop {
            match next(session, "the detach").await {
                Update::Event(e) => self.event(e),
                Update::Detached(why) => return why,
                Update::Attached(a) => panic!("attached again before detaching: {a:?}"),
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attaches_survives_a_killed_chatd_and_resumes_from_the_seq_file() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&binary("chat-server").unwrap(), &[]).unwrap();
    let (mut alice_d, _alice) = user(dir.path(), &server, "alice").await;
    let (_bob_d, mut bob) = user(dir.path(), &server, "bob").await;
    let send = |text: &str| json!({"to": "alice", "text": text});
    let store = SeqStore::new(dir.path().join("state/session.seq"));
    let socket = alice_d.socket.clone();
    let start = || {
        Attach::new(Some(socket.clone()))
            .seq_store(store.clone())
            // Waits of up to an hour: the session attaches again only
            // when told to (`retry_now`), after the events it must replay
            // are in chatd's log.
            .backoff(Backoff::new(HOUR, HOUR))
            .start()
            .unwrap()
    };
    let mut seen = Seen::default();

    // Attach: chatd's status, then events as they happen.
    let mut session = start();
    let first = attached(&mut session, "the first attach").await;
    assert_eq!(first.status.username.as_deref(), Some("alice"));
    bob.ok("send", send("one")).await.unwrap();
    seen.until(&mut session, &["one"]).await;

    // chatd is killed: the session says so. bob writes meanwhile; chatd
    // comes back and logs his messages; the session attaches again and
    // hands out what happened in between (a `since` replay), once.
    alice_d.kill9();
    let why = seen.until_detached(&mut session).await;
    assert!(matches!(why, ClientError::Disconnected), "{why:?}");
    bob.ok("send", send("two")).await.unwrap();
    bob.ok("send", send("three")).await.unwrap();
    alice_d.restart().await.unwrap();
    logged(&alice_d, "three").await;
    session.retry_now();
    let again = attached(&mut session, "the attach to the restarted chatd").await;
    assert_eq!(
        again.seq,
        *seen.seqs.last().unwrap(),
        "resumes after the last event"
    );
    seen.until(&mut session, &["two", "three"]).await;

    // The session object ends (the frontend quits); bob writes; a new
    // session from the same seq file starts after the last event handed
    // out and hands out the new message, and nothing from before.
    let last = session.last_seq().unwrap();
    session.close().await.unwrap();
    assert_eq!(store.load().unwrap(), Some(last));
    bob.ok("send", send("four")).await.unwrap();
    logged(&alice_d, "four").await;
    let mut session = start();
    let resumed = attached(&mut session, "the attach of the new session").await;
    assert_eq!(resumed.seq, last);
    seen.until(&mut session, &["four"]).await;

    for text in ["one", "two", "three", "four"] {
        assert_eq!(seen.texts.get(text), Some(&1), "{text}: {:?}", seen.texts);
    }
    // Calls work on the attachment's connection.
    let status = resumed.client.status().await.unwrap();
    assert_eq!(status.username.as_deref(), Some("alice"));
    drop(session);
    // The drop saved how far it got.
    assert!(store.load().unwrap().unwrap() > last);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_chatd_the_session_says_why_and_retry_now_attaches() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&binary("chat-server").unwrap(), &[]).unwrap();
    let socket = dir.path().join("late/run/chatd.sock");
    // A backoff of up to an hour: `retry_now` makes the attach quick.
    let mut session = Attach::new(Some(socket.clone()))
        .backoff(Backoff::new(
            Duration::from_secs(3600),
            Duration::from_secs(3600),
        ))
        .start()
        .unwrap();
    match next(&mut session, "the first failure").await {
        Update::Detached(ClientError::NotRunning { path }) => assert_eq!(path, socket),
        other => panic!("expected not running, got {other:?}"),
    }
    let _late = DaemonProcess::start(&dir.path().join("late"), server.addr, &server.fingerprint)
        .await
        .unwrap();
    session.retry_now();
    let a = attached(&mut session, "the attach after retry_now").await;
    assert_eq!(a.status.username, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn since_replays_the_stored_events_after_it() {
    // `chat watch --since N` runs on an attach session: the first attach
    // must start after N, not at chatd's latest event.
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&binary("chat-server").unwrap(), &[]).unwrap();
    let (alice, _a) = user(dir.path(), &server, "alice").await;
    let (_bob, mut b) = user(dir.path(), &server, "bob").await;
    for text in ["one", "two"] {
        b.ok("send", json!({"to": "alice", "text": text}))
            .await
            .unwrap();
    }
    logged(&alice, "two").await;
    let mut session = Attach::new(Some(alice.socket.clone()))
        .since(0)
        .start()
        .unwrap();
    let a = attached(&mut session, "the first attach").await;
    assert_eq!(a.seq, 0, "resumes after the seq it was given");
    let mut seen = Seen::default();
    seen.until(&mut session, &["one", "two"]).await;
    assert_eq!(seen.texts.get("one"), Some(&1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typing_event_is_handed_out_and_is_no_place_to_resume_from() {
    // A typing event is never stored: it carries the latest stored seq,
    // which the session handed out already. It must come through anyway,
    // and leave `last_seq` where the stored events put it.
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start(&binary("chat-server").unwrap(), &[]).unwrap();
    let (alice, _a) = user(dir.path(), &server, "alice").await;
    let (bob, mut b) = user(dir.path(), &server, "bob").await;
    let sent = b
        .ok("send", json!({"to": "alice", "text": "hi"}))
        .await
        .unwrap();
    logged(&alice, "hi").await;
    let mut session = Attach::new(Some(alice.socket.clone()))
        .since(0)
        .start()
        .unwrap();
    attached(&mut session, "the first attach").await;
    let mut seen = Seen::default();
    seen.until(&mut session, &["hi"]).await;
    // alice's delivery receipt confirms bob's key; then bob may type.
    let mut watcher = bob.client().await.unwrap();
    watcher.ok("subscribe", json!({"since": 0})).await.unwrap();
    let id = sent["id"].clone();
    watcher
        .event_where("the delivered receipt", |e| {
            e["type"] == "receipt" && e["id"] == id && e["status"] == "delivered"
        })
        .await
        .unwrap();
    let typed = b.ok("typing", json!({"peer": "alice"})).await.unwrap();
    assert_eq!(typed, json!({"sent": true}));
    let typing = loop {
        match next(&mut session, "bob typing").await {
            Update::Event(e) if matches!(e.body, EventBody::Typing { .. }) => break e,
            Update::Event(e) => seen.event(e),
            other => panic!("waiting for typing, got {other:?}"),
        }
    };
    assert!(
        matches!(&typing.body, EventBody::Typing { user, group: None } if user == "bob"),
        "{typing:?}"
    );
    // The session's place is still the last stored event handed out.
    assert_eq!(session.last_seq(), seen.seqs.last().copied());
}
