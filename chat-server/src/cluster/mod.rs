//! Several chat-server nodes behind one TCP load balancer, sharing one
//! PostgreSQL database and one NATS bus (`--bus nats://HOST:PORT`).
//!
//! Store, then poke: PostgreSQL stays the only source of truth (mailboxes,
//! keys, tokens, and here the sessions table that says who is online
//! where); NATS carries only wake-ups that point at committed state. A
//! lost wake-up therefore costs latency, never a message: every node also
//! wakes the delivery loops of its logged-in users and re-reads the
//! sessions table on a slow timer (`--bus-poll-secs`), and a login reads
//! the whole mailbox anyway. With NATS down the cluster keeps working at
//! polling speed.
//!
//! [`ClusterRouter`] is this node's [`LocalRouter`] plus two tasks: the
//! presence task ([`sessions`]) that writes this node's rows, heartbeats,
//! reaps dead nodes and refreshes who is online elsewhere, and the bus
//! tasks ([`nats`]). The router's methods stay synchronous and
//! non-blocking: they act locally, then queue what the other nodes must
//! hear.

mod event;
mod nats;
mod sessions;

use std::sync::Arc;
use std::time::Duration;

use chat_proto::ServerMessage;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::router::{ConnHandle, ConnId, LocalRouter, Router};
use crate::store::PgTarget;
use event::Event;
use sessions::Sessions;

/// Events waiting for the bus; past this they are dropped (each is a
/// wake-up the poll makes up for).
const BUS_QUEUE: usize = 4096;

/// A `nats://` URL of the bus (`--bus`). Printed without its password.
#[derive(Clone, PartialEq, Eq)]
pub struct BusUrl(String);

impl BusUrl {
    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `url` with any user and password replaced by `***`.
    fn redacted(url: &str) -> String {
        match url.split_once("://") {
            Some((scheme, rest)) => match rest.rsplit_once('@') {
                Some((_, host)) => format!("{scheme}://***@{host}"),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        }
    }
}

impl std::str::FromStr for BusUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let Some(rest) = s.strip_prefix("nats://") else {
            return Err("expected a nats://HOST:PORT URL".to_owned());
        };
        if rest.is_empty() {
            return Err("expected a nats://HOST:PORT URL (the host is missing)".to_owned());
        }
        Ok(BusUrl(s.to_owned()))
    }
}

impl std::fmt::Debug for BusUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BusUrl({})", Self::redacted(&self.0))
    }
}

/// How a node joins the cluster.
#[derive(Debug, Clone)]
pub struct BusOptions {
    /// The NATS server.
    pub url: BusUrl,
    /// How often every logged-in user's mailbox is polled and the sessions
    /// table re-read: the most a lost wake-up delays delivery or presence.
    pub poll: Duration,
    /// A node silent this long is taken for dead and reaped; nodes
    /// heartbeat three times per timeout.
    pub node_timeout: Duration,
}

/// What the presence task must write.
enum Op {
    Up {
        user: String,
        conn: ConnId,
        first: bool,
    },
    Down {
        user: String,
        conn: ConnId,
        last: bool,
    },
}

/// The router of a node in a cluster.
pub struct ClusterRouter {
    local: Arc<LocalRouter>,
    node: String,
    ops: mpsc::UnboundedSender<Op>,
    bus: mpsc::Sender<Event>,
}

