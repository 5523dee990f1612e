//! The chat-e2e store traits over SQLite: every record type round-trips
//! and behaves as chat-e2e's `MemoryStore` (the reference), and the real
//! engine runs against a `Tx` across restarts.

use std::sync::Arc;

use chat_e2e::{
    E2eStore, Engine, Envelope, IdentityKey, MemoryStore, Payload, PendingKey, Pin, PinState,
    PinStore, ReceiptStatus, Received, ReceivingKey, ReceivingKeyStore, ReplayWindow, RetiredKey,
    RetiredKeyStore, SecretKey, SendingKey, SendingKeyStore, SessionKeyEnvelope,
};
use serde_json::{Map, Value};

use super::super::StoreError;
use super::Fixture;

/// A pin with a made-up key (the store does not parse it).
pub(super) fn pin(user: &str) -> Pin {
    Pin {
        user: user.into(),
        public_pem: format!("-----BEGIN PUBLIC KEY-----\n{user}\n-----END PUBLIC KEY-----\n"),
        fingerprint: "ab".repeat(32),
        state: PinState::Unverified,
        pending: None,
        pinned_ms: 7,
    }
}

fn sending(peer: &str, key_id: &str, byte: u8) -> SendingKey {
    SendingKey {
        peer: peer.into(),
        key_id: key_id.into(),
        key: SecretKey::from_bytes([byte; 32]),
        next_seq: 17,
        created_ms: 1_000,
        own_fingerprint: "01".repeat(32),
        peer_fingerprint: "02".repeat(32),
        announcement: SessionKeyEnvelope {
            key_id: key_id.into(),
            wrapped: "d3JhcHBlZA==".into(),
            sig: "c2ln".into(),
        },
        confirmed: false,
        unconfirmed_ids: vec![uuid::Uuid::from_u128(42)],
    }
}

fn receiving(peer: &str, key_id: &str, created_ms: i64) -> ReceivingKey {
    let mut window = ReplayWindow::default();
    for seq in [1, 2, 5, 900] {
        window.mark(seq);
    }
    ReceivingKey {
        peer: peer.into(),
        key_id: key_id.into(),
        key: SecretKey::from_bytes([9; 32]),
        sender_fingerprint: "03".repeat(32),
        created_ms,
        window,
    }
}

fn retired(peer: &str, key_id: &str, retired_ms: i64) -> RetiredKey {
    RetiredKey {
        peer: peer.into(),
        key_id: key_id.into(),
        retired_ms,
    }
}

/// The same operations on any store; returns everything read back.
fn exercise(s: &mut dyn E2eStore) -> Result<String, chat_e2e::StoreError> {
    let mut out = Vec::new();
    out.push(format!("{:?}", s.pin("bob")?));
    s.put_pin(&pin("bob"))?;
    let mut changed = pin("bob");
    changed.state = PinState::Changed;
    changed.pending = Some(PendingKey {
        public_pem: "pem".into(),
        fingerprint: "cd".repeat(32),
        seen_ms: 9,
    });
    s.put_pin(&changed)?;
    s.put_pin(&pin("carol"))?;
    out.push(format!("{:?} {:?}", s.pin("bob")?, s.pin("carol")?));

    out.push(format!("{:?}", s.sending_key("bob")?));
    s.put_sending_key(&sending("bob", "k1", 1))?;
    s.put_sending_key(&sending("bob", "k2", 2))?;
    s.put_sending_key(&sending("carol", "k3", 3))?;
    let key = s.sending_key("bob")?.unwrap();
    out.push(format!("{key:?} {:?}", key.key.expose()));
    s.delete_sending_key("bob")?;
    s.delete_sending_key("nobody")?;
    out.push(format!(
        "{:?} {:?}",
        s.sending_key("bob")?,
        s.sending_key("carol")?.map(|k| k.key_id)
    ));

    s.put_receiving_key(&receiving("bob", "r2", 20))?;
    s.put_receiving_key(&receiving("bob", "r1", 10))?;
    s.put_receiving_key(&receiving("carol", "r3", 5))?;
    let mut updated = receiving("bob", "r1", 10);
    updated.window.mark(901);
    s.put_receiving_key(&updated)?;
    let r1 = s.receiving_key("bob", "r1")?.unwrap();
    out.push(format!(
        "{r1:?} {} {}",
        r1.window.is_fresh(901),
        r1.window.is_fresh(3)
    ));
    let mut live: Vec<_> = s
        .receiving_keys("bob")?
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    live.sort(); // MemoryStore has no order
    out.push(format!("{live:?} {:?}", s.receiving_key("bob", "r3")?));
    s.delete_receiving_key("bob", "r2")?;
    s.delete_receiving_key("bob", "absent")?;
    out.push(format!("{}", s.receiving_keys("bob")?.len()));

    s.put_retired_key(&retired("bob", "x1", 3))?;
    s.put_retired_key(&retired("bob", "x2", 1))?;
    s.put_retired_key(&retired("bob", "x1", 4))?;
    s.put_retired_key(&retired("carol", "x3", 1))?;
    out.push(format!(
        "{:?} {:?}",
        s.retired_key("bob", "x1")?,
        s.retired_key("carol", "x1")?
    ));
    let mut gone: Vec<_> = s
        .retired_keys("bob")?
        .into_iter()
        .map(|k| k.key_id)
        .collect();
    gone.sort();
    out.push(format!("{gone:?}"));
    s.delete_retired_key("bob", "x1")?;
    out.push(format!("{:?}", s.retired_keys("bob")?));
    Ok(out.join("\n"))
}

