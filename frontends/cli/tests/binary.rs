//! The built `chat` binary: exit codes, stdout and stderr as scripts see
//! them, against no daemon at all or a scripted one on a Unix socket in a
//! temp dir (a few canned answers, not a substitute for chatd).

#![allow(clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread::JoinHandle;

use serde_json::{Value, json};

const CHAT: &str = env!("CARGO_BIN_EXE_chat");

/// Runs `chat` with `args` and `stdin`, without any socket from the
/// environment.
fn chat(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(CHAT)
        .args(args)
        .env_remove("CHATD_SOCKET")
        .env("XDG_RUNTIME_DIR", "/nonexistent-runtime-dir")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run chat");
    // chat may exit (on a usage error) before it reads stdin: a broken
    // pipe here is part of the run, not a test failure.
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A scripted daemon: for each request line, `answer(method, params)`
/// gives the lines to send back (`$ID` is replaced by the request's id).
/// It serves one connection, returns the requests it saw, and closes after
/// `requests` requests.
fn fake_chatd(
    requests: usize,
    answer: impl Fn(&str, &Value) -> Vec<String> + Send + 'static,
) -> (tempfile::TempDir, PathBuf, JoinHandle<Vec<Value>>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("chatd.sock");
    let listener = UnixListener::bind(&path).expect("bind");
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut writer = stream.try_clone().expect("clone");
        let mut seen = Vec::new();
        for line in BufReader::new(stream).lines().take(requests) {
            let request: Value = serde_json::from_str(&line.expect("line")).expect("json");
            let method = request["method"].as_str().unwrap_or("").to_string();
            for out in answer(&method, &request["params"]) {
                let out = out.replace("$ID", &request["id"].to_string());
                writeln!(writer, "{out}").expect("write");
            }
            seen.push(request);
        }
        seen
    });
    (dir, path, handle)
}

fn ok(result: Value) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":$ID,"result":{result}}}"#)
}

fn socket_args<'a>(path: &'a Path, rest: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--socket", path.to_str().expect("utf-8 path")];
    args.extend_from_slice(rest);
    args
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["gossip"][..],
        &["send"][..],
        &["history", "bob", "--limit", "x"][..],
    ] {
        let out = chat(args, "");
        assert_eq!(
            out.status.code(),
            Some(2),
            "chat {args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn help_and_version_exit_0() {
    let out = chat(&["--help"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("Exit codes:"));
    let out = chat(&["--version"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).starts_with("chat "));
}

#[test]
fn no_daemon_exits_3_with_how_to_start_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("chatd.sock");
    let missing = missing.to_str().expect("utf-8");
    for json in [false, true] {
        let mut args = vec!["--socket", missing, "status"];
        if json {
            args.push("--json");
        }
        let out = chat(&args, "");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains(missing), "{err}");
        assert!(err.contains("systemctl --user start chatd"), "{err}");
        assert!(out.stdout.is_empty());
    }
    // The same through $CHATD_SOCKET.
    let out = Command::new(CHAT)
        .arg("conversations")
        .env("CHATD_SOCKET", missing)
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains(missing));
}

#[test]
fn a_sent_message_is_reported_in_text_and_in_json() {
    for json in [false, true] {
        let (_dir, path, daemon) = fake_chatd(1, |_, _| {
            vec![ok(
                json!({"id": "0f8a3c2e-0000-4000-8000-000000000000", "queued": false}),
            )]
        });
        let mut args = socket_args(&path, &["send", "bob", "hello"]);
        if json {
            args.push("--json");
        }
        let out = chat(&args, "");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        if json {
            let v: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
            assert_eq!(v["queued"], false);
        } else {
            assert_eq!(stdout, "Sent to bob (message 0f8a3c2e).\n");
        }
        let seen = daemon.join().expect("daemon");
        assert_eq!(seen[0]["method"], "send");
        assert_eq!(seen[0]["params"], json!({"to": "bob", "text": "hello"}));
    }
}

#[test]
fn the_text_comes_from_stdin_when_not_given() {
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({"id": "x", "queued": true}))]);
    let out = chat(
        &socket_args(&path, &["send", "bob"]),
        "line one\nline two\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("Queued for bob"));
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[0]["params"]["text"], "line one\nline two");
}

#[test]
fn an_empty_message_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("unused.sock");
    let out = chat(&socket_args(&path, &["send", "bob"]), "\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nothing to send"));
}

