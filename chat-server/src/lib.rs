//! chat-server: the SecureChat relay. It authenticates accounts, relays
//! end-to-end envelopes it cannot open, keeps them durably until the
//! recipient acknowledges them, tells watchers about presence, and keeps
//! encrypted files (blobs) for a while.
//!
//! The library is the whole server; `main.rs` only parses flags and calls
//! [`start`]. Tests and benchmarks start it in-process the same way.

pub mod auth;
pub mod blobs;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod connection;
pub mod context;
mod delivery;
pub mod handlers;
pub mod keys;
pub mod logs;
pub mod migrate;
mod purge;
pub mod router;
pub mod server;
pub mod store;
pub mod tls;
pub mod unseal;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use config::Config;

/// Name of the database file in the data directory.
pub const DB_FILE: &str = "chat-server.db";

/// Everything needed to start a server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where to listen (port 0 picks a free one).
    pub listen: SocketAddr,
    /// Database and generated key.
    pub data_dir: PathBuf,
    /// An explicit key file instead of `<data_dir>/server_privkey.pem`.
    pub key: Option<PathBuf>,
    /// Bare TCP instead of TLS 1.3 (loopback only).
    pub plaintext: bool,
    /// Where the durable state lives.
    pub store: StoreLocation,
    /// The CA (PEM) that PostgreSQL's certificate must chain to
    /// (`--store-ca`); `None`: plain text to PostgreSQL.
    pub store_ca: Option<PathBuf>,
    /// The bus to other nodes (`--bus`; needs a PostgreSQL store); `None`
    /// for a single node.
    pub bus: Option<cluster::BusOptions>,
    /// Limits, timeouts and costs.
    pub config: Config,
}

/// Where the relay keeps accounts, keys, tokens, mailboxes, group versions
/// and blob metadata (`--store`).
#[derive(Clone, PartialEq, Eq, Default)]
pub enum StoreLocation {
    /// `<data dir>/chat-server.db`: one machine, no other service.
    #[default]
    Sqlite,
    /// A PostgreSQL database that several nodes may share; the URL as given
    /// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`).
    Postgres(String),
}

impl std::str::FromStr for StoreLocation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "sqlite" {
            Ok(StoreLocation::Sqlite)
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(StoreLocation::Postgres(s.to_owned()))
        } else {
            Err("expected `sqlite` or a postgres://USER@HOST:PORT/DATABASE URL".to_owned())
        }
    }
}

/// Never prints the URL: it may hold a password.
impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite => f.write_str("Sqlite"),
            StoreLocation::Postgres(_) => f.write_str("Postgres(..)"),
        }
    }
}

/// A server that is accepting connections.
#[derive(Debug)]
pub struct Running {
    /// The bound address (with the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The server key's fingerprint.
    pub fingerprint: String,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, ends every connection and waits for them.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        let _ = self.task.await;
    }

    /// A token that stops the server when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits until the server has stopped.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

/// Refuses blob limits the wire cannot carry: a piece whose `blob_put` or
/// `blob_data` frame would not fit the frame cap could never be sent.
fn check_files(config: &Config) -> anyhow::Result<()> {
    let need = config.files.piece_frame();
    if need > u64::from(config.max_frame) {
        bail!(
            "--max-piece {} makes frames of up to {need} bytes, more than --max-frame {}; \
             lower --max-piece or raise --max-frame",
            config.files.max_piece,
            config.max_frame
        );
    }
    Ok(())
}

