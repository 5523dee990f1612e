//! chatd as a real child process with its own data dir and socket, and a
//! raw JSON-RPC client for its local API that writes lines like any script
//! would. Binaries are found next to the test executable's target dir
//! (`target/<profile>/`), built on demand if a test runs before them.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as TokioBufReader};
use tokio::net::UnixStream;
use tokio::net::unix::{OwnedReadHalf, OwnedWriteHalf};

use crate::wait::wait_for;

static BUILD: Mutex<()> = Mutex::new(());

/// The path of a workspace binary in the current target dir, building it
/// with cargo if it is not there yet.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> -> target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .context("no target dir")?;
    let path = dir.join(name);
    let _guard = BUILD
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !path.exists() {
        let package = match name {
            "chat" => "chat-cli",
            other => other,
        };
        let release = dir.file_name().is_some_and(|n| n == "release");
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args(["build", "-p", package, "--bin", name]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd
            .status()
            .context("cannot run cargo to build a test binary")?;
        if !status.success() || !path.exists() {
            bail!("cannot build {name}; run `cargo build -p {package}` first");
        }
    }
    Ok(path)
}

/// Extra environment for a chatd under test (desktop-integration tests
/// point it at a private D-Bus). The default changes nothing.
#[derive(Debug, Clone, Default)]
pub struct DaemonEnv {
    /// Variables to set (`RUST_LOG` among them overrides the default
    /// `info`).
    pub set: Vec<(String, String)>,
    /// Variables to remove from the inherited environment.
    pub remove: Vec<String>,
    /// Let chatd offer D-Bus; otherwise `--no-dbus` is passed.
    pub dbus: bool,
}

/// A running chatd; killed when dropped.
pub struct DaemonProcess {
    child: Option<Child>,
    args: Vec<String>,
    env: DaemonEnv,
    /// Its directory (data, config, socket, log).
    pub dir: PathBuf,
    /// Its socket.
    pub socket: PathBuf,
    log: PathBuf,
}

impl DaemonProcess {
    /// Starts chatd in `dir` against the server at `server` (plaintext,
    /// pinned to `fingerprint`).
    pub async fn start(dir: &Path, server: SocketAddr, fingerprint: &str) -> anyhow::Result<Self> {
        let args = vec![
            "--server".into(),
            server.to_string(),
            "--server-fingerprint".into(),
            fingerprint.into(),
            "--plaintext".into(),
        ];
        Self::start_with(dir, args).await
    }

    /// Starts chatd in `dir` with `args` (data dir, config and socket are
    /// added).
    pub async fn start_with(dir: &Path, args: Vec<String>) -> anyhow::Result<Self> {
        Self::start_with_env(dir, args, DaemonEnv::default()).await
    }

    /// Like [`Self::start_with`], with extra environment (and D-Bus if
    /// `env.dbus`).
    pub async fn start_with_env(
        dir: &Path,
        args: Vec<String>,
        env: DaemonEnv,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut me = Self {
            child: None,
            args,
            env,
            dir: dir.to_path_buf(),
            socket: dir.join("run/chatd.sock"),
            log: dir.join("chatd.log"),
        };
        me.spawn().await?;
        Ok(me)
    }

    async fn spawn(&mut self) -> anyhow::Result<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let mut cmd = Command::new(binary("chatd")?);
        cmd.args(&self.args)
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .arg("--config")
            .arg(self.dir.join("chatd.toml"))
            .arg("--socket")
            .arg(&self.socket)
            // Downloads without a path stay in the test's directory.
            .arg("--downloads")
            .arg(self.dir.join("downloads"));
        if !self.env.dbus {
            cmd.arg("--no-dbus");
        }
        for name in &self.env.remove {
            cmd.env_remove(name);
        }
        // `env.set` comes last, so a test may raise RUST_LOG.
        let child = cmd
            .env("RUST_LOG", "info")
            .envs(self.env.set.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("cannot start chatd")?;
        self.child = Some(child);
        let socket = self.socket.clone();
        let res = wait_for("chatd's socket to answer", Duration::from_secs(30), || {
            let socket = socket.clone();
            async move { UnixStream::connect(&socket).await.ok().map(|_| ()) }
        })
        .await;
        if res.is_err() {
            bail!("chatd did not come up; its log:\n{}", self.log_text());
        }
        Ok(())
    }

