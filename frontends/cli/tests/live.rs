//! The built `chat` binary against a real chat-server and real chatd
//! processes (test-support's World): what only the whole system shows, such
//! as a chatd killed under `chat watch`, or a server that went away under
//! `chat status`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use test_support::fixtures::PASSWORD;
use test_support::wait;
use test_support::{DaemonProcess, RpcClient, World};

mod common;
use common::{CHAT, run, text};

/// Runs `chat --socket SOCKET ARGS` with `stdin` and no terminal.
fn chat(socket: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(CHAT);
    command.arg("--socket").arg(socket).args(args);
    run(command, stdin)
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
    assert_eq!(
        row("account "),
        "alice (logs in by itself once the server is reached)",
        "{stdout}"
    );
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

/// `chat login alice` with the fixture password on stdin.
fn login(socket: &Path) -> Output {
    chat(
        socket,
        &["login", "alice", "--password-stdin"],
        &format!("{PASSWORD}\n"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_then_login_at_once_works() {
    let mut world = World::new();
    let (alice, _a) = world.user("alice").await;
    for round in 0..3 {
        let out = chat(&alice.socket, &["logout"], "");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let out = login(&alice.socket);
        assert_eq!(
            out.status.code(),
            Some(0),
            "round {round}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "Logged in as alice.\n");
    }
    // Logged out while the server is away, chatd backs off between
    // attempts; a login as soon as the server is back must not meet "not
    // connected" but make chatd try at once.
    let out = chat(&alice.socket, &["logout"], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    world.server.kill9();
    wait::until("chatd to fail to reach the server three times", || {
        alice.log_text().matches("cannot reach the server").count() >= 3
    });
    world.server.kill9_and_restart().unwrap();
    let out = login(&alice.socket);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Logged in as alice.\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_user_is_named_up_front() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    for args in [
        &["read", "nosuch"][..],
        &["history", "nosuch"][..],
        &["send", "nosuch", "hello?"][..],
        &["fingerprint", "nosuch"][..],
    ] {
        let out = chat(&alice.socket, args, "");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "{args:?}: {err}");
        assert!(
            err.starts_with("chat: no user named nosuch"),
            "{args:?}: {err}"
        );
        let mut json_args = vec!["--json"];
        json_args.extend_from_slice(args);
        let out = chat(&alice.socket, &json_args, "");
        let v: Value = serde_json::from_str(text(&out.stderr).trim()).expect("JSON error");
        assert_eq!(v["data"]["code"], "no_such_user", "{args:?}: {v}");
    }
}

/// alice and bob, who have written to each other (so each pinned the
/// other's key), and alice's raw client.
async fn acquainted(world: &World) -> (DaemonProcess, RpcClient, DaemonProcess) {
    let (alice, mut a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    a.ok("send", json!({"to": "bob", "text": "hi bob"}))
        .await
        .unwrap();
    (alice, a, bob)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_on_an_unchanged_key_says_nothing_changed() {
    let world = World::new();
    let (alice, mut a, _bob) = acquainted(&world).await;
    let out = chat(&alice.socket, &["trust", "bob"], "");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(stdout.contains("has not changed"), "{stdout}");
    assert!(!stdout.contains("Accepted"), "{stdout}");
    // Verified stays verified, and says so.
    let fpr = a.ok("fingerprint", json!({"user": "bob"})).await.unwrap();
    let fpr = fpr["fingerprint"].as_str().unwrap().to_string();
    let out = chat(&alice.socket, &["verify", "bob", &fpr], "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = chat(&alice.socket, &["trust", "bob"], "");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("stays verified"), "{stdout}");
    let out = chat(&alice.socket, &["--json", "trust", "bob"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v, json!({"state": "verified", "unchanged": true}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_verify_against_chatd_never_shows_the_right_fingerprint() {
    let world = World::new();
    let (alice, mut a, _bob) = acquainted(&world).await;
    let fpr = a.ok("fingerprint", json!({"user": "bob"})).await.unwrap();
    let fpr = fpr["fingerprint"].as_str().unwrap().to_string();
    let groups = |f: &str| {
        f.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
    };
    let wrong = "0".repeat(64);
    for json in [false, true] {
        let mut args = vec!["verify", "bob", &wrong];
        if json {
            args.insert(0, "--json");
        }
        let out = chat(&alice.socket, &args, "");
        assert_eq!(out.status.code(), Some(4));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains(&fpr), "{all}");
        // Not even grouped: no two consecutive groups of the real one.
        for pair in groups(&fpr).windows(2) {
            assert!(!all.contains(&pair.join(" ")), "{all}");
        }
        if !json {
            assert!(all.contains("compare again"), "{all}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_key_change_shows_in_conversations_status_and_history() {
    let world = World::new();
    let (alice, _a, _bob) = acquainted(&world).await;
    let mut events = alice.client().await.unwrap();
    events.ok("subscribe", json!({})).await.unwrap();
    // bob's account shows up with another key.
    let mut other = test_support::WireClient::connect(world.server.addr)
        .await
        .unwrap();
    other
        .login("bob", PASSWORD, &test_support::fixtures::public_pem("bob"))
        .await
        .unwrap();
    events
        .event_where("key_changed for bob", |e| {
            e["type"] == "key_changed" && e["user"] == "bob"
        })
        .await
        .unwrap();

    let out = chat(&alice.socket, &["conversations"], "");
    let stdout = text(&out.stdout);
    let bob_row = stdout.lines().find(|l| l.starts_with("bob")).unwrap_or("");
    assert!(bob_row.contains("KEY CHANGED"), "{stdout}");
    let out = chat(&alice.socket, &["--json", "conversations"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["conversations"][0]["trust"], "changed", "{v}");

    let out = chat(&alice.socket, &["status"], "");
    let stdout = text(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("key changes") && l.contains("bob")),
        "{stdout}"
    );
    let out = chat(&alice.socket, &["--json", "status"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["key_changes"], json!(["bob"]), "{v}");

    let out = chat(&alice.socket, &["history", "bob"], "");
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let hi = lines.iter().position(|l| l.contains("hi bob"));
    let changed = lines.iter().position(|l| l.contains("bob's key changed"));
    assert!(
        matches!((hi, changed), (Some(h), Some(c)) if h < c),
        "the notice follows the message it came after:\n{stdout}"
    );
    assert!(stdout.contains("chat trust bob"), "{stdout}");
    let out = chat(&alice.socket, &["--json", "history", "bob"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["notices"][0]["kind"], "key_changed", "{v}");

    // Accepting it is recorded in the timeline too, and the warnings go.
    let out = chat(&alice.socket, &["trust", "bob"], "");
    assert!(text(&out.stdout).contains("Accepted bob's new key"));
    let out = chat(&alice.socket, &["history", "bob"], "");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("you accepted bob's new key"), "{stdout}");
    assert!(!stdout.contains("chat trust bob"), "{stdout}");
    let out = chat(&alice.socket, &["status"], "");
    assert!(!text(&out.stdout).contains("key changes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fingerprint_shows_the_safety_number_to_compare() {
    let world = World::new();
    let (alice, mut a, bob) = acquainted(&world).await;
    let out = chat(&alice.socket, &["fingerprint", "bob"], "");
    let stdout = text(&out.stdout);
    let number = a.ok("fingerprint", json!({"user": "bob"})).await.unwrap()["safety_number"]
        .as_str()
        .expect("chatd gives the safety number")
        .to_string();
    let digits: String = stdout.chars().filter(char::is_ascii_digit).collect();
    let plain: String = number.chars().filter(char::is_ascii_digit).collect();
    assert!(stdout.contains("Safety number"), "{stdout}");
    assert!(digits.contains(&plain[..20]), "{stdout}");
    // bob sees the same number for alice.
    let out = chat(&bob.socket, &["fingerprint", "alice"], "");
    let theirs = text(&out.stdout);
    let block = |s: &str| {
        s.lines()
            .skip_while(|l| !l.contains("Safety number"))
            .skip(1)
            .take(3)
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(block(&stdout), block(&theirs), "{stdout}\n{theirs}");
}
