//! The servers under test, in one of three topologies: one node on SQLite
//! (the default; or one given with --server), one node on PostgreSQL, or
//! two nodes sharing one PostgreSQL database and one nats-server, laid
//! out as docs/DEPLOY.md "Several nodes" describes. The bench starts its
//! own by default (through test-support's `ServerProcess`, `Postgres` and
//! `Nats`, in temp dirs, plaintext on loopback) so that a run from a fresh
//! clone needs one command and measures a fresh database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use test_support::{Nats, Postgres, ServerProcess};

use crate::cli::Cli;
use crate::procstat;
use crate::traffic::Probe;

/// Flags that keep the server's abuse limits out of the way of a load that
/// is many clients on one machine: each limit stays on, set above what the
/// scenarios need, so the numbers show capacity rather than a throttle.
fn load_flags(max_connections: usize) -> Vec<String> {
    [
        ("--max-connections", max_connections.to_string()),
        ("--signups-per-source", "1000000".to_string()),
    ]
    .into_iter()
    .flat_map(|(k, v)| [k.to_string(), v])
    .collect()
}

/// How the servers under test are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// One chat-server on its SQLite file.
    Sqlite,
    /// One chat-server on a PostgreSQL database.
    Postgres,
    /// Two chat-servers on one PostgreSQL database and one nats-server.
    TwoNodes,
}

impl Topology {
    /// Every topology, in the order a comparison runs them.
    pub const ALL: [Topology; 3] = [Topology::Sqlite, Topology::Postgres, Topology::TwoNodes];

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Topology::Sqlite => "sqlite",
            Topology::Postgres => "postgres",
            Topology::TwoNodes => "two-nodes",
        }
    }

    /// What runs, for tables.
    pub fn servers(self) -> &'static str {
        match self {
            Topology::Sqlite => "1 chat-server, SQLite",
            Topology::Postgres => "1 chat-server, PostgreSQL",
            Topology::TwoNodes => "2 chat-servers, PostgreSQL + NATS",
        }
    }
}

/// PostgreSQL and nats-server for the topologies that need them: started
/// once per run, on first need, and shared (each topology gets a fresh
/// database). What cannot start (not installed) is kept as the reason to
/// skip the topologies that need it.
#[derive(Default)]
pub struct Services {
    postgres: Option<Result<Postgres, String>>,
    nats: Option<Result<Nats, String>>,
}

impl Services {
    /// Starts what `topology` needs (blocking: initdb takes seconds) and
    /// returns why it cannot run here, if it cannot.
    pub fn prepare(&mut self, topology: Topology) -> Option<String> {
        let pg = matches!(topology, Topology::Postgres | Topology::TwoNodes);
        if pg && let Err(e) = self.postgres() {
            return Some(e.clone());
        }
        if topology == Topology::TwoNodes
            && let Err(e) = self.nats()
        {
            return Some(e.clone());
        }
        None
    }

    fn postgres(&mut self) -> &Result<Postgres, String> {
        self.postgres.get_or_insert_with(|| {
            crate::progress("starting a PostgreSQL cluster");
            Postgres::start().map_err(|e| format!("{e:#}"))
        })
    }

    fn nats(&mut self) -> &Result<Nats, String> {
        self.nats.get_or_insert_with(|| {
            crate::progress("starting nats-server");
            Nats::start().map_err(|e| format!("{e:#}"))
        })
    }
}

/// One chat-server process.
enum Node {
    /// Started by us; killed when dropped.
    Own(Box<ServerProcess>),
    /// Given with --server.
    External {
        /// Where it listens.
        addr: SocketAddr,
        /// Its pid, when given.
        pid: Option<u32>,
    },
}

impl Node {
    fn addr(&self) -> SocketAddr {
        match self {
            Node::Own(s) => s.addr,
            Node::External { addr, .. } => *addr,
        }
    }

