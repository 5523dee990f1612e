//! A scripted server for in-process tests of the core: it answers the
//! requests the core makes (`get_key`, `watch`, `send`, `send_multi`,
//! `group_commit`) from a small table
//! the test controls, records what was sent and acked, and fails the next
//! sends on demand. It stands in for the network only; everything behind
//! the link (store, engine, pipelines, hub) is the real thing.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chat_proto::wire::{ItemError, MultiOutcome, MultiResult, UserPresence};
use chat_proto::{ErrorCode, Request, ServerMessage, now_ms};
use chatd_api::ConnectionState;
use serde_json::{Map, Value};
use tokio::sync::watch;

use crate::link::{AuthCmd, LinkError, LinkFuture, LinkState, ServerLink};

/// One `send` the core made.
#[derive(Debug, Clone)]
pub struct Sent {
    pub to: String,
    pub envelope: Map<String, Value>,
}

#[derive(Default)]
struct Table {
    keys: HashMap<String, String>,
    sent: Vec<Sent>,
    ephemeral: Vec<Vec<Sent>>,
    acked: Vec<String>,
    watched: Vec<String>,
    online: Vec<String>,
    key_requests: Vec<String>,
    failures: VecDeque<LinkError>,
    /// Per-item failures of the next `send_multi` items to these users.
    item_failures: HashMap<String, VecDeque<ErrorCode>>,
    /// The group records: version and hash per group id.
    groups: HashMap<String, (u64, String)>,
    /// Every `send_multi` frame: how many items it had.
    multi_frames: Vec<usize>,
    commits: Vec<(String, u64)>,
    next_id: u64,
}

/// The scripted server.
pub struct Relay {
    state: watch::Sender<LinkState>,
    table: Mutex<Table>,
}

