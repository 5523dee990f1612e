//! chatd on a private session bus per test (test-support's `PrivateBus`:
//! a real dbus-daemon with a config of ours, never the stock session
//! config, which would auto-activate any notification daemon installed on
//! the machine), and the command-line clients (busctl, gdbus) the tests
//! drive it with.
#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use test_support::DaemonProcess;

pub const NAME: &str = "org.securechat.Chatd1";
pub const PATH: &str = "/org/securechat/Chatd1";
pub const IFACE: &str = "org.securechat.Chatd1";

/// How long the bus, a client or a line of output may take.
pub const WAIT: Duration = Duration::from_secs(30);

/// The private bus of test-support with the clients these tests drive
/// chatd with; killed on drop.
pub struct Bus(test_support::PrivateBus);

impl std::ops::Deref for Bus {
    type Target = test_support::PrivateBus;
    fn deref(&self) -> &test_support::PrivateBus {
        &self.0
    }
}

impl Bus {
    pub fn start() -> Self {
        Self(test_support::PrivateBus::start().unwrap())
    }

    /// A bus that lets every uid connect, for tests of what chatd does with
    /// callers of another uid.
    pub fn start_open_to_all_users() -> Self {
        Self(test_support::PrivateBus::start_open_to_all_users().unwrap())
    }

    /// `busctl --address=... <args>`.
    pub fn busctl(&self, args: &[&str]) -> Output {
        run(Command::new("busctl")
            .arg(format!("--address={}", self.address))
            .args(args))
    }

    /// `busctl --json=short call <our object> <method> <signature> <args>`,
    /// parsed (null for no answer); panics with busctl's message on failure.
    pub fn busctl_call(&self, method: &str, signature: &str, args: &[&str]) -> Value {
        let mut all = vec!["--json=short", "call", NAME, PATH, IFACE, method];
        if !signature.is_empty() {
            all.push(signature);
            all.extend_from_slice(args);
        }
        let out = self.busctl(&all);
        assert!(out.status.success(), "busctl {method}: {}", stderr(&out));
        match out.stdout.is_empty() {
            true => Value::Null,
            false => serde_json::from_slice(&out.stdout).unwrap(),
        }
    }

    /// `gdbus call --address ... <our object> <method> <args>`; Ok(stdout)
    /// or Err(stderr), where errors read `GDBus.Error:<name>: <message>`.
    pub fn gdbus_call(&self, method: &str, args: &[&str]) -> Result<String, String> {
        let out = run(Command::new("gdbus")
            .args(["call", "--address", &self.address, "--dest", NAME])
            .args(["--object-path", PATH, "--method"])
            .arg(format!("{IFACE}.{method}"))
            .args(args));
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(stderr(&out))
        }
    }

    /// Whether someone owns our name.
    pub fn name_has_owner(&self) -> bool {
        let out = self.busctl(&[
            "--json=short",
            "call",
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            "s",
            NAME,
        ]);
        out.status.success()
            && serde_json::from_slice::<Value>(&out.stdout).unwrap()["data"][0] == true
    }

    /// Waits until chatd owns the name.
    pub async fn wait_for_name(&self) {
        test_support::wait_for("chatd to own org.securechat.Chatd1", WAIT, || async {
            self.name_has_owner().then_some(())
        })
        .await
        .unwrap();
    }

    /// `gdbus monitor` of our name: its lines, once it is listening.
    pub fn monitor(&self) -> Monitor {
        let mut child = Command::new("gdbus")
            .args(["monitor", "--address", &self.address, "--dest", NAME])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run gdbus; install libglib2.0-bin");
        let mut monitor = Monitor {
            lines: lines_of(child.stdout.take().unwrap()),
            child,
            seen: Vec::new(),
        };
        // Printed after the match rule is in place and the owner looked up.
        monitor.line_where("gdbus monitor to find chatd", |l| l.contains("is owned by"));
        monitor
    }
}

/// The lines of a running `gdbus monitor`; killed on drop.
pub struct Monitor {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// Every line read so far.
    pub seen: Vec<String>,
}

impl Monitor {
    /// The next line matching `pred`, waiting up to [`WAIT`] for each.
    pub fn line_where(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; saw {:#?}", self.seen));
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chatd on `bus` in `dir` against `server`.
pub async fn chatd_on(
    bus: &Bus,
    dir: &Path,
    server: &test_support::ServerProcess,
) -> DaemonProcess {
    let d = DaemonProcess::start_with_env(dir, server_args(server), bus.env())
        .await
        .expect("chatd starts");
    bus.wait_for_name().await;
    d
}

/// chatd's flags for `server`.
pub fn server_args(server: &test_support::ServerProcess) -> Vec<String> {
    vec![
        "--server".into(),
        server.addr.to_string(),
        "--server-fingerprint".into(),
        server.fingerprint.clone(),
        "--plaintext".into(),
    ]
}

/// Lines of `out` on a channel, read by a thread.
fn lines_of(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Runs a client to completion, with a deadline.
fn run(cmd: &mut Command) -> Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {cmd:?} ({e}); install the packages in .ci/packages.d/dbus.txt")
        });
    let (tx, rx) = mpsc::channel();
    let id = child.id();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(WAIT) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg(id.to_string()).status();
            panic!("{cmd:?} did not finish within {WAIT:?}");
        }
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
