//! The command line of chat-server, in the library so that man pages and
//! shell completions are generated from the same definition the binary
//! parses. A configuration file ([`file`]) sets the same options.

pub mod file;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::StoreLocation;
use crate::cluster::{BusOptions, BusUrl};
use crate::config::{Config, FilesConfig, ThrottleConfig};

/// SecureChat relay server: accounts, presence, store-and-forward of
/// end-to-end encrypted envelopes it cannot read, and a blob store for
/// encrypted files.
#[derive(Debug, Parser)]
#[command(name = "chat-server", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a command the server runs.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of the running server.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the server key's fingerprint (lowercase hex SHA-256 of its
    /// SubjectPublicKeyInfo), the value clients pin.
    Fingerprint {
        /// Data directory holding server_privkey.pem.
        #[arg(
            long,
            value_name = "DIR",
            conflicts_with = "key",
            env = "CHAT_SERVER_DATA_DIR"
        )]
        data_dir: Option<PathBuf>,
        /// The private key file (PEM, PKCS#1 or PKCS#8).
        #[arg(long, value_name = "PEM")]
        key: Option<PathBuf>,
    },
    /// Copy a single-node installation from its SQLite file into an empty
    /// PostgreSQL database: accounts, identity keys, session tokens, queued
    /// messages, groups and blob metadata, in one transaction (all or
    /// nothing). Stop the server first. Blob bytes and the server key stay
    /// in the data directory: start the server on PostgreSQL with the same
    /// --data-dir.
    Migrate {
        /// The stopped server's database, sqlite:PATH (e.g.
        /// sqlite:/var/lib/chat-server/chat-server.db). Read only; refused
        /// while any process has it open.
        #[arg(long, value_name = "sqlite:PATH", value_parser = parse_sqlite_source)]
        from: PathBuf,
        /// The PostgreSQL database to fill,
        /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; its schema is
        /// created if missing. Put a URL with a password in the environment.
        #[arg(
            long,
            value_name = "URL",
            env = "CHAT_SERVER_STORE",
            hide_env_values = true,
            value_parser = parse_postgres_target
        )]
        to: String,
        /// Empty the target first (in the same transaction) instead of
        /// refusing a target that already holds data.
        #[arg(long)]
        overwrite: bool,
        /// Reach the target over TLS, verified against the CA
        /// certificates in this PEM file (as --store-ca does).
        #[arg(long, value_name = "PEM", env = "CHAT_SERVER_STORE_CA")]
        store_ca: Option<PathBuf>,
    },
}

/// `sqlite:PATH` (also `sqlite://PATH`) to the path.
fn parse_sqlite_source(s: &str) -> Result<PathBuf, String> {
    let path = s
        .strip_prefix("sqlite:")
        .map(|p| p.strip_prefix("//").unwrap_or(p))
        .ok_or("expected sqlite:PATH, e.g. sqlite:/var/lib/chat-server/chat-server.db")?;
    if path.is_empty() {
        return Err("expected sqlite:PATH with a path after the colon".to_owned());
    }
    Ok(PathBuf::from(path))
}

/// A `postgres://` URL, checked as `--store` checks it.
fn parse_postgres_target(s: &str) -> Result<String, String> {
    match s.parse::<StoreLocation>() {
        Ok(StoreLocation::Postgres(url)) => Ok(url),
        _ => Err("expected a postgres://USER@HOST:PORT/DATABASE URL".to_owned()),
    }
}

