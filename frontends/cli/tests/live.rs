//! The built `chat` binary against a real chat-server and real chatd
//! processes (test-support's World): what only the whole system shows, such
//! as a chatd killed under `chat watch`, or a server that went away under
//! `chat status`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use test_support::World;
use test_support::wait;

const CHAT: &str = env!("CARGO_BIN_EXE_chat");

/// Runs `chat --socket SOCKET ARGS` with `stdin` and no terminal.
fn chat(socket: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(CHAT)
        .arg("--socket")
        .arg(socket)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chat");
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait for chat")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A long-running `chat` (watch) whose output lines are collected as they
/// come; killed on drop.
struct Running {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Running {
    fn start(socket: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(CHAT)
            .arg("--socket")
            .arg(socket)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run chat");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// Waits for a line containing `needle` on stderr (`err`) or stdout.
    fn wait_line(&self, err: bool, needle: &str) {
        let lines = if err { &self.stderr } else { &self.stdout };
        wait::until(&format!("chat to print {needle:?}"), || {
            let lines = lines.lock().unwrap();
            match lines.iter().any(|l| l.contains(needle)) {
                true => Ok(()),
                false => Err(format!("so far: {lines:?}")),
            }
        });
    }

    /// How many stderr lines contain `needle`.
    fn stderr_count(&self, needle: &str) -> usize {
        let lines = self.stderr.lock().unwrap();
        lines.iter().filter(|l| l.contains(needle)).count()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(out: impl Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_waits_for_chatd_to_come_back_saying_so_once() {
    let world = World::new();
    let (mut alice, _a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    let mut watch = Running::start(&alice.socket, &["watch"]);
    watch.wait_line(true, "Watching chatd's events");
    alice.kill9();
    watch.wait_line(true, "chatd went away");
    wait::elapse(
        Duration::from_secs(2),
        "several attempts to reattach while chatd is down, none of them printed",
    )
    .await;
    assert!(
        watch.child.try_wait().unwrap().is_none(),
        "chat watch ended when chatd went away"
    );
    alice.restart().await.unwrap();
    watch.wait_line(true, "chatd is back");
    b.ok("send", json!({"to": "alice", "text": "after the restart"}))
        .await
        .unwrap();
    watch.wait_line(false, "bob → you: after the restart");
    assert_eq!(watch.stderr_count("went away"), 1, "{:?}", watch.stderr);
    assert_eq!(watch.stderr_count("is back"), 1, "{:?}", watch.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_says_the_server_is_unreachable_and_why_not_logged_out() {
    let mut world = World::new();
    let (alice, mut a) = world.user("alice").await;
    world.server.kill9();
    wait::until_async("alice's chatd to say why it is offline", async || {
        let s = a.ok("status", json!({})).await.unwrap();
        match s["error"].is_string() {
            true => Ok(()),
            false => Err(s.to_string()),
        }
    })
    .await;
    let out = chat(&alice.socket, &["status"], "");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let row = |label: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {label} row in:\n{stdout}"))
            .to_string()
    };
    assert!(
        ["offline", "connecting"].contains(&row("state ").as_str()),
        "{stdout}"
    );
    assert!(
        row("reason ").contains("cannot reach the server"),
        "{stdout}"
    );
    assert_eq!(row("account "), "alice", "{stdout}");
    assert!(!stdout.contains("not logged in"), "{stdout}");
    let out = chat(&alice.socket, &["--json", "status"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON status");
    assert!(v["error"].is_string(), "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_when_logged_in_says_so_before_any_password() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    // No --password-stdin and no terminal: a password prompt would fail.
    let out = chat(&alice.socket, &["login", "alice"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Already logged in as alice.\n");
}