    fn pid(&self) -> Option<u32> {
        match self {
            Node::Own(s) => Some(s.pid()),
            Node::External { pid, .. } => *pid,
        }
    }
}

/// The servers to measure: one node, or the nodes of a cluster.
pub struct Target {
    /// `None` for a server given with --server.
    topology: Option<Topology>,
    /// Node 1 first.
    nodes: Vec<Node>,
    /// Roots of the process trees of the services under the nodes
    /// (the postmaster, nats-server).
    service_pids: Vec<u32>,
}

impl Target {
    /// Starts one node on SQLite (or takes the one given with --server)
    /// with bcrypt cost `cost`.
    pub fn start(cli: &Cli, cost: u32, max_connections: usize) -> anyhow::Result<Self> {
        if let Some(addr) = cli.server {
            return Ok(Target {
                topology: None,
                nodes: vec![Node::External {
                    addr,
                    pid: cli.server_pid,
                }],
                service_pids: Vec::new(),
            });
        }
        let node = start_node(cli, cost, max_connections, &[])?;
        Ok(Target {
            topology: Some(Topology::Sqlite),
            nodes: vec![node],
            service_pids: Vec::new(),
        })
    }

    /// Starts `topology` on `services` (after [`Services::prepare`] said
    /// yes), on a fresh database. Blocking.
    pub fn start_topology(
        cli: &Cli,
        topology: Topology,
        services: &Services,
        cost: u32,
        max_connections: usize,
    ) -> anyhow::Result<Self> {
        let pg = || match &services.postgres {
            Some(Ok(pg)) => Ok(pg),
            _ => Err(anyhow::anyhow!("PostgreSQL is not running")),
        };
        let (nodes, service_pids) = match topology {
            Topology::Sqlite => (vec![start_node(cli, cost, max_connections, &[])?], vec![]),
            Topology::Postgres => {
                let pg = pg()?;
                let store = pg.database()?;
                let node = start_node(cli, cost, max_connections, &["--store", &store])?;
                (vec![node], pg.server_pid().into_iter().collect())
            }
            Topology::TwoNodes => {
                let pg = pg()?;
                let Some(Ok(nats)) = &services.nats else {
                    bail!("nats-server is not running");
                };
                let store = pg.database()?;
                let cluster = ["--store", &store, "--bus", &nats.url()].map(str::to_owned);
                let cluster: Vec<&str> = cluster.iter().map(String::as_str).collect();
                let first = start_node(cli, cost, max_connections, &cluster)?;
                // Every node of a cluster has the same key (DEPLOY.md).
                let key = match &first {
                    Node::Own(s) => s.data_dir().join("server_privkey.pem"),
                    Node::External { .. } => bail!("a cluster is always started by the bench"),
                };
                let key = key.to_string_lossy().into_owned();
                let mut second_args = cluster.clone();
                second_args.extend(["--key", &key]);
                let second = start_node(cli, cost, max_connections, &second_args)?;
                let pids = pg.server_pid().into_iter().chain(nats.pid()).collect();
                (vec![first, second], pids)
            }
        };
        Ok(Target {
            topology: Some(topology),
            nodes,
            service_pids,
        })
    }