/// Options of the running server.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Read options from this TOML file: each key is a long option of the
    /// running server with `_` for `-` (e.g. `store = "postgres://..."`,
    /// `bus = "nats://..."`, `bus_poll_secs = 5`, `plaintext = false`).
    /// An option given on the command line or in its environment variable
    /// wins over the file; an unknown key is refused.
    #[arg(long, value_name = "FILE", env = "CHAT_SERVER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address and port to listen on.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:9876",
        env = "CHAT_SERVER_LISTEN"
    )]
    pub listen: SocketAddr,
    /// Where the database and the generated key live [default: $STATE_DIRECTORY,
    /// else the XDG data directory, e.g. ~/.local/share/chat-server].
    #[arg(long, value_name = "DIR", env = "CHAT_SERVER_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where accounts, keys, tokens and mailboxes live: `sqlite` (a file in
    /// the data directory) or a PostgreSQL database,
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (the server key and
    /// blobs stay in the data directory). Put a URL with a password in the
    /// environment, not on the command line.
    #[arg(
        long,
        value_name = "STORE",
        default_value = "sqlite",
        env = "CHAT_SERVER_STORE",
        hide_env_values = true
    )]
    pub store: StoreLocation,
    /// With a postgres:// --store: connect over TLS and verify
    /// PostgreSQL's certificate against the CA certificates in this PEM
    /// file (chain and host name, as libpq's sslmode=verify-full). Without
    /// it the connection is plain text (a unix socket or a network you
    /// trust), and a URL asking for sslmode=require is refused.
    #[arg(long, value_name = "PEM", env = "CHAT_SERVER_STORE_CA")]
    pub store_ca: Option<PathBuf>,
    /// Join a cluster of nodes through this NATS server, nats://HOST:PORT
    /// (needs a postgres:// --store shared by every node). NATS carries
    /// only wake-ups; the node keeps working, at --bus-poll-secs speed,
    /// while NATS is down.
    #[arg(
        long,
        value_name = "URL",
        env = "CHAT_SERVER_BUS",
        hide_env_values = true
    )]
    pub bus: Option<BusUrl>,
    /// With --bus: seconds between polls of logged-in users' mailboxes and
    /// of the cluster's sessions table, the most a lost wake-up delays a
    /// delivery or a presence change.
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub bus_poll_secs: u64,
    /// With --bus: a node that has not heartbeaten for this many seconds is
    /// taken for dead; its sessions are removed and its users go offline.
    #[arg(long, value_name = "SECS", default_value_t = 15, value_parser = clap::value_parser!(u64).range(3..=3600))]
    pub node_timeout_secs: u64,
    /// Use this private key (PEM, PKCS#1 or PKCS#8) instead of
    /// <data-dir>/server_privkey.pem.
    #[arg(long, value_name = "PEM", env = "CHAT_SERVER_KEY")]
    pub key: Option<PathBuf>,
    /// Speak the protocol over bare TCP instead of TLS 1.3. Only allowed on
    /// a loopback address (for tests and local development).
    #[arg(long)]
    pub plaintext: bool,
    /// bcrypt cost for new password hashes (4 to 31). Lower it only for tests.
    #[arg(long, value_name = "N", default_value_t = 12, value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,
    /// Largest frame after login, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024, value_parser = clap::value_parser!(u32).range(1024..))]
    pub max_frame: u32,
    /// Largest frame before login, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 64 * 1024, value_parser = clap::value_parser!(u32).range(1024..))]
    pub max_frame_pre_auth: u32,
    /// Connections served at once; more are answered `server_busy`.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_connections: usize,
    /// TCP listen backlog.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub backlog: u32,
    /// Close connections silent for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 90)]
    pub idle_timeout: u64,
    /// Close connections not logged in this many seconds after accept (the
    /// TLS handshake included).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub login_timeout: u64,
    /// Close connections whose client takes no data for this many seconds
    /// (it is not reading what the server sends).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub write_timeout: u64,
    /// Messages stored for one recipient before `send` answers `mailbox_full`.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub mailbox_limit: u32,
    /// Messages stored from one sender for one recipient before `send`
    /// answers `mailbox_full`.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub mailbox_per_sender: u32,
    /// Users one connection may watch.
    #[arg(long, value_name = "N", default_value_t = 1_000)]
    pub max_watch: usize,
    /// Ephemeral sends (never stored) one connection may make in any
    /// second; beyond, `rate_limited`.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub ephemeral_per_second: u32,
    /// bcrypt/RSA jobs running at once [default: the number of CPUs].
    #[arg(long, value_name = "N")]
    pub cpu_workers: Option<usize>,
    /// bcrypt/RSA jobs allowed to wait; beyond, `server_busy`, naming the
    /// client's turn in a line that starts once the queue has drained.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub cpu_queue: usize,
    /// bcrypt/RSA jobs one source (IPv4 address or IPv6 /64) may have
    /// admitted at once; beyond, `rate_limited`.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub cpu_per_source: usize,
    /// Failed logins from one source (all accounts) within 15 minutes
    /// before it must wait; credentials that do not open count too.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub throttle_per_source: u32,
    /// Failed logins from one source against one account within 15 minutes
    /// before it must wait.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub throttle_per_account_source: u32,
    /// Failed logins against one account (all sources) within 15 minutes
    /// before every source that failed against it must wait.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub throttle_per_account: u32,
    /// Signups one source may attempt per hour.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub signups_per_source: u32,
    /// Days an unacknowledged message is kept.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub message_ttl_days: u64,
    /// Largest blob (an encrypted file) in bytes; the default holds a
    /// 100 MiB file once sealed.
    #[arg(long, value_name = "BYTES", default_value_t = 104_864_000, value_parser = clap::value_parser!(u64).range(1..=(1 << 50)))]
    pub max_blob: u64,
    /// Largest piece of a blob in one `blob_put` or `blob_data`, in bytes;
    /// its base64 frame must fit --max-frame.
    #[arg(long, value_name = "BYTES", default_value_t = 512 * 1024, value_parser = clap::value_parser!(u64).range(1..=(16 << 20)))]
    pub max_piece: u64,
    /// Bytes one user's blobs (unfinished reservations and finished blobs)
    /// may take together.
    #[arg(long, value_name = "BYTES", default_value_t = 1 << 30, value_parser = clap::value_parser!(u64).range(1..=(1 << 60)))]
    pub blob_quota: u64,
    /// Unfinished uploads one user may have at once.
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_uploads: u32,
    /// Seconds an unfinished upload is kept after `blob_create`.
    #[arg(long, value_name = "SECS", default_value_t = 24 * 3600, value_parser = clap::value_parser!(u64).range(1..=(100 * 365 * 86400)))]
    pub upload_ttl_secs: u64,
    /// Seconds a finished blob is kept after `blob_finish`.
    #[arg(long, value_name = "SECS", default_value_t = 30 * 24 * 3600, value_parser = clap::value_parser!(u64).range(1..=(100 * 365 * 86400)))]
    pub blob_ttl_secs: u64,
    /// Seconds between sweeps that delete expired blobs.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub blob_sweep_secs: u64,
}

