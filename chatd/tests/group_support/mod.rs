//! What the group tests share (groups.rs, groups_security.rs,
//! groups_crash.rs): people as real chatd processes driven through the
//! typed local API (`chatd_api::Client`, as every frontend drives it), and
//! waits on their event streams and histories that name what they wait
//! for. [`Rogue`] is the other side: a raw wire client logged in as a real
//! account, holding that account's identity key and chat-e2e's engine
//! in-process, so what it sends is exactly what a member's (or a
//! colluding server's) daemon could send, signed states included.
#![allow(
    dead_code,
    unused_imports,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use chat_e2e::{Engine, IdentityKey, MemoryStore, Payload, Received};
use chat_proto::ServerMessage;
use chatd_api::client::{Client, ClientError, EventStream};
use chatd_api::{
    Chat, ErrorCode, Event, EventBody, EventKind, Group, GroupChange, GroupReceipts, HistoryParams,
    Message, MessageStatus, SecurityReason, SubscribeParams,
};
use serde_json::json;
use test_support::fixtures::{private_pem, public_pem};
use test_support::{DaemonProcess, WireClient, World};

/// How long one awaited event may take: group changes sign with RSA and
/// fan out to everyone, so more than a 1:1 round trip on a loaded machine.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(60);

/// `subscribe` params naming every kind (group messages, receipts and
/// changes are sent only to subscribers that name `group`).
pub fn every_kind(since: Option<u64>) -> SubscribeParams {
    SubscribeParams {
        events: Some(EventKind::ALL.to_vec()),
        since,
    }
}

/// One person: their chatd, a typed client, and its event stream
/// (subscribed to every kind before anything happened).
pub struct Person {
    pub name: String,
    pub daemon: DaemonProcess,
    pub api: Client,
    pub events: EventStream,
    /// Every event taken from `events` so far, in order.
    pub seen: Vec<Event>,
    /// Events taken but not yet waited for, in order: a wait takes the
    /// first match from here before reading more, so waits for events
    /// whose order is not fixed (messages of two senders) may come in any
    /// order.
    pending: std::collections::VecDeque<Event>,
}

impl Person {
    /// Starts a chatd for `name`, signs `name` up and subscribes.
    pub async fn new(w: &World, name: &str) -> Self {
        let (daemon, _raw) = w.user(name).await;
        Self::attach(name, daemon).await
    }

    /// A person around an already running, logged-in daemon.
    pub async fn attach(name: &str, daemon: DaemonProcess) -> Self {
        let api = Client::connect(&daemon.socket).await.unwrap();
        let (_, events) = api.subscribe(every_kind(None)).await.unwrap();
        Self {
            name: name.to_string(),
            daemon,
            api,
            events,
            seen: Vec::new(),
            pending: Default::default(),
        }
    }

    /// Like [`Self::new`], with chatd reaching the server at `server` (a
    /// [`test_support::FaultProxy`]) instead.
    pub async fn via(w: &World, name: &str, server: std::net::SocketAddr) -> Self {
        let daemon = DaemonProcess::start(&w.dir.path().join(name), server, &w.server.fingerprint)
            .await
            .unwrap();
        let mut raw = daemon.client().await.unwrap();
        test_support::world::wait_state(&mut raw, name, &["connected", "logged_in"]).await;
        raw.ok(
            "signup",
            json!({"username": name, "password": test_support::fixtures::PASSWORD}),
        )
        .await
        .unwrap();
        Self::attach(name, daemon).await
    }

    /// SIGKILL, start again on the same directory, connect and subscribe
    /// anew (from now: what happened meanwhile is in [`Self::log`]).
    pub async fn restart(&mut self) {
        self.daemon.restart().await.unwrap();
        self.api = Client::connect(&self.daemon.socket).await.unwrap();
        let (_, events) = self.api.subscribe(every_kind(None)).await.unwrap();
        self.events = events;
        self.pending.clear();
    }

