//! The command line: one subcommand per scenario, each with its own knobs,
//! and `--quick` shrinking every default so a whole run takes seconds (for
//! the tests and for checking a change before a full run).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::target::Topology;

/// Load generator for chat-server: drives it over the wire protocol and
/// prints a Markdown table per scenario (stdout) plus a JSON file.
#[derive(Debug, Parser)]
#[command(name = "chat-bench", version)]
pub struct Cli {
    /// Target a running chat-server (plaintext) instead of starting one.
    /// CPU and memory columns then need --server-pid.
    #[arg(
        long,
        value_name = "ADDR",
        global = true,
        conflicts_with = "server_bin"
    )]
    pub server: Option<SocketAddr>,
    /// The running server's process id, for its CPU and memory figures.
    #[arg(long, value_name = "PID", global = true, requires = "server")]
    pub server_pid: Option<u32>,
    /// The chat-server binary to start [default: `chat-server` next to
    /// this executable, built with cargo if missing].
    #[arg(long, value_name = "PATH", global = true)]
    pub server_bin: Option<PathBuf>,
    /// The chatd binary the `e2e` scenario starts [default: `chatd` next
    /// to this executable, built with cargo if missing].
    #[arg(long, value_name = "PATH", global = true)]
    pub chatd_bin: Option<PathBuf>,
    /// Make every scenario tiny (seconds): for tests and smoke checks.
    #[arg(long, global = true)]
    pub quick: bool,
    /// Where to write the JSON report [default:
    /// target/chat-bench/<scenario>-<timestamp>.json].
    #[arg(long, value_name = "PATH", global = true)]
    pub json_out: Option<PathBuf>,
    /// The scenario to run.
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// The scenarios, in the order `all` runs them.
#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Sender/receiver pairs through the server, closed loop for the peak
    /// and open loop at fixed rates for latency, with the in-process
    /// baseline relay alongside; on one node on SQLite, or on each
    /// --topology in turn with a comparison table.
    Relay(RelayCmd),
    /// The same traffic through a minimal in-process relay only.
    Baseline(RelayArgs),
    /// Many idle logged-in connections: memory per connection, login rate,
    /// listen overflows.
    Connections(ConnectionsArgs),
    /// Many sessions drop and resume with tokens at once, while a few
    /// pairs keep chatting.
    ReconnectStorm(ConnectionsArgs),
    /// Many password logins at once at bcrypt cost 12, while a few pairs
    /// keep chatting.
    LoginStorm(LoginStormArgs),
    /// Users watching others while those log in at once.
    Presence(PresenceArgs),
    /// Two real chatd daemons through the server: `send` on one to the
    /// `message` event on the other, steady state and the first message
    /// of fresh conversations, with the daemons' CPU and memory.
    E2e(E2eArgs),
    /// Every scenario above with its defaults, on one server (login-storm
    /// on its own, at cost 12).
    All,
}

impl Scenario {
    /// The name used in reports and file names.
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::Relay(_) => "relay",
            Scenario::Baseline(_) => "baseline",
            Scenario::Connections(_) => "connections",
            Scenario::ReconnectStorm(_) => "reconnect-storm",
            Scenario::LoginStorm(_) => "login-storm",
            Scenario::Presence(_) => "presence",
            Scenario::E2e(_) => "e2e",
            Scenario::All => "all",
        }
    }
}

/// `relay`: its knobs and the servers it runs against.
#[derive(Debug, Clone, Args)]
pub struct RelayCmd {
    /// The traffic.
    #[command(flatten)]
    pub args: RelayArgs,
    /// Servers to measure, one after the other, each on a fresh database,
    /// then compared in one table: `sqlite` (one node), `postgres` (one
    /// node on a PostgreSQL cluster the bench starts), `two-nodes` (two
    /// nodes on that cluster and a nats-server, senders on node 1 and
    /// receivers on node 2), or `all`. A topology whose PostgreSQL or
    /// nats-server is not installed is skipped. Not with --server
    /// [default: sqlite].
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub topology: Option<Vec<TopologyArg>>,
}

impl RelayCmd {
    /// The topologies asked for, each once, in the order given (`all`
    /// stands for every one in its place).
    pub fn topologies(&self) -> Vec<Topology> {
        let mut out = Vec::new();
        for arg in self.topology.as_deref().unwrap_or(&[TopologyArg::Sqlite]) {
            let these: &[Topology] = match arg {
                TopologyArg::Sqlite => &[Topology::Sqlite],
                TopologyArg::Postgres => &[Topology::Postgres],
                TopologyArg::TwoNodes => &[Topology::TwoNodes],
                TopologyArg::All => &Topology::ALL,
            };
            for t in these {
                if !out.contains(t) {
                    out.push(*t);
                }
            }
        }
        out
    }
}

