//! The server under test: one the bench starts itself (through
//! test-support's `ServerProcess`, in a temp dir, plaintext on loopback)
//! or one given with --server. Starting our own is the default so that a
//! run from a fresh clone needs one command and measures a fresh database.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use test_support::ServerProcess;

use crate::cli::Cli;
use crate::procstat;

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

/// A server to measure.
pub enum Target {
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

impl Target {
    /// Starts a server (or takes the one given) with bcrypt cost `cost`.
    pub fn start(cli: &Cli, cost: u32, max_connections: usize) -> anyhow::Result<Self> {
        if let Some(addr) = cli.server {
            return Ok(Target::External {
                addr,
                pid: cli.server_pid,
            });
        }
        let binary = match &cli.server_bin {
            Some(p) => p.clone(),
            None => server_binary()?,
        };
        let mut args = vec!["--bcrypt-cost".to_string(), cost.to_string()];
        args.extend(load_flags(max_connections));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = ServerProcess::start(&binary, &args)
            .with_context(|| format!("starting {}", binary.display()))?;
        crate::progress(format!(
            "started {} (pid {}) on {} in {}, bcrypt cost {cost}",
            binary.display(),
            server.pid(),
            server.addr,
            server.data_dir().display()
        ));
        Ok(Target::Own(Box::new(server)))
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        match self {
            Target::Own(s) => s.addr,
            Target::External { addr, .. } => *addr,
        }
    }

    /// Its process id, when known.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Target::Own(s) => Some(s.pid()),
            Target::External { pid, .. } => *pid,
        }
    }

    /// Its key's fingerprint, for daemons to pin (unknown for a server
    /// given with --server: daemons then trust it on first use).
    pub fn fingerprint(&self) -> Option<&str> {
        match self {
            Target::Own(s) => Some(&s.fingerprint),
            Target::External { .. } => None,
        }
    }

    /// Its CPU time so far, in microseconds.
    pub fn cpu_us(&self) -> Option<u64> {
        procstat::cpu_us(self.pid()?, None)
    }

    /// Its (RSS, high-water mark) in KiB.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        procstat::memory_kib(self.pid()?)
    }
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