#[test]
fn every_record_type_behaves_as_the_memory_store() {
    let reference = exercise(&mut MemoryStore::new()).unwrap();
    let mut f = Fixture::new();
    let ours = f.tx(|tx| Ok(exercise(tx).unwrap()));
    assert_eq!(ours, reference);
}

#[test]
fn records_survive_a_reopen_and_lists_are_ordered() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.put_pin(&pin("bob"))?;
        tx.put_sending_key(&sending("bob", "k1", 1))?;
        for (id, t) in [("b", 30), ("a", 10), ("c", 20)] {
            tx.put_receiving_key(&receiving("bob", id, t))?;
            tx.put_retired_key(&retired("bob", id, t))?;
        }
        Ok(())
    });
    let mut f = f.reopen();
    f.tx(|tx| {
        assert_eq!(tx.pin("bob")?, Some(pin("bob")));
        assert_eq!(tx.sending_key("bob")?, Some(sending("bob", "k1", 1)));
        let order = |keys: Vec<String>| keys.join("");
        let live = tx
            .receiving_keys("bob")?
            .into_iter()
            .map(|k| k.key_id)
            .collect();
        let gone = tx
            .retired_keys("bob")?
            .into_iter()
            .map(|k| k.key_id)
            .collect();
        assert_eq!((order(live), order(gone)), ("acb".into(), "acb".into()));
        assert_eq!(
            tx.receiving_key("bob", "c")?,
            Some(receiving("bob", "c", 20))
        );
        Ok(())
    });
}

#[test]
fn records_are_json_with_the_key_as_hex() {
    let mut f = Fixture::new();
    f.tx(|tx| Ok(tx.put_sending_key(&sending("bob", "k1", 0xab))?));
    let record: String = f
        .store
        .conn
        .query_row(
            "SELECT record FROM sending_keys WHERE peer = 'bob'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let v: Value = serde_json::from_str(&record).unwrap();
    assert_eq!(v["key"], "ab".repeat(32));
}

// ---- the real engine against the SQLite store ----

/// Start of the tests' clock, Unix ms.
const T0: i64 = 1_764_100_000_000;

fn vector_key(user: &str) -> Arc<IdentityKey> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/vectors/v1.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let pem = doc["keys"][user]["private_pkcs8_pem"].as_str().unwrap();
    Arc::new(IdentityKey::from_pem(pem).unwrap())
}

/// One daemon: an engine and its SQLite file.
struct Daemon {
    engine: Engine,
    db: Fixture,
}

fn e2e<T>(r: Result<T, chat_e2e::E2eError>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Db(e.to_string()))
}

impl Daemon {
    fn new(name: &str) -> Self {
        Daemon {
            engine: Engine::new(name, vector_key(name)),
            db: Fixture::new(),
        }
    }

