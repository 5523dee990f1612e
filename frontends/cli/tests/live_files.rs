//! `chat send-file`, `chat download`, `chat transfers` and `chat
//! cancel-transfer` against a real chat-server and real chatd processes
//! (test-support's World): a file goes from alice to bob through the
//! server's blob store and comes out the same bytes; a script reads the
//! progress as JSON lines; a missing file and a cancelled upload end with
//! a clear message and a non-zero exit.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use test_support::{World, wait};

mod common;
use common::{CHAT, run, text};

/// Runs `chat --socket SOCKET ARGS` with no terminal.
fn chat(socket: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(CHAT);
    command.arg("--socket").arg(socket).args(args);
    run(command, "")
}

/// Runs a command that must succeed; its stdout.
fn ok(socket: &Path, args: &[&str]) -> String {
    let out = chat(socket, args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "chat {args:?}: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// A file of `len` bytes that are not all alike, in the world's dir.
fn file(world: &World, name: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
    let path = world.dir.path().join(name);
    std::fs::write(&path, &bytes).unwrap();
    (path, bytes)
}

/// Waits until `socket`'s chatd has a file message from `peer`; returns it
/// (as `history --json` shows it).
fn file_message(socket: &Path, peer: &str) -> Value {
    wait::until(&format!("a file message from {peer}"), || {
        let out = chat(socket, &["--json", "history", peer]);
        let page: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        page["messages"]
            .as_array()
            .and_then(|ms| ms.iter().rev().find(|m| m["file"].is_object()).cloned())
            .ok_or_else(|| page.to_string())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_goes_to_bob_and_comes_out_the_same() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    let (path, bytes) = file(&world, "view.bin", 300_000);
    // A relative path, as a person types it.
    let out = Command::new(CHAT)
        .current_dir(world.dir.path())
        .arg("--socket")
        .arg(&alice.socket)
        .args(["send-file", "bob", "view.bin", "--caption", "the view"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.starts_with("Sent view.bin (300 kB) to bob (message "),
        "{said}"
    );
    // No terminal: no progress bar, nothing on stderr.
    assert_eq!(text(&out.stderr), "");

    let m = file_message(&bob.socket, "alice");
    assert_eq!(m["text"], "the view");
    assert_eq!(m["file"]["name"], "view.bin");
    assert_eq!(m["file"]["size"], 300_000);
    let id = m["id"].as_str().unwrap().to_string();
    let history = ok(&bob.socket, &["history", "alice"]);
    assert!(
        history.contains(&format!("📎 view.bin (300 kB) · chat download {id}")),
        "{history}"
    );
    assert!(history.contains("the view"), "{history}");

    let into = world.dir.path().join("bob-downloads");
    std::fs::create_dir(&into).unwrap();
    let saved = ok(&bob.socket, &["download", &id, into.to_str().unwrap()]);
    let saved = PathBuf::from(saved.trim_end());
    assert!(saved.starts_with(&into), "{}", saved.display());
    assert_eq!(std::fs::read(&saved).unwrap(), bytes, "the bytes differ");
    assert_ne!(saved, path);

    // Both ended transfers are listed, done.
    let list = ok(&bob.socket, &["transfers"]);
    assert!(list.contains("download  done"), "{list}");
    let history = ok(&bob.socket, &["history", "alice"]);
    assert!(history.contains("· saved as "), "{history}");
}

/// A file sent to a group reads with the group's name, never its id, in
/// the sender's and a member's transfer lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_file_is_listed_in_the_group_by_name() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    ok(&alice.socket, &["group", "create", "team", "bob"]);
    let (path, bytes) = file(&world, "plan.bin", 50_000);
    let said = ok(
        &alice.socket,
        &["send-file", "--group", "team", path.to_str().unwrap()],
    );
    assert!(said.contains("plan.bin"), "{said}");
    let sent = ok(&alice.socket, &["transfers"]);
    assert!(sent.contains("upload  done"), "{sent}");
    assert!(sent.contains("plan.bin in team"), "{sent}");

    let m = wait::until("the group file at bob", || {
        let out = chat(&bob.socket, &["--json", "history", "--group", "team"]);
        let page: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        page["messages"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["file"].is_object()).cloned())
            .ok_or_else(|| page.to_string())
    });
    let id = m["id"].as_str().unwrap().to_string();
    let into = world.dir.path().join("bob-downloads");
    std::fs::create_dir(&into).unwrap();
    let saved = ok(&bob.socket, &["download", &id, into.to_str().unwrap()]);
    assert_eq!(std::fs::read(saved.trim_end()).unwrap(), bytes);
    let got = ok(&bob.socket, &["transfers"]);
    assert!(got.contains("plan.bin in team"), "{got}");
    let group_id = ok(&bob.socket, &["--json", "groups"]);
    let group_id: Value = serde_json::from_str(&group_id).unwrap();
    let group_id = group_id["groups"][0]["id"].as_str().unwrap().to_string();
    assert!(!got.contains(&group_id), "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_progress_is_one_line_per_event_then_the_result() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;
    let (path, bytes) = file(&world, "big.bin", 3_000_000);
    let out = ok(
        &alice.socket,
        &["--json", "send-file", "bob", path.to_str().unwrap()],
    );
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let (result, events) = lines.split_last().expect("at least the result");
    assert_eq!(result["transfer"]["state"], "done", "{result}");
    assert_eq!(result["transfer"]["direction"], "upload");
    let id = result["transfer"]["id"].clone();
    for e in events {
        assert_eq!(e["type"], "transfer", "{e}");
        assert_eq!(e["transfer"]["id"], id, "{e}");
        assert!(e["seq"].is_u64(), "{e}");
    }

    let m = file_message(&bob.socket, "alice");
    let dest = world.dir.path().join("copy.bin");
    let out = ok(
        &bob.socket,
        &[
            "--json",
            "download",
            m["id"].as_str().unwrap(),
            dest.to_str().unwrap(),
        ],
    );
    let last: Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["transfer"]["state"], "done", "{last}");
    assert_eq!(last["transfer"]["path"], dest.to_str().unwrap());
    assert_eq!(std::fs::read(&dest).unwrap(), bytes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_is_a_clear_error() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let missing = world.dir.path().join("nope.jpg");
    let out = chat(
        &alice.socket,
        &["send-file", "bob", missing.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("cannot send") && stderr.contains("No such file"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let out = chat(
        &alice.socket,
        &["--json", "send-file", "bob", missing.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).unwrap();
    assert_eq!(err["data"]["code"], "failure", "{err}");
    // A message id that is no file: chatd's refusal, exit 4.
    let out = chat(
        &alice.socket,
        &["download", "00000000-0000-4000-8000-000000000000"],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
}

/// A `chat` left running, its stdout and stderr collected.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    fn start(socket: &Path, args: &[&str]) -> Self {
        let mut child = Command::new(CHAT)
            .arg("--socket")
            .arg(socket)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        let pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                sink.lock().unwrap().push_str(&line);
            }
        });
        Self { child, stderr }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_upload_ends_the_waiting_send_file_with_exit_1() {
    let mut world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (_bob, _b) = world.user("bob").await;
    // Alice has bob's key; then no server: the upload waits for it, so
    // it is there to cancel.
    ok(&alice.socket, &["send", "bob", "a file is coming"]);
    world.server.kill9();
    let (path, _) = file(&world, "held.bin", 100_000);
    let mut sending = Running::start(&alice.socket, &["send-file", "bob", path.to_str().unwrap()]);
    let id = wait::until("the upload to be listed", || {
        let out = chat(&alice.socket, &["--json", "transfers"]);
        let list: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
        list["transfers"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["name"] == "held.bin"))
            .and_then(|t| t["id"].as_str().map(str::to_string))
            .ok_or_else(|| list.to_string())
    });
    let said = ok(&alice.socket, &["cancel-transfer", &id]);
    assert_eq!(said, "upload of held.bin to bob was cancelled\n");
    let status = wait::until("send-file to end", || match sending.child.try_wait() {
        Ok(Some(status)) => Ok(status),
        other => Err(format!("{other:?}")),
    });
    assert_eq!(status.code(), Some(1));
    let mut stderr = String::new();
    wait::until("send-file's reason", || {
        stderr = sending.stderr.lock().unwrap().clone();
        match stderr.contains("was cancelled") {
            true => Ok(()),
            false => Err(stderr.clone()),
        }
    });
    let list = ok(&alice.socket, &["transfers"]);
    assert!(list.contains("cancelled"), "{list}");
}