    /// The daemon's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Connects a raw local-API client.
    pub async fn client(&self) -> anyhow::Result<RpcClient> {
        RpcClient::connect(&self.socket).await
    }

    /// SIGKILL.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// SIGTERM and wait.
    pub fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let mut child = self.child.take().context("not running")?;
        Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()?;
        Ok(child.wait()?)
    }

    /// Starts it again with the same directory and flags.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        self.kill9();
        self.spawn().await
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A JSON-RPC 2.0 client that speaks raw lines.
pub struct RpcClient {
    reader: TokioBufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    next_id: u64,
    /// Notifications received while waiting for responses.
    pub events: std::collections::VecDeque<Value>,
}

/// How long one answer or event may take.
pub const RPC_TIMEOUT: Duration = Duration::from_secs(30);

impl RpcClient {
    /// Connects to a socket.
    pub async fn connect(path: &Path) -> anyhow::Result<Self> {
        let stream = UnixStream::connect(path)
            .await
            .with_context(|| format!("connect {}", path.display()))?;
        let (r, w) = stream.into_split();
        Ok(Self {
            reader: TokioBufReader::new(r),
            writer: w,
            next_id: 1,
            events: Default::default(),
        })
    }

    /// Writes raw bytes.
    pub async fn write_raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(bytes).await?;
        Ok(())
    }

    /// The next line as JSON; `None` at end of stream.
    pub async fn read_value(&mut self) -> anyhow::Result<Option<Value>> {
        let mut line = String::new();
        let n = tokio::time::timeout(RPC_TIMEOUT, self.reader.read_line(&mut line))
            .await
            .context("no line from chatd in time")??;
        if n == 0 {
            return Ok(None);
        }
        Ok(Some(
            serde_json::from_str(&line).with_context(|| format!("bad line {line:?}"))?,
        ))
    }

    /// Calls `method`; Ok(result) or Err(error object).
    pub async fn call(
        &mut self,
        method: &str,
        params: Value,
    ) -> anyhow::Result<Result<Value, Value>> {
        let id = self.next_id;
        self.next_id += 1;
        let line = json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}).to_string();
        self.write_raw(format!("{line}\n").as_bytes()).await?;
        loop {
            let Some(v) = self.read_value().await? else {
                bail!("chatd closed the connection during {method}")
            };
            if v.get("id") == Some(&json!(id)) {
                return Ok(match v.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(v["result"].clone()),
                });
            }
            if v.get("method") == Some(&json!("event")) {
                self.events.push_back(v["params"].clone());
            }
        }
    }

    /// Calls and expects success.
    pub async fn ok(&mut self, method: &str, params: Value) -> anyhow::Result<Value> {
        match self.call(method, params).await? {
            Ok(v) => Ok(v),
            Err(e) => bail!("{method} failed: {e}"),
        }
    }

    /// The next event (from the backlog first).
    pub async fn next_event(&mut self) -> anyhow::Result<Value> {
        if let Some(e) = self.events.pop_front() {
            return Ok(e);
        }
        loop {
            let Some(v) = self.read_value().await? else {
                bail!("chatd closed the connection")
            };
            if v.get("method") == Some(&json!("event")) {
                return Ok(v["params"].clone());
            }
        }
    }

    /// Waits for an event matching `pred`, skipping others.
    pub async fn event_where(
        &mut self,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> anyhow::Result<Value> {
        let deadline = tokio::time::Instant::now() + RPC_TIMEOUT;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let e = tokio::time::timeout(remaining, self.next_event())
                .await
                .with_context(|| format!("timed out waiting for {what}"))??;
            if pred(&e) {
                return Ok(e);
            }
        }
    }
}

/// Reads lines of a child's stdout until one starts with `prefix`.
pub fn read_until_prefix(out: impl std::io::Read, prefix: &str) -> Option<String> {
    BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix(prefix).map(str::to_string))
}
