//! `chat group`, `send --group`, `history --group`, `read --group` and
//! `watch` against a real chat-server and real chatd processes
//! (test-support's World): three and more people in a group, each through
//! the built `chat` binary, in text and in JSON, and chatd's refusals (no
//! such group, not an admin, a name two groups share) as a person and a
//! script see them.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use test_support::{World, wait};

mod common;
use common::{CHAT, run, text};

/// Runs `chat --socket SOCKET ARGS` with `stdin` and no terminal.
fn chat(socket: &Path, args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(CHAT);
    command.arg("--socket").arg(socket).args(args);
    run(command, stdin)
}

/// Runs a command that must succeed; its stdout.
fn ok(socket: &Path, args: &[&str]) -> String {
    let out = chat(socket, args, "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "chat {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Runs a `--json` command that must succeed; its one JSON line.
fn ok_json(socket: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let stdout = ok(socket, &all);
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

/// Runs a command chatd must refuse: exit 4, then the human stderr and the
/// `--json` error object of the same command.
fn refused(socket: &Path, args: &[&str]) -> (String, Value) {
    let out = chat(socket, args, "");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "chat {args:?}: {stderr}");
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = chat(socket, &all, "");
    assert_eq!(out.status.code(), Some(4), "chat {all:?}");
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    let v: Value = serde_json::from_str(text(&out.stderr).trim())
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stderr)));
    (stderr, v)
}

