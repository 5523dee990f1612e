//! chat-server as a real child process in a temp dir. The binary's path is
//! given by the caller (`env!("CARGO_BIN_EXE_chat-server")` in the server's
//! own tests), so this crate does not depend on the server.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, bail};

/// A running chat-server process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    binary: PathBuf,
    args: Vec<String>,
    data_dir: PathBuf,
    log_filter: String,
    _temp: Option<tempfile::TempDir>,
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its key's fingerprint as it printed it.
    pub fingerprint: String,
}

impl ServerProcess {
    /// Starts the server in a fresh temp dir, plaintext on loopback with
    /// bcrypt cost 4, plus `extra` flags.
    pub fn start(binary: &Path, extra: &[&str]) -> anyhow::Result<Self> {
        Self::start_logging(binary, extra, "warn")
    }

    /// Like [`Self::start`], logging with the `RUST_LOG` filter `filter`
    /// (e.g. `trace`) to `server.log` in its data dir.
    pub fn start_logging(binary: &Path, extra: &[&str], filter: &str) -> anyhow::Result<Self> {
        let temp = tempfile::tempdir()?;
        let dir = temp.path().to_path_buf();
        let mut args = vec!["--plaintext".to_string()];
        if !extra.contains(&"--bcrypt-cost") {
            args.extend(["--bcrypt-cost".to_string(), "4".to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut me = Self::spawn(binary, &dir, &args, "127.0.0.1:0", filter)?;
        me._temp = Some(temp);
        Ok(me)
    }

    /// Starts with exactly `args` (no defaults) in `data_dir`.
    pub fn start_with(
        binary: &Path,
        data_dir: &Path,
        args: &[&str],
        listen: &str,
    ) -> anyhow::Result<Self> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        Self::spawn(binary, data_dir, &args, listen, "warn")
    }

    fn spawn(
        binary: &Path,
        data_dir: &Path,
        args: &[String],
        listen: &str,
        log_filter: &str,
    ) -> anyhow::Result<Self> {
        let mut child = Command::new(binary)
            .args(args)
            .arg("--listen")
            .arg(listen)
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", log_filter)
            .stdout(Stdio::piped())
            .stderr(server_log(data_dir))
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut addr = None;
        let mut fingerprint = None;
        while addr.is_none() || fingerprint.is_none() {
            let line = match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(l) => l,
                Err(_) => {
                    let _ = child.kill();
                    bail!("chat-server did not announce its address within 30 s");
                }
            };
            if let Some(rest) = line.strip_prefix("Server Listening on address ") {
                let (host, port) = rest.split_once(" port ").context("listening line")?;
                addr = Some(SocketAddr::new(host.parse()?, port.trim().parse()?));
            } else if let Some(f) = line.strip_prefix("Server fingerprint ") {
                fingerprint = Some(f.trim().to_string());
            }
        }
        Ok(Self {
            child,
            binary: binary.to_path_buf(),
            args: args.to_vec(),
            data_dir: data_dir.to_path_buf(),
            log_filter: log_filter.to_string(),
            _temp: None,
            addr: addr.context("address")?,
            fingerprint: fingerprint.context("fingerprint")?,
        })
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits for the exit status.
    pub fn terminate(&mut self) -> anyhow::Result<std::process::ExitStatus> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        Ok(self.child.wait()?)
    }

    /// Kills the process with SIGKILL and starts it again on the same data
    /// dir and the same port.
    pub fn kill9_and_restart(&mut self) -> anyhow::Result<()> {
        self.kill9();
        let listen = self.addr.to_string();
        let mut again = Self::spawn(
            &self.binary,
            &self.data_dir,
            &self.args,
            &listen,
            &self.log_filter,
        )?;
        std::mem::swap(&mut self.child, &mut again.child);
        self.addr = again.addr;
        self.fingerprint = again.fingerprint.clone();
        Ok(())
    }
}

/// The server's stderr goes to `server.log` in its data dir (appended
/// across restarts), keeping test output readable.
fn server_log(data_dir: &Path) -> Stdio {
    let _ = std::fs::create_dir_all(data_dir);
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data_dir.join("server.log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