/// Loads the key, opens the store, binds and starts serving.
pub async fn start(opts: Options) -> anyhow::Result<Running> {
    if opts.plaintext && !opts.listen.ip().is_loopback() {
        bail!(
            "--plaintext is refused on {}: without TLS, anyone on the network could read and alter the traffic; \
             listen on a loopback address (127.0.0.1 or ::1) or drop --plaintext",
            opts.listen.ip()
        );
    }
    check_files(&opts.config)?;
    if opts.bus.is_some() && opts.store == StoreLocation::Sqlite {
        bail!(
            "--bus needs --store postgres://...: the nodes of a cluster share one PostgreSQL \
             database; drop --bus to run a single node on SQLite"
        );
    }
    let (data_dir, key_path) = (opts.data_dir.clone(), opts.key.clone());
    let (key, source) =
        tokio::task::spawn_blocking(move || keys::load_or_create(&data_dir, key_path.as_deref()))
            .await
            .context("key loading task failed")??;
    match &source {
        keys::KeySource::Generated { path } => {
            tracing::info!(path = %path.display(), "generated a new server key")
        }
        keys::KeySource::Loaded { path, .. } => {
            tracing::info!(path = %path.display(), "loaded the server key")
        }
    }
    if let Some(warning) = source.warning() {
        tracing::warn!("{warning}");
    }
    let key = Arc::new(key);
    let shutdown = CancellationToken::new();
    match opts.store.clone() {
        StoreLocation::Sqlite => {
            if opts.store_ca.is_some() {
                anyhow::bail!(
                    "--store-ca is for a postgres:// --store; the SQLite store is a local file"
                );
            }
            let db_path = opts.data_dir.join(DB_FILE);
            let store = tokio::task::spawn_blocking(move || store::SqliteStore::open(&db_path))
                .await
                .context("store opening task failed")??;
            let router: Arc<dyn router::Router> = Arc::new(router::LocalRouter::new());
            launch(opts, key, store, router, shutdown).await
        }
        StoreLocation::Postgres(url) => {
            let options = store::PostgresOptions {
                ca: opts.store_ca.clone(),
                ..store::PostgresOptions::default()
            };
            let target =
                store::PgTarget::new(&url, options.ca.as_deref(), options.connect_timeout)?;
            let store = store::PostgresStore::open(&target, &options)
                .await
                .context(
                    "cannot open the PostgreSQL store; check the --store URL, that the \
                     database exists and that PostgreSQL accepts this user",
                )?;
            tracing::info!(tls = target.uses_tls(), "using the PostgreSQL store");
            let router: Arc<dyn router::Router> = match &opts.bus {
                None => Arc::new(router::LocalRouter::new()),
                // The cluster's tasks stop with the server; the node then
                // leaves the sessions table (best effort: else it is reaped).
                Some(bus) => {
                    cluster::ClusterRouter::start(bus, &target, shutdown.child_token()).await?
                }
            };
            launch(opts, key, store, router, shutdown).await
        }
    }
}

/// Serves with an open store: the blob directory, the router, TLS and the
/// listener are the same for every store.
async fn launch<S: store::Store>(
    opts: Options,
    key: Arc<keys::ServerKey>,
    store: S,
    router: Arc<dyn router::Router>,
    shutdown: CancellationToken,
) -> anyhow::Result<Running> {
    let (config, key2) = (opts.config.clone(), key.clone());
    let data_dir = opts.data_dir.clone();
    let shared = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let blobs = blobs::DiskBlobs::open(&data_dir).with_context(|| {
            format!(
                "cannot create the blob directory in {}; check its owner and permissions",
                data_dir.display()
            )
        })?;
        Ok(Arc::new(context::Shared::new(
            config,
            store,
            router,
            key2,
            Arc::new(blobs),
        )))
    })
    .await
    .context("blob store opening task failed")??;
    let tls = if opts.plaintext {
        None
    } else {
        Some(tokio_rustls::TlsAcceptor::from(tls::server_config(&key)?))
    };
    let listener = server::bind(opts.listen, opts.config.backlog).with_context(|| {
        format!(
            "cannot listen on {}; is another server using that port?",
            opts.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let task = tokio::spawn(server::run(listener, shared, tls, shutdown.clone()));
    Ok(Running {
        addr,
        fingerprint: key.fingerprint().to_string(),
        shutdown,
        task,
    })
}
