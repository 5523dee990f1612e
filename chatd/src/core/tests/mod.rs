//! The core in-process: the real store (a temp file), engine, hub and
//! both pipelines, with the server link replaced by a scripted [`Relay`]
//! and peers played by the real end-to-end engine ([`Peer`]). Each test
//! drives one branch of the pipelines and waits on the event log, never
//! on time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod delivery;
mod groups;
mod keys;
mod outbox;
mod people;
mod reading;
mod relay;
mod trust_changes;
mod typing;

use std::sync::Arc;
use std::time::Duration;

use chat_e2e::{Engine, IdentityKey, MemoryStore, Payload, ReceiptStatus, Received};
use chat_proto::{ServerMessage, now_ms};
use chatd_api::ApiError;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Core, api, inbound, outbound};
use crate::config::Config;
use crate::hub::{Hub, Subscription};
use crate::link::LinkEvent;
use crate::store::Db;
use relay::Relay;

/// How long one expected event may take before the test fails.
const EVENT_TIMEOUT: Duration = Duration::from_secs(20);

/// The daemon under test, "alice" unless named otherwise.
pub struct Harness {
    pub core: Arc<Core>,
    pub relay: Arc<Relay>,
    pub me: String,
    events: mpsc::Sender<LinkEvent>,
    sub: Subscription,
    shutdown: CancellationToken,
    next_delivery: u64,
    _dir: tempfile::TempDir,
}

impl Harness {
    /// alice's core with the vectors' alice key, the relay knowing her key,
    /// logged in.
    pub async fn alice() -> Self {
        let h = Self::start("alice", &test_support::fixtures::private_pem("alice")).await;
        h.relay
            .set_key("alice", &test_support::fixtures::public_pem("alice"));
        h.login().await;
        h
    }

    /// A core for `me` holding `private_pem`, not logged in.
    pub async fn start(me: &str, private_pem: &str) -> Self {
        Self::start_with(me, private_pem, crate::config::TYPING_INTERVAL).await
    }