    fn restart(self) -> Self {
        Daemon {
            engine: self.engine,
            db: self.db.reopen(),
        }
    }

    fn pin(&mut self, other: &Daemon) {
        let engine = &self.engine;
        let (user, pem) = (
            other.engine.username(),
            other.engine.identity().public_pem(),
        );
        self.db.tx(|tx| e2e(engine.observe_key(tx, user, pem, T0)));
    }

    fn send(&mut self, to: &str, payload: &Payload, now: i64) -> Vec<Map<String, Value>> {
        let engine = &self.engine;
        let envs = self
            .db
            .tx(|tx| e2e(engine.encrypt_blocking(tx, to, payload, now)));
        envs.iter().map(Envelope::to_json).collect()
    }

    fn recv(&mut self, from: &str, env: &Map<String, Value>, now: i64) -> Received {
        let engine = &self.engine;
        self.db
            .tx(|tx| e2e(engine.receive_blocking(tx, from, env, now)))
    }
}

fn text(r: &Received) -> &str {
    match r {
        Received::Message(d) => match &d.payload {
            Payload::Text(t) => &t.text,
            other => panic!("not a text: {other:?}"),
        },
        other => panic!("not a message: {other:?}"),
    }
}

fn kinds(envs: &[Map<String, Value>]) -> Vec<&str> {
    envs.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

#[test]
fn the_engine_round_trips_over_sqlite_across_restarts() {
    let (mut alice, mut bob) = (Daemon::new("alice"), Daemon::new("bob"));
    alice.pin(&bob);
    bob.pin(&alice);

    let hello = Payload::text("hello bob ✓", T0).unwrap();
    let e1 = alice.send("bob", &hello, T0);
    assert_eq!(kinds(&e1), ["session_key", "msg"]);
    assert!(
        matches!(bob.recv("alice", &e1[1], T0), Received::Pending(_)),
        "key not yet known"
    );
    assert!(matches!(
        bob.recv("alice", &e1[0], T0),
        Received::SessionKey { .. }
    ));
    assert_eq!(text(&bob.recv("alice", &e1[1], T0)), "hello bob ✓");

    // Both restart: keys, pins and replay windows come back from the files.
    let (mut alice, mut bob) = (alice.restart(), bob.restart());
    assert!(
        matches!(bob.recv("alice", &e1[1], T0 + 1), Received::Duplicate),
        "replay"
    );
    assert!(matches!(
        bob.recv("alice", &e1[0], T0 + 1),
        Received::Duplicate
    ));

    let e2 = alice.send("bob", &Payload::text("second", T0 + 2).unwrap(), T0 + 2);
    assert_eq!(
        kinds(&e2),
        ["session_key", "msg"],
        "re-sent until confirmed"
    );
    assert_eq!(e2[0], e1[0], "the same key, no new RSA");
    assert_eq!(e2[1]["seq"], 2);
    assert_eq!(text(&bob.recv("alice", &e2[1], T0 + 2)), "second");

    // bob's receipt confirms alice's key: from then on, messages only.
    let receipt = Payload::receipt(ReceiptStatus::Read, vec![hello.id().unwrap()], T0 + 3).unwrap();
    let r = bob.send("alice", &receipt, T0 + 3);
    for env in &r {
        alice.recv("bob", env, T0 + 3);
    }
    let mut alice = alice.restart();
    let e3 = alice.send("bob", &Payload::text("third", T0 + 4).unwrap(), T0 + 4);
    assert_eq!(kinds(&e3), ["msg"]);
    assert_eq!(text(&bob.recv("alice", &e3[0], T0 + 4)), "third");
}

#[test]
fn a_failed_engine_call_leaves_no_trace() {
    let (mut alice, bob) = (Daemon::new("alice"), Daemon::new("bob"));
    alice.pin(&bob);
    let engine = alice.engine.clone();
    let payload = Payload::text("never sent", T0).unwrap();
    let r = alice.db.store.transaction(|tx| {
        e2e(engine.encrypt_blocking(tx, "bob", &payload, T0))?;
        Err::<(), _>(StoreError::Db("the send failed afterwards".into()))
    });
    assert!(r.is_err());
    assert_eq!(alice.db.tx(|tx| Ok(tx.sending_key("bob").unwrap())), None);
}
