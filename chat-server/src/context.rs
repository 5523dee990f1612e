//! The state every connection shares, built once at start: configuration,
//! store, router, the CPU pool, the throttle, the server key and the blob
//! store.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::auth::pool::CpuPool;
use crate::auth::throttle::Throttle;
use crate::blobs::{BlobLocks, BlobStore};
use crate::config::Config;
use crate::keys::ServerKey;
use crate::router::Router;
use crate::store::{CommitSink, Store, StoredMessage};

/// Shared by every connection of one server.
pub struct Shared<S: Store> {
    /// Limits and costs.
    pub config: Config,
    /// Durable state.
    pub store: S,
    /// Live routing.
    pub router: Arc<dyn Router>,
    /// bcrypt and RSA work.
    pub pool: CpuPool,
    /// Failed-login throttle.
    pub throttle: Throttle,
    /// The server's long-term key.
    pub key: Arc<ServerKey>,
    /// The bytes of blobs (PROTOCOL.md §5.3); blocking, call it from
    /// `spawn_blocking`.
    pub blobs: Arc<dyn BlobStore>,
    /// One writer per blob at a time.
    pub blob_locks: BlobLocks,
    /// Whether the store hands each committed message to the router
    /// ([`Store::publish_commits`]); if not, a send wakes the recipient's
    /// sessions to read it from the store.
    pub(crate) store_hands_over: bool,
    /// Sends waiting for their commit, server-wide
    /// (`Config::max_sends_in_flight` permits).
    pub sends_in_flight: Arc<Semaphore>,
    /// A bcrypt hash of nothing in particular, verified against when the
    /// account does not exist so that a login for an unknown name costs the
    /// same time as one for a known name.
    pub(crate) dummy_hash: String,
}

impl<S: Store> Shared<S> {
    /// Assembles the shared state. Blocking: it computes one bcrypt hash at
    /// the configured cost (call it from `spawn_blocking` in async code).
    pub fn new(
        config: Config,
        store: S,
        router: Arc<dyn Router>,
        key: Arc<ServerKey>,
        blobs: Arc<dyn BlobStore>,
    ) -> Self {
        let dummy_hash =
            bcrypt::non_truncating_hash("timing equaliser, never a password", config.bcrypt_cost)
                .unwrap_or_default();
        let sends_in_flight = Arc::new(Semaphore::new(config.max_sends_in_flight.max(1)));
        let store_hands_over = store.publish_commits(Arc::new(ToRouter(Arc::clone(&router))));
        Self {
            pool: CpuPool::new(config.cpu_workers, config.cpu_queue, config.cpu_per_source),
            throttle: Throttle::new(config.throttle.clone()),
            config,
            store,
            router,
            key,
            blobs,
            blob_locks: BlobLocks::default(),
            sends_in_flight,
            store_hands_over,
            dummy_hash,
        }
    }

    /// Mail for `user` was committed: wake their sessions, unless the
    /// store already handed it to them.
    pub(crate) fn mail_committed(&self, user: &str) {
        if !self.store_hands_over {
            self.router.mail_for(user);
        }
    }
}

/// The router as the store's [`CommitSink`].
struct ToRouter(Arc<dyn Router>);

impl CommitSink for ToRouter {
    fn committed(&self, recipient: &str, msg: &StoredMessage) {
        self.0.committed(recipient, msg);
    }
}
