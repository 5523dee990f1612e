//! Real chatd daemons for the `e2e` scenario: the shipped binary as a
//! child process, each with its own data dir, config path and socket in
//! the bench's temp dir, pointed at the server under test. The bench starts
//! them itself (rather than through test-support's `DaemonProcess`, which
//! finds binaries relative to a test executable) so that `--chatd-bin`
//! and a release build next to the bench work the same way as for the
//! server, and so that it can keep their logs at `warn`: an INFO line per
//! event would be part of what is measured.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::json;

use crate::local::Local;
use crate::procstat;

/// How long a daemon may take to answer on its socket after starting (it
/// generates an RSA identity key first).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a daemon may take to reach the server once started.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// One running chatd; killed when dropped.
pub struct Chatd {
    child: Child,
    /// Its directory (data, socket, log).
    pub dir: PathBuf,
    /// Its local API socket.
    pub socket: PathBuf,
    /// The account it holds once signed up.
    pub username: String,
}

impl Chatd {
    /// Starts `binary` in `dir` against the server at `server` (plaintext,
    /// pinned to `fingerprint` when known) and waits until its socket
    /// answers.
    pub async fn start(
        binary: &Path,
        dir: &Path,
        server: std::net::SocketAddr,
        fingerprint: Option<&str>,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let socket = dir.join("chatd.sock");
        let log = std::fs::File::create(dir.join("chatd.log"))
            .with_context(|| format!("cannot create chatd.log in {}", dir.display()))?;
        let mut cmd = Command::new(binary);
        cmd.arg("--server")
            .arg(server.to_string())
            .arg("--plaintext")
            .arg("--no-dbus")
            .arg("--data-dir")
            .arg(dir.join("data"))
            .arg("--config")
            .arg(dir.join("chatd.toml"))
            .arg("--socket")
            .arg(&socket)
            .arg("--downloads")
            .arg(dir.join("downloads"));
        if let Some(fpr) = fingerprint {
            cmd.arg("--server-fingerprint").arg(fpr);
        }
        let child = cmd
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut me = Self {
            child,
            dir: dir.to_path_buf(),
            socket,
            username: String::new(),
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = me.child.try_wait() {
                bail!("chatd exited ({status}) at start; its log:\n{}", me.log());
            }
            if tokio::net::UnixStream::connect(&me.socket).await.is_ok() {
                return Ok(me);
            }
            if started.elapsed() > START_TIMEOUT {
                bail!(
                    "chatd did not answer on {} within {START_TIMEOUT:?}; its log:\n{}",
                    me.socket.display(),
                    me.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until it is connected to the server, then signs `username` up
    /// through it (which also logs it in).
    pub async fn sign_up(&mut self, username: &str, password: &str) -> anyhow::Result<()> {
        let mut c = self.connect().await?;
        let started = Instant::now();
        loop {
            let s = c.ok("status", json!({})).await?;
            match s["state"].as_str() {
                Some("connected" | "logged_in") => break,
                _ if started.elapsed() > CONNECT_TIMEOUT => bail!(
                    "chatd in {} did not reach the server within {CONNECT_TIMEOUT:?} (status {s}); its log:\n{}",
                    self.dir.display(),
                    self.log()
                ),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        c.ok(
            "signup",
            json!({"username": username, "password": password}),
        )
        .await
        .with_context(|| format!("signing {username} up through chatd"))?;
        self.username = username.to_string();
        Ok(())
    }

    /// A new local-API connection.
    pub async fn connect(&self) -> anyhow::Result<Local> {
        Local::connect(&self.socket).await
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its CPU time so far, in microseconds.
    pub fn cpu_us(&self) -> Option<u64> {
        procstat::cpu_us(self.pid(), None)
    }

    /// Its (RSS, high-water mark) in KiB.
    pub fn memory_kib(&self) -> Option<(u64, u64)> {
        procstat::memory_kib(self.pid())
    }

    /// Its log so far (warnings and errors only).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("chatd.log")).unwrap_or_default()
    }
}

impl Drop for Chatd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
