//! Every limit, timeout and cost of the relay in one value with safe
//! defaults, so tests can move each to its edge and operators can tune them
//! without a rebuild.

use std::time::Duration;

use chat_proto::codec::{MAX_FRAME_POST_AUTH, MAX_FRAME_PRE_AUTH};

/// Tunables of a running server. `Config::default()` is the product.
#[derive(Debug, Clone)]
pub struct Config {
    /// Frame cap before login (PROTOCOL.md §1.2: 64 KiB).
    pub max_frame_pre_auth: u32,
    /// Frame cap once logged in (1 MiB).
    pub max_frame: u32,
    /// Connections served at once; more are told `server_busy`.
    pub max_connections: usize,
    /// TCP listen backlog (tokio's 128 stalls connection storms).
    pub backlog: u32,
    /// A connection silent this long is closed (90 s).
    pub idle_timeout: Duration,
    /// A connection not logged in this long after accept (TLS handshake
    /// included) is closed (30 s).
    pub login_timeout: Duration,
    /// A connection whose client takes no frame for this long (its socket
    /// and its outbound queue full) is closed (30 s).
    pub write_timeout: Duration,
    /// bcrypt cost for new hashes (12).
    pub bcrypt_cost: u32,
    /// Stored messages per recipient before `mailbox_full` (10,000).
    pub mailbox_limit: u32,
    /// Stored messages from one sender to one recipient before
    /// `mailbox_full` (1,000), so no sender can fill a whole mailbox.
    pub mailbox_per_sender: u32,
    /// Unacknowledged messages are purged after this (30 days).
    pub message_ttl: Duration,
    /// Absolute token lifetime (30 days).
    pub token_ttl: Duration,
    /// Tokens unused this long stop working (7 days).
    pub token_idle: Duration,
    /// Bad frames in a row before the connection is closed (10).
    pub max_bad_frames: u32,
    /// Frames waiting to be written to one connection.
    pub outbound_queue: usize,
    /// Sends one connection may have waiting for their commit while it
    /// reads on (64); at the bound the connection stops reading until the
    /// oldest is answered.
    pub pipeline_depth: usize,
    /// Sends the whole server may have waiting for their commit (4096);
    /// beyond, `send` answers `server_busy` and stores nothing, so offered
    /// load past what the disk commits is pushed back at once instead of
    /// queueing without end.
    pub max_sends_in_flight: usize,
    /// Users one connection may watch.
    pub max_watch: usize,
    /// Ephemeral sends (`send` and `send_multi` with `ephemeral`) one
    /// connection may make in any second (10, PROTOCOL.md §4.5).
    pub ephemeral_per_second: u32,
    /// bcrypt/RSA jobs running at once.
    pub cpu_workers: usize,
    /// bcrypt/RSA jobs allowed to wait; beyond, `server_busy`.
    pub cpu_queue: usize,
    /// bcrypt/RSA jobs one source (an IPv4 address or an IPv6 /64) may have
    /// admitted at once; beyond, `rate_limited`, so one source cannot
    /// occupy the pool.
    pub cpu_per_source: usize,
    /// How often expired messages and tokens are purged.
    pub purge_interval: Duration,
    /// Failed-login throttling.
    pub throttle: ThrottleConfig,
    /// The blob store's limits (PROTOCOL.md §5.4).
    pub files: FilesConfig,
}

/// Limits of the blob store, advertised in `hello` (PROTOCOL.md §5.4).
#[derive(Debug, Clone)]
pub struct FilesConfig {
    /// Largest blob in bytes (104,864,000: a sealed 100 MiB file).
    pub max_blob: u64,
    /// Largest piece of `blob_put` and `blob_data`, decoded (512 KiB).
    pub max_piece: u64,
    /// Bytes one user's unfinished reservations and finished blobs may
    /// take together (1 GiB).
    pub quota: u64,
    /// Unfinished uploads one user may have at once (64).
    pub max_uploads: u32,
    /// An unfinished upload expires this long after `blob_create` (24 h).
    pub upload_ttl: Duration,
    /// A finished blob expires this long after `blob_finish` (30 days).
    pub blob_ttl: Duration,
    /// How often expired blobs are swept (1 minute).
    pub sweep_interval: Duration,
}

impl Default for FilesConfig {
    fn default() -> Self {
        Self {
            max_blob: 104_864_000,
            max_piece: 512 * 1024,
            quota: 1024 * 1024 * 1024,
            max_uploads: 64,
            upload_ttl: Duration::from_secs(24 * 3600),
            blob_ttl: Duration::from_secs(30 * 24 * 3600),
            sweep_interval: Duration::from_secs(60),
        }
    }
}

impl FilesConfig {
    /// The limits as `hello` carries them.
    pub fn limits(&self) -> chat_proto::wire::FileLimits {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        chat_proto::wire::FileLimits {
            max_blob: self.max_blob,
            max_piece: self.max_piece,
            quota: self.quota,
            upload_ttl_ms: ms(self.upload_ttl),
            blob_ttl_ms: ms(self.blob_ttl),
        }
    }

    /// Room a `blob_put` or `blob_data` frame needs besides its b64 data:
    /// the type, a 64-character id, the blob id and the numbers.
    pub const FRAME_OVERHEAD: u64 = 512;

    /// The largest frame a piece of `max_piece` bytes makes.
    pub fn piece_frame(&self) -> u64 {
        self.max_piece.div_ceil(3).saturating_mul(4) + Self::FRAME_OVERHEAD
    }
}

/// Thresholds of failed-login throttling (see `auth::throttle`).
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures counted within this window.
    pub window: Duration,
    /// Failures from one address against one account before it must wait.
    pub per_account_source: u32,
    /// Failures from one address, all accounts together, before it must wait.
    pub per_source: u32,
    /// Failures against one account from all addresses before every address
    /// that has failed against it must wait (addresses with no failure on it
    /// are unaffected, so the owner still gets in).
    pub per_account: u32,
    /// First wait; doubles with each further failure.
    pub base_delay: Duration,
    /// Longest wait.
    pub max_delay: Duration,
    /// Signups one source may attempt within `signup_window`.
    pub signups_per_source: u32,
    /// The window signups are counted in.
    pub signup_window: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account_source: 5,
            per_source: 20,
            per_account: 50,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            signups_per_source: 30,
            signup_window: Duration::from_secs(3600),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self {
            max_frame_pre_auth: MAX_FRAME_PRE_AUTH,
            max_frame: MAX_FRAME_POST_AUTH,
            max_connections: 10_000,
            backlog: 4096,
            idle_timeout: Duration::from_secs(90),
            login_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            bcrypt_cost: bcrypt::DEFAULT_COST,
            mailbox_limit: 10_000,
            mailbox_per_sender: 1_000,
            message_ttl: Duration::from_secs(30 * 24 * 3600),
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            token_idle: Duration::from_secs(7 * 24 * 3600),
            max_bad_frames: 10,
            outbound_queue: 256,
            pipeline_depth: 64,
            max_sends_in_flight: 4096,
            max_watch: 1_000,
            ephemeral_per_second: 10,
            cpu_workers: cores,
            cpu_queue: 256,
            cpu_per_source: 16,
            purge_interval: Duration::from_secs(3600),
            throttle: ThrottleConfig::default(),
            files: FilesConfig::default(),
        }
    }
}

/// Milliseconds of a duration as the protocol's i64.
pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
