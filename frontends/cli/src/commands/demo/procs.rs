//! The demo's child processes: started with their output going to log
//! files in the temp dir, killed when the demo ends however it ends (the
//! guard kills on drop too, for panics), and their logs shown on failure.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How long the server may take to announce its address (it may generate
/// its TLS key first).
const SERVER_START: Duration = Duration::from_secs(30);
/// How long a killed child may take to be reaped.
const REAP: Duration = Duration::from_secs(5);
/// Log lines shown per process when the demo fails.
const LOG_TAIL: usize = 15;

/// Where the server listens and the key it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServerInfo {
    /// `host:port`.
    pub(crate) addr: String,
    /// 64 hex characters.
    pub(crate) fingerprint: String,
}

/// One daemon's paths.
#[derive(Debug, Clone)]
pub(crate) struct DaemonPaths {
    /// Its local API socket.
    pub(crate) socket: PathBuf,
}

struct Proc {
    name: String,
    child: Child,
    log: PathBuf,
}

/// The running children; killed on drop.
#[derive(Default)]
pub(crate) struct Children {
    procs: Vec<Proc>,
}

impl Drop for Children {
    fn drop(&mut self) {
        for p in &mut self.procs {
            let _ = p.child.start_kill();
        }
    }
}

impl Children {
    /// Starts `chat-server` on a port the OS picks, with TLS, and reads the
    /// address and fingerprint it announces on stdout.
    pub(crate) async fn start_server(
        &mut self,
        binary: &Path,
        data_dir: &Path,
        log: &Path,
    ) -> anyhow::Result<ServerInfo> {
        let mut cmd = Command::new(binary);
        cmd.arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            // Plain logs in the file (tracing honours NO_COLOR).
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file(log)?);
        let index = self.spawn("chat-server", cmd, log)?;
        let stdout = self.procs[index]
            .child
            .stdout
            .take()
            .context("chat-server's stdout was not captured")?;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + SERVER_START;
        let (mut addr, mut fingerprint) = (None, None);
        while addr.is_none() || fingerprint.is_none() {
            let line = match tokio::time::timeout_at(deadline, lines.next_line()).await {
                Err(_) => anyhow::bail!(
                    "chat-server did not announce its address within {} s",
                    SERVER_START.as_secs()
                ),
                Ok(Ok(Some(line))) => line,
                Ok(Ok(None)) | Ok(Err(_)) => {
                    let status = self.procs[index].child.wait().await.ok();
                    anyhow::bail!("chat-server stopped before it was ready ({})", exit(status));
                }
            };
            if let Some(a) = parse_listening(&line) {
                addr = Some(a);
            } else if let Some(f) = parse_fingerprint(&line) {
                fingerprint = Some(f);
            }
        }
        // Keep reading, so the server never writes into a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(ServerInfo {
            addr: addr.context("no address")?,
            fingerprint: fingerprint.context("no fingerprint")?,
        })
    }

    /// Starts `chatd` for `name` with everything under `home`, pinned to
    /// the server's fingerprint, without D-Bus.
    pub(crate) fn start_daemon(
        &mut self,
        binary: &Path,
        name: &str,
        home: &Path,
        server: &ServerInfo,
    ) -> anyhow::Result<DaemonPaths> {
        std::fs::create_dir_all(home)
            .with_context(|| format!("cannot create {}", home.display()))?;
        let socket = home.join("chatd.sock");
        let log = home.join("chatd.log");
        let mut cmd = Command::new(binary);
        cmd.arg("--server")
            .arg(&server.addr)
            .arg("--server-fingerprint")
            .arg(&server.fingerprint)
            .arg("--data-dir")
            .arg(home.join("data"))
            .arg("--config")
            .arg(home.join("chatd.toml"))
            .arg("--socket")
            .arg(&socket)
            .arg("--no-dbus")
            // Our own socket override must not leak into the daemon.
            .env_remove(chatd_api::paths::SOCKET_ENV)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(log_file(&log)?)
            .stderr(log_file(&log)?);
        self.spawn(&format!("{name}'s chatd"), cmd, &log)?;
        Ok(DaemonPaths { socket })
    }

    fn spawn(&mut self, name: &str, mut cmd: Command, log: &Path) -> anyhow::Result<usize> {
        cmd.kill_on_drop(true);
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot start {name}"))?;
        self.procs.push(Proc {
            name: name.to_string(),
            child,
            log: log.to_path_buf(),
        });
        Ok(self.procs.len() - 1)
    }

    /// Fails if the process called `name` has exited: a wait for it would
    /// only time out.
    pub(crate) fn check_alive(&mut self, name: &str) -> anyhow::Result<()> {
        for p in &mut self.procs {
            if p.name == name
                && let Ok(Some(status)) = p.child.try_wait()
            {
                anyhow::bail!(
                    "{name} stopped ({}); its log is shown above",
                    exit(Some(status))
                );
            }
        }
        Ok(())
    }

    /// Kills every child and waits for each to be gone.
    pub(crate) async fn shutdown(&mut self) -> usize {
        for p in &mut self.procs {
            let _ = p.child.start_kill();
        }
        for p in &mut self.procs {
            let _ = tokio::time::timeout(REAP, p.child.wait()).await;
        }
        let n = self.procs.len();
        self.procs.clear();
        n
    }

    /// The last lines of every child's log, for a failure report.
    pub(crate) fn log_tails(&self) -> String {
        let mut out = String::new();
        for p in &self.procs {
            let text = std::fs::read_to_string(&p.log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(LOG_TAIL)..];
            out.push_str(&format!("--- {} ({}) ---\n", p.name, p.log.display()));
            if tail.is_empty() {
                out.push_str("(empty)\n");
            }
            for line in tail {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

fn log_file(path: &Path) -> anyhow::Result<Stdio> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot create the log {}", path.display()))?;
    Ok(Stdio::from(file))
}

fn exit(status: Option<ExitStatus>) -> String {
    match status {
        Some(s) => s.to_string(),
        None => "exit status unknown".to_string(),
    }
}

/// `Server Listening on address <host> port <port>` → `host:port`.
pub(crate) fn parse_listening(line: &str) -> Option<String> {
    let rest = line.trim().strip_prefix("Server Listening on address ")?;
    let (host, port) = rest.split_once(" port ")?;
    let port: u16 = port.trim().parse().ok()?;
    if host.contains(':') {
        Some(format!("[{host}]:{port}"))
    } else {
        Some(format!("{host}:{port}"))
    }
}

/// `Server fingerprint <64 hex>` → the hex.
pub(crate) fn parse_fingerprint(line: &str) -> Option<String> {
    let f = line.trim().strip_prefix("Server fingerprint ")?.trim();
    (f.len() == 64 && f.bytes().all(|b| b.is_ascii_hexdigit())).then(|| f.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_announcement_parses() {
        assert_eq!(
            parse_listening("Server Listening on address 127.0.0.1 port 40123"),
            Some("127.0.0.1:40123".into())
        );
        assert_eq!(
            parse_listening("Server Listening on address ::1 port 7"),
            Some("[::1]:7".into())
        );
        assert_eq!(
            parse_listening("Server Listening on address x port y"),
            None
        );
        let hex = "ab".repeat(32);
        assert_eq!(
            parse_fingerprint(&format!("Server fingerprint {hex}\n")),
            Some(hex.clone())
        );
        assert_eq!(parse_fingerprint("Server fingerprint abc"), None);
        assert_eq!(parse_fingerprint(&hex), None);
    }

    #[tokio::test]
    async fn a_child_that_dies_is_noticed_and_logs_are_shown() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("x.log");
        std::fs::write(&log, "one\ntwo\n").expect("log");
        let mut children = Children::default();
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("exit 3");
        children.spawn("x", cmd, &log).expect("spawn");
        let err = crate::commands::demo::wait::until("x dies", Duration::from_secs(10), || {
            let alive = children.check_alive("x");
            async move { alive.map(|()| None::<()>) }
        })
        .await
        .expect_err("x died");
        assert!(
            err.to_string().starts_with("x stopped (exit status: 3)"),
            "{err}"
        );
        assert!(children.log_tails().ends_with("one\ntwo\n"));
        assert_eq!(children.shutdown().await, 1);
    }
}