/// The members of a `--json` group as (user, admin) pairs.
fn members(group: &Value) -> Vec<(String, bool)> {
    group["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["user"].as_str().unwrap().to_string(),
                m["admin"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// The texts of a group's history, as `chat --json history --group` gives
/// them.
fn texts(socket: &Path, group: &str) -> Vec<String> {
    ok_json(socket, &["history", "--group", group])["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

/// A long-running `chat watch` whose stdout lines are collected; killed
/// on drop.
struct Watch {
    child: Child,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Watch {
    fn start(socket: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(CHAT)
            .arg("--socket")
            .arg(socket)
            .arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run chat watch");
        let stdout = collect(child.stdout.take().expect("stdout"));
        let stderr = collect(child.stderr.take().expect("stderr"));
        let watch = Self {
            child,
            stdout,
            stderr,
        };
        watch.wait_line(true, "Watching chatd's events");
        watch
    }

    /// Waits for a line containing `needle` on stderr (`err`) or stdout;
    /// returns it.
    fn wait_line(&self, err: bool, needle: &str) -> String {
        let lines = if err { &self.stderr } else { &self.stdout };
        wait::until(&format!("chat watch to print {needle:?}"), || {
            let lines = lines.lock().unwrap();
            match lines.iter().find(|l| l.contains(needle)) {
                Some(l) => Ok(l.clone()),
                None => Err(format!("so far: {lines:?}")),
            }
        })
    }

    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }
}

impl Drop for Watch {
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
async fn a_group_is_made_used_and_changed_from_the_command_line() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    let (carol, _c) = world.user("carol").await;
    let (dave, _d) = world.user("dave").await;
    let bob_watch = Watch::start(&bob.socket, &[]);

    // Create: the result in JSON, with alice as the only admin.
    let created = ok_json(&alice.socket, &["group", "create", "team", "bob", "carol"]);
    let group = &created["group"];
    let id = group["id"].as_str().expect("an id").to_string();
    assert_eq!(group["name"], "team", "{created}");
    assert_eq!(group["is_member"], true, "{created}");
    assert_eq!(
        members(group),
        [
            ("alice".to_string(), true),
            ("bob".to_string(), false),
            ("carol".to_string(), false)
        ]
    );
    bob_watch.wait_line(false, "[team] alice made you a member of team");

    // Info and list for people: admins marked, ourselves named.
    let info = ok(&alice.socket, &["group", "info", "team"]);
    assert!(info.starts_with("team\n"), "{info}");
    assert!(info.contains(&id), "{info}");
    let row = |who: &str| {
        info.lines()
            .find(|l| l.trim_start().starts_with(who))
            .unwrap_or_else(|| panic!("no {who} in:\n{info}"))
            .to_string()
    };
    assert!(row("alice (you)").contains("admin"), "{info}");
    assert!(!row("bob").contains("admin"), "{info}");
    assert!(row("carol").contains("online"), "{info}");
    for args in [&["group", "list"][..], &["groups"][..]] {
        let list = ok(&bob.socket, args);
        assert!(
            list.lines()
                .any(|l| l.starts_with("team") && l.contains(&id) && l.contains("3 members")),
            "{args:?}:\n{list}"
        );
    }
    let listed = ok_json(&bob.socket, &["groups"]);
    assert_eq!(listed["groups"][0]["id"], id.as_str(), "{listed}");

    // Send by name, the text as an argument and from stdin.
    let sent = ok(&alice.socket, &["send", "--group", "team", "hi all"]);
    assert!(sent.starts_with("Sent to team (message "), "{sent}");
    let out = chat(
        &alice.socket,
        &["--json", "send", "-g", &id],
        "from a pipe\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON sent");
    assert!(v["id"].is_string(), "{v}");
    bob_watch.wait_line(false, "[team] alice: hi all");
    for member in [&bob, &carol] {
        wait::until("the group's messages to arrive", || {
            let got = texts(&member.socket, &id);
            match got == ["hi all", "from a pipe"] {
                true => Ok(()),
                false => Err(format!("{got:?}")),
            }
        });
    }
    let history = ok(&bob.socket, &["history", "--group", "team"]);
    assert!(
        history
            .lines()
            .any(|l| l.contains("alice") && l.contains("hi all")),
        "{history}"
    );

    // Receipts: delivered to both, then read by bob.
    let delivered = wait::until("both members' daemons to have it", || {
        let h = ok(&alice.socket, &["history", "--group", "team"]);
        match h.contains("✓✓ delivered to 2 of 2") {
            true => Ok(h),
            false => Err(h),
        }
    });
    assert!(delivered.contains("you  hi all"), "{delivered}");
    let read = ok(&bob.socket, &["read", "--group", "team"]);
    assert_eq!(read, "Marked the conversation of team read.\n");
    wait::until("alice to see that bob read it", || {
        let h = ok(&alice.socket, &["history", "--group", &id]);
        match h.contains("delivered to 2 of 2 · read by bob") {
            true => Ok(()),
            false => Err(h),
        }
    });
    let page = ok_json(&alice.socket, &["history", "--group", "team", "-n", "1"]);
    let last = &page["messages"][0];
    assert_eq!(last["group"]["name"], "team", "{page}");
    assert_eq!(last["receipts"]["recipients"], 2, "{page}");
    let found = ok(&carol.socket, &["search", "pipe", "--group", "team"]);
    assert!(
        found.contains("[team] alice") && found.contains("from a pipe"),
        "{found}"
    );

    // Changes: add, remove, make admin; each says what it did.
    let added = ok(&alice.socket, &["group", "add", "team", "dave"]);
    assert!(added.starts_with("Added dave to team.\n"), "{added}");
    bob_watch.wait_line(false, "[team] alice added dave");
    let removed = ok(&alice.socket, &["group", "remove", "team", "carol"]);
    assert!(removed.starts_with("Removed carol from team"), "{removed}");
    let admin = ok_json(&alice.socket, &["group", "admin", "team", "bob"]);
    assert!(
        members(&admin["group"]).contains(&("bob".to_string(), true)),
        "{admin}"
    );
    let v = ok_json(
        &alice.socket,
        &["group", "admin", "team", "bob", "--revoke"],
    );
    assert!(
        members(&v["group"]).contains(&("bob".to_string(), false)),
        "{v}"
    );
    wait::until("dave to hold the group", || {
        let v = ok_json(&dave.socket, &["groups"]);
        match v["groups"][0]["id"] == id.as_str() {
            true => Ok(()),
            false => Err(v.to_string()),
        }
    });
    ok(
        &alice.socket,
        &["send", "--group", "team", "after the change"],
    );
    wait::until("dave to get what is sent after he joined", || {
        let got = texts(&dave.socket, &id);
        match got.contains(&"after the change".to_string()) {
            true => Ok(()),
            false => Err(format!("{got:?}")),
        }
    });
    // carol was removed: the group is hers by id only, read-only.
    wait::until("carol to learn she was removed", || {
        let v = ok_json(&carol.socket, &["group", "info", &id]);
        match v["group"]["is_member"] == false {
            true => Ok(()),
            false => Err(v.to_string()),
        }
    });
    let (stderr, v) = refused(&carol.socket, &["send", "--group", &id, "still here?"]);
    assert_eq!(v["data"]["code"], "not_group_member", "{v}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(!texts(&carol.socket, &id).contains(&"after the change".to_string()));

    // bob is no admin.
    let (stderr, v) = refused(&bob.socket, &["group", "add", "team", "carol"]);
    assert_eq!(v["data"]["code"], "not_group_admin", "{v}");
    assert!(stderr.starts_with("chat: "), "{stderr}");
    assert!(
        stderr.contains("hint: ask one of the group's admins"),
        "{stderr}"
    );

    // bob leaves.
    let left = ok(&bob.socket, &["group", "leave", "team"]);
    assert!(
        left.starts_with(&format!(
            "You left team; its history stays: chat history --group {id}\n"
        )),
        "{left}"
    );
    let history = ok(&bob.socket, &["history", "--group", &id]);
    assert!(history.contains("hi all"), "{history}");
    bob_watch.wait_line(false, "[team] you left team");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_is_not_there_or_not_one_is_said_so() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (_bob, _b) = world.user("bob").await;

    for args in [
        &["group", "info", "nosuch"][..],
        &["group", "add", "nosuch", "bob"][..],
        &["send", "--group", "nosuch", "hello?"][..],
        &["history", "--group", "nosuch"][..],
        &["read", "--group", "nosuch"][..],
    ] {
        let (stderr, v) = refused(&alice.socket, args);
        assert_eq!(v["data"]["code"], "no_such_group", "{args:?}: {v}");
        assert!(v["message"].is_string(), "{args:?}: {v}");
        assert!(stderr.starts_with("chat: "), "{args:?}: {stderr}");
        assert!(stderr.contains("chat group list"), "{args:?}: {stderr}");
    }

    // Two groups called "dup": by name is ambiguous, by id is fine.
    let first = ok_json(&alice.socket, &["group", "create", "dup", "bob"]);
    let second = ok_json(&alice.socket, &["group", "create", "dup"]);
    let (stderr, v) = refused(&alice.socket, &["group", "info", "dup"]);
    assert_eq!(v["data"]["code"], "invalid_input", "{v}");
    for g in [&first, &second] {
        let id = g["group"]["id"].as_str().unwrap();
        assert!(stderr.contains(id), "{stderr}");
        let v = ok_json(&alice.socket, &["group", "info", id]);
        assert_eq!(v["group"]["id"], id, "{v}");
    }
    let only = ok(
        &alice.socket,
        &["group", "info", second["group"]["id"].as_str().unwrap()],
    );
    assert!(only.contains("1 member\n"), "{only}");

    // A user who does not exist is named.
    let (_, v) = refused(&alice.socket, &["group", "create", "ghosts", "nosuch"]);
    assert_eq!(v["data"]["code"], "no_such_user", "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_passes_group_messages_through_in_json() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    let json_watch = Watch::start(&bob.socket, &["--json", "--events", "message"]);
    let created = ok_json(&alice.socket, &["group", "create", "team", "bob"]);
    let id = created["group"]["id"].as_str().unwrap().to_string();
    ok(&alice.socket, &["send", "--group", "team", "hello team"]);
    let line = json_watch.wait_line(false, "hello team");
    let event: Value = serde_json::from_str(&line).expect("one JSON event per line");
    assert_eq!(event["type"], "message", "{event}");
    assert_eq!(event["message"]["group"]["id"], id.as_str(), "{event}");
    assert_eq!(event["message"]["from"], "alice", "{event}");
    // Only messages were asked for: the group's creation is not printed.
    assert!(
        json_watch
            .stdout()
            .iter()
            .all(|l| !l.contains("\"type\":\"group\"")),
        "{:?}",
        json_watch.stdout()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_shows_typing_only_with_typing_and_the_setting_turns_it_off() {
    let world = World::new();
    let (alice, mut a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    let typing_watch = Watch::start(&bob.socket, &["--typing"]);
    let plain_watch = Watch::start(&bob.socket, &[]);
    ok_json(&alice.socket, &["group", "create", "team", "bob"]);
    // Keys confirmed both ways: a message each.
    ok(&alice.socket, &["send", "--group", "team", "hello team"]);
    typing_watch.wait_line(false, "[team] alice: hello team");
    ok(&bob.socket, &["send", "--group", "team", "hi alice"]);
    wait::until("alice to have bob's answer", || {
        let got = texts(&alice.socket, "team");
        match got.contains(&"hi alice".to_string()) {
            true => Ok(()),
            false => Err(format!("{got:?}")),
        }
    });

    wait::until_async("alice's chatd to send a typing indicator", async || {
        let r = a.ok("typing", json!({"group": "team"})).await.unwrap();
        match r["sent"] == true {
            true => Ok(()),
            false => Err(r.to_string()),
        }
    })
    .await;
    typing_watch.wait_line(false, "[team] alice is typing...");
    // The plain watch got the same events: a message after the typing
    // shows it has, and it printed no typing.
    ok(&alice.socket, &["send", "--group", "team", "after typing"]);
    plain_watch.wait_line(false, "[team] alice: after typing");
    assert!(
        plain_watch
            .stdout()
            .iter()
            .all(|l| !l.contains("typing...")),
        "{:?}",
        plain_watch.stdout()
    );

    let settings = ok(&bob.socket, &["settings", "typing-indicators", "off"]);
    assert!(
        settings
            .lines()
            .any(|l| l.starts_with("typing-indicators") && l.contains("off (")),
        "{settings}"
    );
    let v = ok_json(&bob.socket, &["settings"]);
    assert_eq!(v["typing_indicators"], false, "{v}");
}