    /// Waits for the first event `pick` accepts (those already taken and
    /// not yet waited for first), keeping the others for later waits; panics
    /// naming `what` (with the events seen and the daemon's log) if none
    /// comes in [`EVENT_TIMEOUT`].
    pub async fn event<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&EventBody) -> Option<T>,
    ) -> T {
        for i in 0..self.pending.len() {
            if let Some(v) = pick(&self.pending[i].body) {
                self.pending.remove(i);
                return v;
            }
        }
        let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.events.recv()).await;
            match next {
                Ok(Some(e)) => {
                    self.seen.push(e.clone());
                    match pick(&e.body) {
                        Some(v) => return v,
                        None => self.pending.push_back(e),
                    }
                }
                Ok(None) => self.fail(&format!("{what}: the event stream ended")),
                Err(_) => self.fail(&format!("timed out waiting for {what}")),
            }
        }
    }

    fn fail(&self, why: &str) -> ! {
        let tail: Vec<String> = self
            .seen
            .iter()
            .rev()
            .take(15)
            .rev()
            .map(|e| {
                let line = serde_json::to_string(e).unwrap_or_default();
                let cut: String = line.chars().take(400).collect();
                format!("  {cut}")
            })
            .collect();
        let log = self.daemon.log_text();
        let log_tail: Vec<&str> = log.lines().rev().take(40).collect::<Vec<_>>();
        let log_tail: Vec<&str> = log_tail.into_iter().rev().collect();
        panic!(
            "{}: {why}\nlast events:\n{}\nlast lines of chatd's log:\n{}",
            self.name,
            tail.join("\n"),
            log_tail.join("\n")
        )
    }

    /// Waits for the `group` event that brings group `id` to `version`;
    /// returns the group, who signed the change, and the change.
    pub async fn group_event(&mut self, id: &str, version: u64) -> (Group, String, GroupChange) {
        let what = format!("the group event of {id} version {version}");
        self.event(&what, |b| match b {
            EventBody::Group { group, by, change }
                if group.id == id && group.version == version =>
            {
                Some(((**group).clone(), by.clone(), change.clone()))
            }
            _ => None,
        })
        .await
    }

    /// Waits for the `message` event of a group message `from` with `text`.
    pub async fn group_message(&mut self, id: &str, from: &str, text: &str) -> Message {
        let shown: String = text.chars().take(40).collect();
        let what = format!("{from}'s message {shown:?} ({} bytes) in {id}", text.len());
        self.event(&what, |b| match b {
            EventBody::Message { message, .. }
                if message.from == from
                    && message.text == text
                    && message.group.as_ref().is_some_and(|g| g.id == id) =>
            {
                Some(message.clone())
            }
            _ => None,
        })
        .await
    }

    /// Waits for a `receipt` event of message `msg` whose aggregate
    /// `done` accepts; returns (status, whose receipt, aggregate).
    pub async fn receipt(
        &mut self,
        msg: &str,
        what: &str,
        mut done: impl FnMut(MessageStatus, &GroupReceipts) -> bool,
    ) -> (MessageStatus, Option<String>, GroupReceipts) {
        let what = format!("a receipt of {msg}: {what}");
        self.event(&what, |b| match b {
            EventBody::Receipt {
                id,
                status,
                user,
                receipts: Some(r),
            } if id == msg && done(*status, r) => Some((*status, user.clone(), r.clone())),
            _ => None,
        })
        .await
    }

    /// Waits for a `security` event about `user` with `reason`; returns
    /// the group it names.
    pub async fn security(&mut self, user: &str, reason: SecurityReason) -> Option<String> {
        let what = format!("security {reason:?} about {user}");
        self.event(&what, |b| match b {
            EventBody::Security {
                user: u,
                reason: r,
                group,
            } if u == user && *r == reason => Some(group.clone()),
            _ => None,
        })
        .await
    }

    /// Waits for a 1:1 message `from` with `text` (a marker: whatever
    /// `from` sent before it has arrived too).
    pub async fn direct_message(&mut self, from: &str, text: &str) -> Message {
        let what = format!("{from}'s direct message {text:?}");
        self.event(&what, |b| match b {
            EventBody::Message { message, .. }
                if message.from == from && message.text == text && message.group.is_none() =>
            {
                Some(message.clone())
            }
            _ => None,
        })
        .await
    }

    /// `group_info`, which must succeed.
    pub async fn info(&self, group: &str) -> Group {
        match self.api.group_info(group).await {
            Ok(g) => g.group,
            Err(e) => panic!("{}: group_info {group}: {e}", self.name),
        }
    }

    /// The group's history, oldest first (up to 500).
    pub async fn history(&self, group: &str) -> Vec<Message> {
        let params = HistoryParams {
            group: Some(group.to_string()),
            limit: Some(500),
            ..Default::default()
        };
        match self.api.history(&params).await {
            Ok(h) => h.messages,
            Err(e) => panic!("{}: history of {group}: {e}", self.name),
        }
    }

    /// Sends `text` to group `id`; returns the message id.
    pub async fn say(&self, id: &str, text: &str) -> String {
        match self.api.send_in(&Chat::group(id), text).await {
            Ok(s) => s.id,
            Err(e) => panic!("{}: send {text:?} to {id}: {e}", self.name),
        }
    }

    /// Sends `text` to group `id`, which must be refused; returns why.
    pub async fn say_err(&self, id: &str, text: &str) -> ClientError {
        match self.api.send_in(&Chat::group(id), text).await {
            Ok(s) => panic!(
                "{}: send {text:?} to {id} was accepted as {}",
                self.name, s.id
            ),
            Err(e) => e,
        }
    }

    /// Sends a 1:1 message and waits until the server stored it (so the
    /// link is idle again and the peer's key is pinned).
    pub async fn send_stored(&mut self, to: &str, text: &str) -> String {
        let id = self.api.send(to, text).await.unwrap().id;
        let what = format!("{to}'s message {text:?} to be stored");
        let want = id.clone();
        self.event(&what, |b| match b {
            EventBody::Receipt { id, status, .. }
                if *id == want && *status >= MessageStatus::Sent =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
        id
    }

    /// Every event in the daemon's durable log (a fresh subscription with
    /// `since: 0` naming every kind), in order.
    pub async fn log(&self) -> Vec<Event> {
        durable_events(&self.daemon.socket).await
    }
}

/// Every event in the durable log of the chatd at `socket`.
pub async fn durable_events(socket: &Path) -> Vec<Event> {
    let c = Client::connect(socket).await.unwrap();
    let (sub, mut stream) = c.subscribe(every_kind(Some(0))).await.unwrap();
    let mut out = Vec::new();
    while out.last().map_or(0, |e: &Event| e.seq) < sub.seq {
        let e = tokio::time::timeout(EVENT_TIMEOUT, stream.recv())
            .await
            .expect("the replay of the event log in time")
            .expect("the event log to be replayed to its end");
        out.push(e);
    }
    out
}

/// What every member must agree on: name, version, and each member with
/// their admin flag (not presence or trust, which are each daemon's own).
pub fn view(g: &Group) -> (String, u64, Vec<(String, bool)>) {
    let members = g
        .members
        .iter()
        .map(|m| (m.user.clone(), m.admin))
        .collect();
    (g.name.clone(), g.version, members)
}

/// The member names of a group, in order.
pub fn names(g: &Group) -> Vec<String> {
    g.members.iter().map(|m| m.user.clone()).collect()
}

/// The texts of messages, in order.
pub fn texts(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.text.clone()).collect()
}