    /// Its topology's name ("external" for a server given with --server).
    pub fn name(&self) -> &'static str {
        self.topology.map_or("external", Topology::name)
    }

    /// What runs, for tables.
    pub fn servers(&self) -> &'static str {
        self.topology
            .map_or("1 chat-server given with --server", Topology::servers)
    }

    /// Where node 1 listens: senders, and every user of the single-node
    /// scenarios, log in there.
    pub fn addr(&self) -> SocketAddr {
        self.nodes[0].addr()
    }

    /// Where receivers log in: the last node, so that with two nodes every
    /// message crosses from node 1 to node 2.
    pub fn rx_addr(&self) -> SocketAddr {
        self.nodes.last().map_or_else(|| self.addr(), Node::addr)
    }

    /// How the relay's pairs are split over the nodes.
    pub fn pairs_split(&self) -> &'static str {
        if self.nodes.len() > 1 {
            "senders on node 1, receivers on node 2"
        } else {
            "all on one node"
        }
    }

    /// Node 1's process id, when known.
    pub fn pid(&self) -> Option<u32> {
        self.nodes[0].pid()
    }

    /// Node 1's key's fingerprint, for daemons to pin (unknown for a
    /// server given with --server: daemons then trust it on first use).
    pub fn fingerprint(&self) -> Option<&str> {
        match &self.nodes[0] {
            Node::Own(s) => Some(&s.fingerprint),
            Node::External { .. } => None,
        }
    }

    /// CPU time of every node so far, in microseconds.
    pub fn cpu_us(&self) -> Option<u64> {
        self.nodes
            .iter()
            .map(|n| procstat::cpu_us(n.pid()?, None))
            .sum()
    }

    /// Node 1's (RSS, high-water mark) in KiB.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        procstat::memory_kib(self.pid()?)
    }

    /// Every node's (RSS, high-water mark) in KiB, node 1 first.
    pub fn nodes_memory_kib(&self) -> Vec<Option<(u64, u64)>> {
        self.nodes
            .iter()
            .map(|n| procstat::memory_kib(n.pid()?))
            .collect()
    }
}

impl Probe for Target {
    fn cpu_us(&self) -> Option<u64> {
        Target::cpu_us(self)
    }

    fn services_cpu_us(&self) -> Option<u64> {
        if self.service_pids.is_empty() {
            return None;
        }
        self.service_pids
            .iter()
            .map(|&pid| procstat::tree_cpu_us(pid))
            .sum()
    }

    fn rss_pids(&self) -> Vec<u32> {
        self.nodes.iter().filter_map(Node::pid).collect()
    }
}

/// Starts one chat-server with the load flags and `extra`.
fn start_node(
    cli: &Cli,
    cost: u32,
    max_connections: usize,
    extra: &[&str],
) -> anyhow::Result<Node> {
    let binary = match &cli.server_bin {
        Some(p) => p.clone(),
        None => server_binary()?,
    };
    let mut args = vec!["--bcrypt-cost".to_string(), cost.to_string()];
    args.extend(load_flags(max_connections));
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProcess::start(&binary, &args)
        .with_context(|| format!("starting {}", binary.display()))?;
    crate::progress(format!(
        "started {} (pid {}) on {} in {}, bcrypt cost {cost} {}",
        binary.display(),
        server.pid(),
        server.addr,
        server.data_dir().display(),
        extra.join(" ")
    ));
    Ok(Node::Own(Box::new(server)))
}

/// `chat-server` next to this executable, built if missing.
fn server_binary() -> anyhow::Result<PathBuf> {
    sibling_binary("chat-server", "--server-bin")
}

/// A workspace binary `name` next to this executable (target/<profile>/),
/// built with cargo in the same profile when it is not there: `cargo run
/// -p chat-bench` builds only the bench. `flag` names the option that
/// passes another binary instead.
pub fn sibling_binary(name: &str, flag: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let dir = exe
        .parent()
        .context("the bench's executable has no directory")?;
    let path = dir.join(name);
    if path.exists() {
        return Ok(path);
    }
    build(dir, name)?;
    if !path.exists() {
        bail!(
            "no {name} at {}; build it with `cargo build --release -p {name}` or pass {flag}",
            path.display()
        );
    }
    Ok(path)
}

fn build(dir: &Path, name: &str) -> anyhow::Result<()> {
    let release = dir.file_name().is_some_and(|n| n == "release");
    crate::progress(format!(
        "building {name} ({})",
        if release { "release" } else { "debug" }
    ));
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "-p", name, "--bin", name]);
    if release {
        cmd.arg("--release");
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot run cargo to build {name}"))?;
    if !status.success() {
        bail!("building {name} failed; run `cargo build --release -p {name}` and retry");
    }
    Ok(())
}