#[test]
fn a_refusal_exits_4_with_the_message_or_the_error_object() {
    let refusal = r#"{"jsonrpc":"2.0","id":$ID,"error":{"code":-32001,"message":"not logged in","data":{"code":"not_logged_in"}}}"#;
    for json in [false, true] {
        let (_dir, path, daemon) = fake_chatd(1, move |_, _| vec![refusal.to_string()]);
        let mut args = socket_args(&path, &["conversations"]);
        if json {
            args.push("--json");
        }
        let out = chat(&args, "");
        assert_eq!(out.status.code(), Some(4));
        assert!(out.stdout.is_empty());
        let err = text(&out.stderr);
        if json {
            let v: Value = serde_json::from_str(err.trim()).expect("error object on stderr");
            assert_eq!(
                v,
                json!({"code": -32001, "message": "not logged in", "data": {"code": "not_logged_in"}})
            );
        } else {
            assert!(err.starts_with("chat: not logged in\n"), "{err}");
            assert!(err.contains("hint: log in with `chat login USER`"), "{err}");
        }
        daemon.join().expect("daemon");
    }
}

#[test]
fn login_reads_the_password_from_stdin_when_told() {
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({"username": "alice"}))]);
    let out = chat(
        &socket_args(&path, &["login", "alice", "--password-stdin"]),
        "correct horse battery staple\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Logged in as alice.\n");
    let seen = daemon.join().expect("daemon");
    assert_eq!(
        seen[0]["params"],
        json!({"username": "alice", "password": "correct horse battery staple"})
    );
}

#[test]
fn login_without_a_name_or_a_terminal_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("unused.sock");
    let out = chat(&socket_args(&path, &["login", "--password-stdin"]), "pw\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("chat login USER"));
}

#[test]
fn watch_prints_one_json_event_per_line_until_chatd_goes_away() {
    let (_dir, path, daemon) = fake_chatd(1, |method, params| {
        assert_eq!(method, "subscribe");
        assert_eq!(params, &json!({"since": 5, "events": ["presence"]}));
        let event = |seq: u64, user: &str| {
            json!({"jsonrpc": "2.0", "method": "event",
                   "params": {"seq": seq, "type": "presence", "user": user, "online": true}})
            .to_string()
        };
        vec![event(6, "bob"), ok(json!({"seq": 7})), event(7, "carol")]
    });
    let out = chat(
        &socket_args(
            &path,
            &["watch", "--json", "--since", "5", "--events", "presence"],
        ),
        "",
    );
    daemon.join().expect("daemon");
    let stdout = text(&out.stdout);
    let seqs: Vec<u64> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).expect("JSON line")["seq"]
                .as_u64()
                .expect("seq")
        })
        .collect();
    assert_eq!(seqs, vec![6, 7], "{stdout}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("chatd closed the connection"));
}

#[test]
fn fingerprints_print_in_groups_and_status_as_a_block() {
    let fpr = "0123456789abcdef".repeat(4);
    let (_dir, path, daemon) = fake_chatd(1, move |_, _| {
        vec![ok(
            json!({"user": "bob", "fingerprint": fpr, "state": "unverified"}),
        )]
    });
    let out = chat(&socket_args(&path, &["fingerprint", "bob"]), "");
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.starts_with("bob (unverified):\n  0123 4567 89ab cdef 0123"),
        "{stdout}"
    );
    daemon.join().expect("daemon");
}

#[test]
fn settings_shows_and_changes_read_receipts() {
    // Show: `settings`, no params.
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({"read_receipts": true}))]);
    let out = chat(&socket_args(&path, &["settings"]), "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("read-receipts") && shown.contains("on"),
        "{shown}"
    );
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[0]["method"], "settings");
    // Change: `set_settings` with only what changes; --json prints the
    // settings chatd answers.
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({"read_receipts": false}))]);
    let out = chat(
        &socket_args(&path, &["settings", "read-receipts", "off", "--json"]),
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(printed, json!({"read_receipts": false}));
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[0]["method"], "set_settings");
    assert_eq!(seen[0]["params"], json!({"read_receipts": false}));
    // Anything but on or off is a usage error.
    let out = chat(&["settings", "read-receipts", "maybe"], "");
    assert_eq!(out.status.code(), Some(2));
}