/// A value of `relay --topology`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TopologyArg {
    /// One chat-server on SQLite.
    Sqlite,
    /// One chat-server on PostgreSQL.
    Postgres,
    /// Two chat-servers on one PostgreSQL database and one nats-server.
    TwoNodes,
    /// All three.
    All,
}

/// Knobs of `relay` and `baseline`.
#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    /// Sender/receiver pairs (two users each) [default: 500; quick: 10].
    #[arg(long)]
    pub pairs: Option<usize>,
    /// Closed-loop windows: requests in flight per sending connection
    /// [default: 1,32; quick: 1,8].
    #[arg(long, value_delimiter = ',')]
    pub windows: Option<Vec<usize>>,
    /// Open-loop rates, messages per second over all pairs [default:
    /// 1000,2000,5000,10000; quick: 200,500].
    #[arg(long, value_delimiter = ',')]
    pub rates: Option<Vec<u64>>,
    /// Seconds each load phase runs [default: 8; quick: 1].
    #[arg(long)]
    pub duration: Option<f64>,
    /// Size of each envelope's JSON, in bytes.
    #[arg(long, default_value_t = 200)]
    pub envelope_bytes: usize,
    /// After a phase, how long the wait for accepted messages may go on
    /// without any arriving before the missing ones count as lost.
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,
    /// Skip the baseline relay (no ratio columns).
    #[arg(long)]
    pub no_baseline: bool,
}

/// Knobs of `connections` and `reconnect-storm`.
#[derive(Debug, Clone, Args)]
pub struct ConnectionsArgs {
    /// Connections [default: the open-file limit minus --fd-margin; quick: 200].
    #[arg(long)]
    pub count: Option<usize>,
    /// File descriptors left free under the limit.
    #[arg(long, default_value_t = 1000)]
    pub fd_margin: usize,
    /// Logins in flight at once while connecting [default: 512].
    #[arg(long, default_value_t = 512)]
    pub concurrency: usize,
    /// Pairs chatting during a storm, to measure connected users' latency.
    #[arg(long, default_value_t = 10)]
    pub pairs: usize,
    /// Their rate in messages per second over all pairs.
    #[arg(long, default_value_t = 200)]
    pub rate: u64,
}

/// Knobs of `login-storm`.
#[derive(Debug, Clone, Args)]
pub struct LoginStormArgs {
    /// Password logins at once [default: 200; quick: 10].
    #[arg(long)]
    pub logins: Option<usize>,
    /// bcrypt cost of the server started for this scenario.
    #[arg(long, default_value_t = 12)]
    pub bcrypt_cost: u32,
    /// Pairs chatting during the storm.
    #[arg(long, default_value_t = 10)]
    pub pairs: usize,
    /// Their rate in messages per second over all pairs.
    #[arg(long, default_value_t = 200)]
    pub rate: u64,
    /// Seconds of that traffic measured before the storm.
    #[arg(long, default_value_t = 5.0)]
    pub before: f64,
}

/// Knobs of `presence`.
#[derive(Debug, Clone, Args)]
pub struct PresenceArgs {
    /// Users: half watch, the other half log in at once [default: 2000; quick: 40].
    #[arg(long)]
    pub users: Option<usize>,
    /// Users each watcher watches [default: 20; quick: 5].
    #[arg(long)]
    pub watch: Option<usize>,
}

/// Knobs of `e2e`.
#[derive(Debug, Clone, Args)]
pub struct E2eArgs {
    /// Daemons started and signed up; the first message is measured on
    /// every pair of them, steady state on the first two [default: 5
    /// (10 conversations); quick: 2].
    #[arg(long)]
    pub daemons: Option<usize>,
    /// Closed-loop windows: messages in flight from `send` to the
    /// recipient's `message` event [default: 1,16; quick: 1,4].
    #[arg(long, value_delimiter = ',')]
    pub windows: Option<Vec<usize>>,
    /// Open-loop rates, messages per second [default: 100,300,1000;
    /// quick: 20,50].
    #[arg(long, value_delimiter = ',')]
    pub rates: Option<Vec<u64>>,
    /// Seconds each steady-state phase runs [default: 8; quick: 1].
    #[arg(long)]
    pub duration: Option<f64>,
    /// Bytes of each message's text.
    #[arg(long, default_value_t = 200)]
    pub text_bytes: usize,
    /// Local-API connections to the sender's daemon the sends are spread
    /// over (chatd answers one connection's requests in order).
    #[arg(long, default_value_t = 4)]
    pub connections: usize,
    /// After a phase, how long the wait for accepted messages may go on
    /// without any arriving before the missing ones count as lost.
    #[arg(long, default_value_t = 30.0)]
    pub drain_timeout: f64,
}
