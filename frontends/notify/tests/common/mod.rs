//! A private desktop for chat-notify's tests: on test-support's private
//! bus (nothing installed on the machine is activated), Xvfb on a free
//! display and dunst as the notification server, plus chat-notify itself
//! as a child process. Every process is killed when its guard drops.
#![allow(
    dead_code,
    unused_imports,
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
pub use test_support::{DaemonProcess, PrivateBus, RpcClient, ServerProcess, World, wait_for};

/// How long any one named wait may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// A child process killed (SIGKILL) and reaped on drop.
pub struct Guard {
    pub child: Child,
    name: &'static str,
}

impl Guard {
    pub fn new(name: &'static str, child: Child) -> Self {
        Self { child, name }
    }

    /// Still running?
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.name;
    }
}

/// Tools the tests run, with the package that has them (see
/// .ci/packages.d/desktop.txt).
pub fn require(tool: &str, package: &str) {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "{tool} is not installed; `apt-get install {package}` (every package these tests need \
         is listed in .ci/packages.d/desktop.txt)"
    );
}

/// Reads the first line a child prints on stdout, with a deadline.
fn first_line(child: &mut Child, what: &str) -> anyhow::Result<String> {
    let stdout = child.stdout.take().context("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(WAIT)
        .with_context(|| format!("{what} printed nothing within {WAIT:?}"))?;
    if line.trim().is_empty() {
        bail!("{what} exited before it was ready");
    }
    Ok(line.trim().to_string())
}

/// Xvfb and dunst on a bus: a real notification server.
pub struct NotificationServer {
    _dunst: Guard,
    _xvfb: Guard,
    bus: String,
}

impl NotificationServer {
    /// Starts Xvfb on a free display and dunst on it and on `bus`.
    pub async fn start(dir: &Path, bus: &PrivateBus) -> Self {
        require("Xvfb", "xvfb");
        require("dunst", "dunst");
        require("dunstctl", "dunst");
        require("busctl", "systemd");
        let xvfb = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "800x600x24",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut xvfb = Guard::new("Xvfb", xvfb);
        let display = first_line(&mut xvfb.child, "Xvfb").unwrap();
        let rc = dir.join("dunstrc");
        std::fs::write(
            &rc,
            "[global]\n    history_length = 100\n    notification_limit = 0\n",
        )
        .unwrap();
        let dunst = Command::new("dunst")
            .arg("-config")
            .arg(&rc)
            .env("DISPLAY", format!(":{display}"))
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file(&dir.join("dunst.log")))
            .spawn()
            .unwrap();
        let me = Self {
            _dunst: Guard::new("dunst", dunst),
            _xvfb: xvfb,
            bus: bus.address.clone(),
        };
        let bus = me.bus.clone();
        wait_for("dunst to take its name on the bus", WAIT, || {
            let bus = bus.clone();
            async move { dunstctl(&bus, &["count"]).ok().map(|_| ()) }
        })
        .await
        .unwrap();
        me
    }

    /// Every notification dunst has shown, as (summary, body), oldest
    /// first. Open ones are closed first: dunst keeps only closed ones in
    /// its history.
    pub fn history(&self) -> Vec<(String, String)> {
        dunstctl(&self.bus, &["close-all"]).unwrap();
        let text = dunstctl(&self.bus, &["history"]).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        let mut notes: Vec<(i64, String, String)> = v["data"][0]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|n| {
                (
                    n["id"]["data"].as_i64().unwrap_or_default(),
                    n["summary"]["data"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    n["body"]["data"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        notes.sort_by_key(|n| n.0);
        notes.into_iter().map(|(_, s, b)| (s, b)).collect()
    }

    /// Waits until a notification with exactly this summary and body was
    /// shown, and returns the whole history then.
    pub async fn wait_for_note(&self, summary: &str, body: &str) -> Vec<(String, String)> {
        let want = (summary.to_string(), body.to_string());
        wait_for(&format!("a notification {want:?}"), WAIT, || {
            let history = self.history();
            let found = history.contains(&want);
            async move { found.then_some(history) }
        })
        .await
        .unwrap()
    }
}

impl NotificationServer {
    /// Waits until a notification with this summary was shown, and returns
    /// the whole history then.
    pub async fn wait_for_summary(&self, summary: &str) -> Vec<(String, String)> {
        wait_for(&format!("a notification {summary:?}"), WAIT, || {
            let history = self.history();
            let found = history.iter().any(|(s, _)| s == summary);
            async move { found.then_some(history) }
        })
        .await
        .unwrap()
    }
}

/// Runs dunstctl against `bus`; its stdout on success.
fn dunstctl(bus: &str, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("dunstctl")
        .args(args)
        .env("DBUS_SESSION_BUS_ADDRESS", bus)
        .output()?;
    if !out.status.success() {
        bail!(
            "dunstctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn log_file(path: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// chat-notify as a child process for the daemon in `daemon`.
pub struct Notify {
    pub guard: Guard,
    pub log: PathBuf,
    pub state_file: PathBuf,
}

impl Notify {
    /// Starts chat-notify for `daemon` on the bus at `bus` (any address,
    /// even one nobody listens on), with `extra` flags, and waits until it
    /// has subscribed.
    pub async fn start(daemon: &DaemonProcess, name: &str, bus: &str, extra: &[&str]) -> Self {
        let log = daemon.dir.join(format!("{name}.log"));
        let state_file = daemon.dir.join(format!("{name}.seq"));
        let child = Command::new(env!("CARGO_BIN_EXE_chat-notify"))
            .arg("--socket")
            .arg(&daemon.socket)
            .arg("--config")
            .arg(daemon.dir.join("chatd.toml"))
            .arg("--state-file")
            .arg(&state_file)
            .args(extra)
            .env("DBUS_SESSION_BUS_ADDRESS", bus)
            .env("RUST_LOG", "chat_notify=debug,info")
            .env_remove("CHATD_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file(&log))
            .spawn()
            .unwrap();
        let me = Self {
            guard: Guard::new("chat-notify", child),
            log,
            state_file,
        };
        me.wait_log("chat-notify to attach to chatd", "attached to chatd", 1)
            .await;
        me
    }

    /// Its log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `needle` occurs `times` times in the log.
    pub async fn wait_log(&self, what: &str, needle: &str, times: usize) {
        let res = wait_for(what, WAIT, || {
            let n = self.log_text().matches(needle).count();
            async move { (n >= times).then_some(()) }
        })
        .await;
        if let Err(e) = res {
            panic!("{e}; chat-notify's log:\n{}", self.log_text());
        }
    }

    /// Waits until the state file holds at least `seq`.
    pub async fn wait_seq(&self, seq: u64) {
        let path = self.state_file.clone();
        let res = wait_for(&format!("chat-notify to handle event {seq}"), WAIT, || {
            let got = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse::<u64>().ok());
            async move { got.filter(|g| *g >= seq).map(|_| ()) }
        })
        .await;
        if let Err(e) = res {
            panic!("{e}; chat-notify's log:\n{}", self.log_text());
        }
    }
}

/// Waits for the message event of `text` on `c` (subscribed) and returns
/// its seq.
pub async fn message_seq(c: &mut RpcClient, text: &str) -> u64 {
    let text = text.to_string();
    let e = c
        .event_where(&format!("the message {text:?}"), move |e| {
            e["type"] == "message" && e["message"]["text"] == text.as_str()
        })
        .await
        .unwrap();
    e["seq"].as_u64().unwrap()
}