impl RunArgs {
    /// How this node joins a cluster, if `--bus` was given.
    pub fn bus_options(&self) -> Option<BusOptions> {
        self.bus.clone().map(|url| BusOptions {
            url,
            poll: Duration::from_secs(self.bus_poll_secs),
            node_timeout: Duration::from_secs(self.node_timeout_secs),
        })
    }

    /// The server configuration these options describe.
    pub fn config(&self) -> Config {
        let defaults = Config::default();
        Config {
            bcrypt_cost: self.bcrypt_cost,
            max_frame: self.max_frame,
            max_frame_pre_auth: self.max_frame_pre_auth.min(self.max_frame),
            max_connections: self.max_connections.max(1),
            backlog: self.backlog,
            idle_timeout: Duration::from_secs(self.idle_timeout.max(1)),
            login_timeout: Duration::from_secs(self.login_timeout.max(1)),
            write_timeout: Duration::from_secs(self.write_timeout.max(1)),
            mailbox_limit: self.mailbox_limit,
            mailbox_per_sender: self.mailbox_per_sender,
            message_ttl: Duration::from_secs(self.message_ttl_days.saturating_mul(24 * 3600)),
            max_watch: self.max_watch,
            ephemeral_per_second: self.ephemeral_per_second,
            cpu_workers: self.cpu_workers.unwrap_or(defaults.cpu_workers).max(1),
            cpu_queue: self.cpu_queue,
            cpu_per_source: self.cpu_per_source.max(1),
            throttle: ThrottleConfig {
                per_source: self.throttle_per_source,
                per_account_source: self.throttle_per_account_source,
                per_account: self.throttle_per_account,
                signups_per_source: self.signups_per_source,
                ..defaults.throttle.clone()
            },
            files: FilesConfig {
                max_blob: self.max_blob,
                max_piece: self.max_piece,
                quota: self.blob_quota,
                max_uploads: self.max_uploads,
                upload_ttl: Duration::from_secs(self.upload_ttl_secs),
                blob_ttl: Duration::from_secs(self.blob_ttl_secs),
                sweep_interval: Duration::from_secs(self.blob_sweep_secs),
            },
            ..defaults
        }
    }
}

/// The data directory: the flag, else systemd's `$STATE_DIRECTORY`, else
/// the XDG data directory.
pub fn data_dir(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| {
        std::env::var_os("STATE_DIRECTORY")
            .and_then(|v| std::env::split_paths(&v).next())
            .filter(|p| !p.as_os_str().is_empty())
    })
    .or_else(|| {
        directories::ProjectDirs::from("org", "securechat", "chat-server")
            .map(|d| d.data_dir().to_path_buf())
    })
}