impl ClusterRouter {
    /// Joins the cluster: registers this node in PostgreSQL at `pg`
    /// (which must work: the node refuses to start otherwise), connects to
    /// the bus (which may be down: the node then runs on polling until it
    /// is back) and starts the tasks, which run until `stop` is cancelled;
    /// the node then leaves the sessions table.
    pub async fn start(
        options: &BusOptions,
        pg: &PgTarget,
        stop: CancellationToken,
    ) -> anyhow::Result<Arc<ClusterRouter>> {
        let node = uuid::Uuid::new_v4().to_string();
        let sessions = Sessions::open(pg, &node, options.node_timeout.max(Duration::from_secs(1)))?;
        sessions.heartbeat().await.map_err(|e| {
            anyhow::anyhow!(
                "cannot register this node in PostgreSQL's cluster tables: {e:#}; \
                 check the --store URL and that the database is up"
            )
        })?;
        let client = nats::connect(options.url.as_str(), &node).await?;
        let sub = nats::subscribe(&client).await?;
        let local = Arc::new(LocalRouter::new());
        let (ops, ops_rx) = mpsc::unbounded_channel();
        let (bus, bus_rx) = mpsc::channel(BUS_QUEUE);
        let refresh = Arc::new(Notify::new());
        let router = Arc::new(ClusterRouter {
            local: local.clone(),
            node: node.clone(),
            ops,
            bus: bus.clone(),
        });
        tokio::spawn(nats::publish(client, bus_rx, stop.clone()));
        tokio::spawn(nats::receive(
            sub,
            node.clone(),
            local.clone(),
            refresh.clone(),
            stop.clone(),
        ));
        let presence = Presence {
            sessions,
            node,
            local,
            bus,
            poll: options.poll.max(Duration::from_millis(100)),
            node_timeout: options.node_timeout.max(Duration::from_secs(1)),
        };
        tokio::spawn(presence.run(ops_rx, refresh, stop));
        tracing::info!(node = %router.node, bus = %BusUrl::redacted(options.url.as_str()), "joined the cluster");
        Ok(router)
    }

    fn publish(&self, event: Event) {
        if self.bus.try_send(event).is_err() {
            tracing::debug!("bus queue full; dropping a wake-up (the poll catches up)");
        }
    }

    fn op(&self, op: Op) {
        // Fails only once the presence task has stopped (shutdown).
        let _ = self.ops.send(op);
    }
}

impl Router for ClusterRouter {
    fn session_up(&self, user: &str, conn: &ConnHandle) {
        let first = self.local.add_session(user, conn);
        self.op(Op::Up {
            user: user.to_owned(),
            conn: conn.id,
            first,
        });
    }

    fn session_down(&self, user: &str, conn: ConnId) {
        let last = self.local.remove_session(user, conn);
        self.op(Op::Down {
            user: user.to_owned(),
            conn,
            last,
        });
    }

    fn is_online(&self, user: &str) -> bool {
        self.local.is_online(user)
    }

    fn online_users(&self, prefix: &str, after: Option<&str>, limit: usize) -> Vec<String> {
        self.local.online_users(prefix, after, limit)
    }

    fn watch(&self, watcher: &ConnHandle, users: &[String], max: usize) -> bool {
        self.local.watch(watcher, users, max)
    }

    fn unwatch(&self, watcher: ConnId, users: &[String]) {
        self.local.unwatch(watcher, users);
    }

    fn forget_watcher(&self, watcher: ConnId) {
        self.local.forget_watcher(watcher);
    }

    fn mail_for(&self, user: &str) {
        self.local.mail_for(user);
        self.publish(Event::Mail {
            node: self.node.clone(),
            user: user.to_owned(),
        });
    }

    fn pass_on(&self, user: &str, msg: &ServerMessage) -> bool {
        let here = self.local.pass_on(user, msg);
        if !self.local.is_elsewhere(user) {
            return here;
        }
        let frame = chat_proto::wire::encode(None, msg);
        match String::from_utf8(frame) {
            Ok(frame) => {
                self.publish(Event::PassOn {
                    node: self.node.clone(),
                    user: user.to_owned(),
                    frame,
                });
                true
            }
            Err(_) => here,
        }
    }

    fn key_changed(&self, user: &str, fingerprint: &str) {
        self.local.key_changed(user, fingerprint);
        self.publish(Event::KeyChanged {
            node: self.node.clone(),
            user: user.to_owned(),
            fingerprint: fingerprint.to_owned(),
        });
    }