/// The error code of a refused call.
pub fn code(e: &ClientError) -> Option<ErrorCode> {
    e.code()
}

/// Strings from string slices.
pub fn users(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// An account played in-process: a raw wire client logged in as `name`
/// with the vectors' alice key, that key's private half, and chat-e2e's
/// engine and an in-memory store. What it encrypts and signs is exactly
/// what a daemon holding that account's key could produce.
pub struct Rogue {
    pub name: String,
    pub wire: WireClient,
    pub engine: Engine,
    pub store: MemoryStore,
    pub key: Arc<IdentityKey>,
}

impl Rogue {
    /// Signs `name` up (with the vectors' alice key) and logs in.
    pub async fn login(w: &World, name: &str) -> Self {
        let (wire, _) = WireClient::logged_in(w.server.addr, name, &public_pem("alice"))
            .await
            .unwrap();
        let key = Arc::new(IdentityKey::from_pem(&private_pem("alice")).unwrap());
        Self {
            name: name.to_string(),
            wire,
            engine: Engine::new(name, key.clone()),
            store: MemoryStore::new(),
            key,
        }
    }

    /// Pins `user`'s key as the server reports it.
    pub async fn learn(&mut self, user: &str) {
        let r = self
            .wire
            .request(json!({"type":"get_key","username":user}))
            .await
            .unwrap();
        let ServerMessage::Key { public_key, .. } = r else {
            panic!("get_key {user}: {r:?}")
        };
        self.engine
            .observe_key(&mut self.store, user, &public_key, chat_proto::now_ms())
            .unwrap();
    }

    /// Encrypts `payload` to `to` (a session key first when needed) and
    /// sends every envelope with `send`.
    pub async fn send(&mut self, to: &str, payload: &Payload) {
        let envelopes = self
            .engine
            .encrypt_blocking(&mut self.store, to, payload, chat_proto::now_ms())
            .unwrap();
        for e in envelopes {
            let r = self
                .wire
                .request(json!({"type":"send","to":to,"envelope":e.to_json()}))
                .await
                .unwrap();
            assert!(
                matches!(r, ServerMessage::Sent { .. }),
                "send to {to}: {r:?}"
            );
        }
    }

    /// Sends a signed state to `to` in a `group_state` payload.
    pub async fn send_state(&mut self, to: &str, state: &SignedGroupState) {
        let payload = Payload::group_state(state.clone(), chat_proto::now_ms()).unwrap();
        self.send(to, &payload).await;
    }

    /// The next decrypted payload and its sender (acking every delivery;
    /// senders are pinned on first sight, as a daemon would).
    pub async fn next_payload(&mut self) -> (String, Payload) {
        loop {
            let push = self.wire.next_push().await.unwrap();
            let ServerMessage::Deliver {
                msg_id,
                from,
                envelope,
                ..
            } = push
            else {
                continue;
            };
            self.wire
                .send_value(&json!({"type":"ack","msg_ids":[msg_id]}))
                .await
                .unwrap();
            let now = chat_proto::now_ms();
            let mut got = self
                .engine
                .receive_blocking(&mut self.store, &from, &envelope, now)
                .unwrap();
            if matches!(got, Received::Pending(_)) {
                self.learn(&from).await;
                got = self
                    .engine
                    .receive_blocking(&mut self.store, &from, &envelope, now)
                    .unwrap();
            }
            if let Received::Message(d) = got {
                return (from, d.payload);
            }
        }
    }

    /// Reads payloads until a `group_state` of group `id` at `version`
    /// arrives; returns the signed state.
    pub async fn state(&mut self, id: &str, version: u64) -> SignedGroupState {
        loop {
            let (_, p) = self.next_payload().await;
            if let Payload::GroupState(g) = p
                && let Ok(s) = g.state
                && s.state().group_id().to_string() == id
                && s.state().version() == version
            {
                return s;
            }
        }
    }

    /// A state after `held` with `membership`, naming this account as
    /// its signer, signed with its own key: valid bytes and signature,
    /// but signed by whoever this account is in the group.
    pub fn sign_successor(&self, held: &GroupState, membership: Membership) -> SignedGroupState {
        let s = held
            .successor(membership, &self.name, self.key.fingerprint())
            .unwrap();
        SignedGroupState::sign(s, &self.key).unwrap()
    }

    /// A state after `held` with `membership` that claims to be signed by
    /// `signer` (whose key's fingerprint is `signer_fingerprint`), with
    /// this account's signature over other bytes: a forgery.
    pub fn forge_successor(
        &self,
        held: &GroupState,
        membership: Membership,
        signer: &str,
        signer_fingerprint: &str,
    ) -> SignedGroupState {
        let claimed = held
            .successor(membership.clone(), signer, signer_fingerprint)
            .unwrap();
        let own = self.sign_successor(held, membership);
        SignedGroupState::from_parts(claimed, own.sig().to_vec())
    }

    /// Sends a `group_commit` of `state` (its fields) and returns the
    /// server's answer.
    pub async fn commit(&mut self, state: &GroupState) -> ServerMessage {
        let list = |s: &std::collections::BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
        self.wire
            .request(json!({
                "type": "group_commit",
                "group_id": state.group_id().to_string(),
                "version": state.version(),
                "state_hash": state.hash().to_hex(),
                "members": list(state.members()),
                "admins": list(state.admins()),
            }))
            .await
            .unwrap()
    }
}