    /// [`Harness::start`] with another typing-indicator interval.
    pub async fn start_with(me: &str, private_pem: &str, typing_interval: Duration) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chatd.db");
        let db = tokio::task::spawn_blocking(move || Db::open(&path))
            .await
            .unwrap()
            .unwrap();
        let identity = Arc::new(IdentityKey::from_pem(private_pem).unwrap());
        let relay = Arc::new(Relay::new());
        let hub = Hub::new(db.clone());
        let config = Config {
            server: "relay.invalid:9876".into(),
            server_fingerprint: None,
            plaintext: true,
            data_dir: dir.path().to_path_buf(),
            socket: dir.path().join("chatd.sock"),
            dbus: false,
            downloads: dir.path().join("downloads"),
            typing_interval,
        };
        let core = Arc::new(Core::new(
            config,
            db,
            relay.clone(),
            hub.clone(),
            identity,
            None,
        ));
        let (sub_latest, sub) = hub.subscribe(None, None).await.unwrap();
        assert_eq!(sub_latest, 0);
        let (events, events_rx) = mpsc::channel(64);
        let shutdown = CancellationToken::new();
        tokio::spawn(inbound::run(core.clone(), events_rx, shutdown.clone()));
        tokio::spawn(outbound::run(core.clone(), shutdown.clone()));
        Self {
            core,
            relay,
            me: me.to_string(),
            events,
            sub,
            shutdown,
            next_delivery: 0,
            _dir: dir,
        }
    }

    /// The link logs in (or resumes): the account is bound, and the
    /// after-login chores start (tests wait for their effects).
    pub async fn login(&self) {
        let session = self.relay.set_logged_in(Some(&self.me));
        let user = self.me.clone();
        self.events
            .send(LinkEvent::LoggedIn { user, session })
            .await
            .unwrap();
        let (core, me) = (self.core.clone(), self.me.clone());
        test_support::wait_for("the account to be bound", EVENT_TIMEOUT, || {
            let (core, me) = (core.clone(), me.clone());
            async move { (core.account() == Some(me)).then_some(()) }
        })
        .await
        .unwrap();
    }

    /// The server pushes something.
    pub async fn push(&self, msg: ServerMessage) {
        self.events.send(LinkEvent::Push(msg)).await.unwrap();
    }

    /// The server delivers `envelope` from `from` under a fresh server id,
    /// which is returned.
    pub async fn deliver(&mut self, from: &str, envelope: &Map<String, Value>) -> String {
        self.next_delivery += 1;
        let msg_id = format!("delivery-{}", self.next_delivery);
        self.deliver_as(&msg_id, from, envelope).await;
        msg_id
    }

    /// The server passes on an ephemeral `envelope` from `from` (never
    /// to be acked).
    pub async fn deliver_ephemeral(&self, from: &str, envelope: &Map<String, Value>) {
        self.push(ServerMessage::DeliverEphemeral {
            msg_id: "ephemeral".to_string(),
            from: from.to_string(),
            ts: now_ms(),
            envelope: envelope.clone(),
        })
        .await;
    }

    /// The server delivers `envelope` under the server id `msg_id`.
    pub async fn deliver_as(&self, msg_id: &str, from: &str, envelope: &Map<String, Value>) {
        self.push(ServerMessage::Deliver {
            msg_id: msg_id.to_string(),
            from: from.to_string(),
            ts: now_ms(),
            envelope: envelope.clone(),
        })
        .await;
    }

    /// Calls a local-API method as a frontend would.
    pub async fn api(&self, method: &str, params: Value) -> Result<Value, ApiError> {
        let Value::Object(params) = params else {
            panic!("params must be an object")
        };
        let request = chatd_api::Request::from_parts(method, params)?;
        let reply = api::handle(&self.core, 1, request).await?;
        Ok(reply.to_value().expect("a reply serialises"))
    }

    /// Calls a local-API method that must succeed.
    pub async fn ok(&self, method: &str, params: Value) -> Value {
        match self.api(method, params).await {
            Ok(v) => v,
            Err(e) => panic!("{method} failed: {e:?}"),
        }
    }

    /// The next event, as the JSON a frontend sees, skipping `presence`
    /// and `trust`: side effects of a login or a first pin (chatd reports
    /// presence from every `watch` and each new pin), which these tests
    /// do not order against. [`Harness::event_where`] sees every kind.
    pub async fn next_event(&mut self) -> Value {
        self.event_where("an event", |e| {
            e["type"] != "presence" && e["type"] != "trust"
        })
        .await
    }

    /// The next event matching `pred`, skipping others.
    pub async fn event_where(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let Ok(Some(Ok(event))) = tokio::time::timeout(left, self.sub.next()).await else {
                panic!("no event {what} in time");
            };
            let event = serde_json::to_value(event).unwrap();
            if pred(&event) {
                return event;
            }
        }
    }

    /// The next `message` event (skipping other kinds).
    pub async fn next_message(&mut self) -> Value {
        self.event_where("message", |e| e["type"] == "message")
            .await
            .get("message")
            .cloned()
            .unwrap()
    }

    /// Waits until `check` holds of the relay, polling (named wait).
    pub async fn relay_until(&self, what: &str, check: impl Fn(&Relay) -> bool) {
        let relay = self.relay.clone();
        let check = &check;
        test_support::wait_for(what, EVENT_TIMEOUT, || {
            let relay = relay.clone();
            async move { check(&relay).then_some(()) }
        })
        .await
        .unwrap();
    }

    /// Envelopes sent to `peer` so far.
    pub fn sent_to(&self, peer: &str) -> Vec<Map<String, Value>> {
        self.relay
            .sent()
            .into_iter()
            .filter(|s| s.to == peer)
            .map(|s| s.envelope)
            .collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A peer's daemon reduced to its end-to-end engine: it seals what it
/// says and opens what it is sent, exactly as chatd would.
pub struct Peer {
    pub name: String,
    pub identity: Arc<IdentityKey>,
    engine: Engine,
    store: MemoryStore,
}

impl Peer {
    /// `name` holding the vectors' key of `key` ("alice" or "bob").
    pub fn vector(name: &str, key: &str) -> Self {
        let pem = test_support::fixtures::private_pem(key);
        Self::with(name, Arc::new(IdentityKey::from_pem(&pem).unwrap()))
    }

    /// `name` with a freshly generated key.
    pub fn fresh(name: &str) -> Self {
        Self::with(name, Arc::new(IdentityKey::generate().unwrap()))
    }

    fn with(name: &str, identity: Arc<IdentityKey>) -> Self {
        Self {
            name: name.to_string(),
            engine: Engine::new(name, identity.clone()),
            identity,
            store: MemoryStore::new(),
        }
    }

    /// The public key, as the relay hands it out.
    pub fn public_pem(&self) -> String {
        self.identity.public_pem().to_string()
    }

    /// Pins `user`'s key.
    pub fn learn(&mut self, user: &str, pem: &str) {
        self.engine
            .observe_key(&mut self.store, user, pem, now_ms())
            .unwrap();
    }

    /// The envelopes of one payload to `to`.
    pub fn seal_payload(&mut self, to: &str, payload: &Payload) -> Vec<Map<String, Value>> {
        self.engine
            .encrypt_blocking(&mut self.store, to, payload, now_ms())
            .unwrap()
            .iter()
            .map(|e| e.to_json())
            .collect()
    }

    /// The envelopes of a text to `to`.
    pub fn seal(&mut self, to: &str, text: &str) -> Vec<Map<String, Value>> {
        let payload = Payload::text(text, now_ms()).unwrap();
        self.seal_payload(to, &payload)
    }

    /// The envelopes of a receipt to `to` for message ids `ids`.
    pub fn receipt(
        &mut self,
        to: &str,
        status: ReceiptStatus,
        ids: &[&str],
    ) -> Vec<Map<String, Value>> {
        let ids = ids
            .iter()
            .map(|i| uuid::Uuid::parse_str(i).unwrap())
            .collect();
        let payload = Payload::receipt(status, ids, now_ms()).unwrap();
        self.seal_payload(to, &payload)
    }

    /// Opens every envelope `from` sent, returning the texts and receipts
    /// decrypted (session keys and duplicates yield nothing).
    pub fn open_all(&mut self, from: &str, envelopes: &[Map<String, Value>]) -> Vec<Payload> {
        let mut out = Vec::new();
        for env in envelopes {
            match self
                .engine
                .receive_blocking(&mut self.store, from, env, now_ms())
                .unwrap()
            {
                Received::Message(d) => out.push(d.payload),
                Received::SessionKey { .. } | Received::Duplicate => {}
                other => panic!(
                    "{} could not open an envelope from {from}: {other:?}",
                    self.name
                ),
            }
        }
        out
    }
}

/// The text of a payload (panics on other kinds).
pub fn text_of(p: &Payload) -> String {
    match p {
        Payload::Text(t) => t.text.clone(),
        other => panic!("not a text: {other:?}"),
    }
}

/// The error name in an API error's data.
pub fn code_of(e: &ApiError) -> String {
    e.data["code"].as_str().unwrap_or_default().to_string()
}