impl Relay {
    /// Offline, knowing no keys.
    pub fn new() -> Self {
        let (state, _) = watch::channel(LinkState {
            conn: ConnectionState::Offline,
            user: None,
            server_fingerprint: None,
            last_error: None,
            session: 0,
        });
        Self {
            state,
            table: Mutex::new(Table::default()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap()
    }

    /// The link is logged in as `user` (or offline with `None`).
    /// Returns the session number (a new one for each login).
    pub fn set_logged_in(&self, user: Option<&str>) -> u64 {
        let mut session = 0;
        self.state.send_modify(|s| {
            s.conn = if user.is_some() {
                s.session += 1;
                ConnectionState::LoggedIn
            } else {
                ConnectionState::Offline
            };
            s.user = user.map(str::to_string);
            session = s.session;
        });
        session
    }

    /// The key the server hands out for `user`.
    pub fn set_key(&self, user: &str, pem: &str) {
        self.table().keys.insert(user.to_string(), pem.to_string());
    }

    /// Whether `watch` reports `user` online.
    pub fn set_online(&self, user: &str, online: bool) {
        let mut t = self.table();
        t.online.retain(|u| u != user);
        if online {
            t.online.push(user.to_string());
        }
    }

    /// The next sends fail with these errors, in order.
    pub fn fail_next_sends(&self, errors: impl IntoIterator<Item = LinkError>) {
        self.table().failures.extend(errors);
    }

    /// Injected failures not yet used.
    pub fn failures_left(&self) -> usize {
        self.table().failures.len()
    }

    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.table().sent.clone()
    }

    /// Every ephemeral request so far (one `send` is one item, one
    /// `send_multi` its items), in order.
    pub fn ephemeral(&self) -> Vec<Vec<Sent>> {
        self.table().ephemeral.clone()
    }

    /// Server ids acked so far.
    pub fn acked(&self) -> Vec<String> {
        self.table().acked.clone()
    }

    /// Users watched so far (every `watch`, in order).
    pub fn watched(&self) -> Vec<String> {
        self.table().watched.clone()
    }

    /// The next `send_multi` items to `user` fail with `code`, in order.
    pub fn fail_items_to(&self, user: &str, codes: impl IntoIterator<Item = ErrorCode>) {
        self.table()
            .item_failures
            .entry(user.to_string())
            .or_default()
            .extend(codes);
    }

    /// The sizes of the `send_multi` frames so far.
    pub fn multi_frames(&self) -> Vec<usize> {
        self.table().multi_frames.clone()
    }

    /// The commits accepted so far: (group id, version).
    pub fn commits(&self) -> Vec<(String, u64)> {
        self.table().commits.clone()
    }

    /// Another admin wins version `version` of `group` (the record moves
    /// without this daemon).
    pub fn set_group_record(&self, group: &str, version: u64, hash: &str) {
        self.table()
            .groups
            .insert(group.to_string(), (version, hash.to_string()));
    }

    /// Users whose key was asked for, in order.
    pub fn key_requests(&self) -> Vec<String> {
        self.table().key_requests.clone()
    }

    fn answer(&self, request: Request) -> Result<ServerMessage, LinkError> {
        if self.state.borrow().conn != ConnectionState::LoggedIn {
            return Err(LinkError::Offline);
        }
        let mut t = self.table();
        match request {
            Request::GetKey { username } => {
                t.key_requests.push(username.clone());
                let Some(public_key) = t.keys.get(&username).cloned() else {
                    return Err(LinkError::Server {
                        code: ErrorCode::NoSuchUser,
                        message: format!("no user named {username:?}"),
                        retry_after_ms: None,
                    });
                };
                let fingerprint = chat_proto::crypto::public_key_from_pem(&public_key)
                    .map(|k| chat_proto::crypto::fingerprint(&k))
                    .unwrap_or_default();
                Ok(ServerMessage::Key {
                    username,
                    public_key,
                    fingerprint,
                })
            }
            Request::Watch { users } => {
                t.watched.extend(users.iter().cloned());
                Ok(ServerMessage::WatchOk {
                    users: users
                        .into_iter()
                        .map(|username| UserPresence {
                            online: t.online.contains(&username),
                            username,
                        })
                        .collect(),
                })
            }
            Request::Send { to, envelope } => {
                if let Some(e) = t.failures.pop_front() {
                    return Err(e);
                }
                t.next_id += 1;
                t.sent.push(Sent { to, envelope });
                Ok(ServerMessage::Sent {
                    msg_id: format!("relay-{}", t.next_id),
                    ts: now_ms(),
                    queued: false,
                })
            }
            Request::SendEphemeral { to, envelope } => {
                t.next_id += 1;
                t.ephemeral.push(vec![Sent { to, envelope }]);
                Ok(ServerMessage::SentEphemeral {
                    msg_id: format!("relay-{}", t.next_id),
                    ts: now_ms(),
                    delivered: true,
                })
            }
            Request::SendMulti {
                messages,
                ephemeral: true,
            } => {
                let mut items = Vec::new();
                let mut results = Vec::new();
                for m in messages {
                    let Value::Object(envelope) = m.envelope else {
                        return Err(LinkError::Protocol("an envelope is not an object".into()));
                    };
                    t.next_id += 1;
                    results.push(chat_proto::wire::MultiResult {
                        to: m.to.clone(),
                        outcome: chat_proto::wire::MultiOutcome::Sent {
                            msg_id: format!("relay-{}", t.next_id),
                            queued: false,
                            delivered: Some(true),
                        },
                    });
                    items.push(Sent { to: m.to, envelope });
                }
                t.ephemeral.push(items);
                Ok(ServerMessage::SentMulti {
                    ts: now_ms(),
                    results,
                })
            }
            Request::SendMulti {
                messages,
                ephemeral: false,
            } => {
                if let Some(e) = t.failures.pop_front() {
                    return Err(e);
                }
                t.multi_frames.push(messages.len());
                let mut results = Vec::new();
                for item in messages {
                    let failed = t
                        .item_failures
                        .get_mut(&item.to)
                        .and_then(VecDeque::pop_front);
                    let outcome = match failed {
                        Some(code) => MultiOutcome::Failed {
                            error: ItemError {
                                code,
                                message: "scripted".into(),
                            },
                        },
                        None => {
                            t.next_id += 1;
                            let Value::Object(envelope) = item.envelope else {
                                panic!("an item that is not an object");
                            };
                            t.sent.push(Sent {
                                to: item.to.clone(),
                                envelope,
                            });
                            MultiOutcome::Sent {
                                msg_id: format!("relay-{}", t.next_id),
                                queued: false,
                                delivered: None,
                            }
                        }
                    };
                    results.push(MultiResult {
                        to: item.to,
                        outcome,
                    });
                }
                Ok(ServerMessage::SentMulti {
                    ts: now_ms(),
                    results,
                })
            }
            Request::GroupCommit {
                group_id,
                version,
                state_hash,
                ..
            } => {
                let (current, hash) = t
                    .groups
                    .get(&group_id)
                    .cloned()
                    .unwrap_or((0, String::new()));
                if version != current + 1 {
                    return Ok(ServerMessage::StaleVersion {
                        message: "stale".into(),
                        current_version: current,
                        current_hash: hash,
                    });
                }
                t.groups.insert(group_id.clone(), (version, state_hash));
                t.commits.push((group_id.clone(), version));
                Ok(ServerMessage::GroupCommitted { group_id, version })
            }
            other => Err(LinkError::Protocol(format!(
                "the relay does not script {}",
                other.kind()
            ))),
        }
    }
}

impl ServerLink for Relay {
    fn state(&self) -> LinkState {
        self.state.borrow().clone()
    }

    fn watch(&self) -> watch::Receiver<LinkState> {
        self.state.subscribe()
    }

    fn request(&self, request: Request) -> LinkFuture<'_, Result<ServerMessage, LinkError>> {
        let answer = self.answer(request);
        Box::pin(async move { answer })
    }

    fn auth(&self, _cmd: AuthCmd) -> LinkFuture<'_, Result<ServerMessage, LinkError>> {
        Box::pin(async { Err(LinkError::Protocol("the relay does not script auth".into())) })
    }

    fn ack(&self, msg_ids: Vec<String>) -> LinkFuture<'_, ()> {
        self.table().acked.extend(msg_ids);
        Box::pin(async {})
    }
}