    fn end_sessions(&self, user: &str, except: ConnId, reason: &str) {
        self.local.end_sessions(user, except, reason);
        self.publish(Event::EndSessions {
            node: self.node.clone(),
            user: user.to_owned(),
            reason: reason.to_owned(),
        });
    }
}

/// The presence task's state.
struct Presence {
    sessions: Sessions,
    node: String,
    local: Arc<LocalRouter>,
    bus: mpsc::Sender<Event>,
    poll: Duration,
    node_timeout: Duration,
}

impl Presence {
    /// Writes session rows in the order sessions came and went, then pokes
    /// the other nodes (store, then poke); heartbeats, reaps and polls on
    /// timers; re-reads the table when another node pokes.
    async fn run(
        self,
        mut ops: mpsc::UnboundedReceiver<Op>,
        refresh: Arc<Notify>,
        stop: CancellationToken,
    ) {
        let mut beat = tokio::time::interval(self.node_timeout / 3);
        let mut poll = tokio::time::interval(self.poll);
        beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Set when a write failed: the rows are rewritten at the next beat.
        let mut dirty = false;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                op = ops.recv() => match op {
                    Some(op) => dirty |= !self.write(op).await,
                    None => break,
                },
                _ = beat.tick() => dirty = self.beat(dirty).await,
                _ = poll.tick() => {
                    self.local.wake_all();
                    self.refresh().await;
                }
                () = refresh.notified() => self.refresh().await,
            }
        }
        if let Err(e) = self.sessions.leave().await {
            tracing::warn!(error = %e, "could not remove this node from the cluster tables; the others reap it after the node timeout");
        }
    }

    /// Applies one session change; returns whether the row was written.
    async fn write(&self, op: Op) -> bool {
        let (result, user, announce) = match op {
            Op::Up { user, conn, first } => (self.sessions.add(&user, conn).await, user, first),
            Op::Down { user, conn, last } => (self.sessions.remove(conn).await, user, last),
        };
        if announce {
            let _ = self.bus.try_send(Event::Presence {
                node: self.node.clone(),
                user,
            });
        }
        match result {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "could not record a session in PostgreSQL; retrying at the next heartbeat");
                false
            }
        }
    }

    /// Heartbeats, rewrites this node's rows if needed and reaps silent
    /// nodes; returns whether the rows still need rewriting.
    async fn beat(&self, dirty: bool) -> bool {
        let created = match self.sessions.heartbeat().await {
            Ok(created) => created,
            Err(e) => {
                tracing::warn!(error = %e, "heartbeat to PostgreSQL failed; other nodes will take this one for dead if it lasts");
                return true;
            }
        };
        if created {
            tracing::warn!(
                "this node had been reaped from the cluster tables; writing its sessions again"
            );
        }
        if dirty || created {
            if let Err(e) = self.sessions.rewrite(&self.local.local_sessions()).await {
                tracing::warn!(error = %e, "could not rewrite this node's sessions; retrying at the next heartbeat");
                return true;
            }
            self.announce_all();
        }
        match self.sessions.reap(self.node_timeout).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::warn!(
                    nodes = n,
                    "reaped nodes that stopped heartbeating; their users are offline"
                );
                self.refresh().await;
            }
            Err(e) => tracing::warn!(error = %e, "reaping silent nodes failed"),
        }
        false
    }

    /// After a rewrite the other nodes must re-read the table.
    fn announce_all(&self) {
        let _ = self.bus.try_send(Event::Presence {
            node: self.node.clone(),
            user: String::new(),
        });
    }

    /// Re-reads who is online on the other live nodes.
    async fn refresh(&self) {
        match self.sessions.elsewhere(self.node_timeout).await {
            Ok(users) => self.local.set_elsewhere(users),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the cluster's sessions; presence of other nodes' users may be stale")
            }
        }
    }
}
