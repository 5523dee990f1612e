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

mod common;
use common::{CHAT, run, text};

/// Runs `chat` with `args` and `stdin`, without any socket from the
/// environment.
fn chat(args: &[&str], stdin: &str) -> Output {
    let mut command = Command::new(CHAT);
    command
        .args(args)
        .env_remove("CHATD_SOCKET")
        .env("XDG_RUNTIME_DIR", "/nonexistent-runtime-dir");
    run(command, stdin)
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

/// chatd's `status` answer in `state`, logged in as `user` if any.
fn status(state: &str, user: Option<&str>) -> String {
    ok(
        json!({"state": state, "username": user, "server": "127.0.0.1:1",
              "server_fingerprint": null, "version": "0.1.0"}),
    )
}

#[test]
fn login_reads_the_password_from_stdin_when_told() {
    let (_dir, path, daemon) = fake_chatd(2, |method, _| match method {
        "status" => vec![status("connected", None)],
        _ => vec![ok(json!({"username": "alice"}))],
    });
    let out = chat(
        &socket_args(&path, &["login", "alice", "--password-stdin"]),
        "correct horse battery staple\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Logged in as alice.\n");
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[1]["method"], "login");
    assert_eq!(
        seen[1]["params"],
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
fn login_when_logged_in_says_so_before_asking_for_a_password() {
    // No --password-stdin and no terminal: had `chat login` asked for the
    // password first, it would fail for want of a terminal.
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![status("logged_in", Some("alice"))]);
    let out = chat(&socket_args(&path, &["login", "alice"]), "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Already logged in as alice.\n");
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen.len(), 1, "only status was asked: {seen:?}");
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![status("logged_in", Some("alice"))]);
    let out = chat(&socket_args(&path, &["login", "bob"]), "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("logged in as alice"));
    daemon.join().expect("daemon");
}

#[test]
fn watch_prints_one_json_event_per_line() {
    let (_dir, path, daemon) = fake_chatd(2, |method, params| match method {
        "subscribe" => {
            assert_eq!(params, &json!({"since": 5, "events": ["presence"]}));
            let event = |seq: u64, user: &str| {
                json!({"jsonrpc": "2.0", "method": "event",
                       "params": {"seq": seq, "type": "presence", "user": user, "online": true}})
                .to_string()
            };
            vec![event(6, "bob"), ok(json!({"seq": 7})), event(7, "carol")]
        }
        _ => vec![status("logged_in", Some("alice"))],
    });
    // chat watch outlives this daemon (it waits for chatd to come back),
    // so it is read line by line and then killed.
    let mut child = Command::new(CHAT)
        .args(socket_args(
            &path,
            &["watch", "--json", "--since", "5", "--events", "presence"],
        ))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run chat watch");
    let stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let seqs: Vec<u64> = stdout
        .lines()
        .take(2)
        .map(|l| {
            serde_json::from_str::<Value>(&l.expect("a line")).expect("JSON line")["seq"]
                .as_u64()
                .expect("seq")
        })
        .collect();
    child.kill().expect("kill chat watch");
    child.wait().expect("reap chat watch");
    daemon.join().expect("daemon");
    assert_eq!(seqs, vec![6, 7]);
}

#[test]
fn watch_without_chatd_exits_3_and_says_so_in_json_with_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("chatd.sock");
    let out = chat(&socket_args(&missing, &["watch"]), "");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("chatd is not running"));
    let out = chat(&socket_args(&missing, &["watch", "--json"]), "");
    assert_eq!(out.status.code(), Some(3));
    let err: Value = serde_json::from_str(text(&out.stderr).trim()).expect("JSON on stderr");
    assert_eq!(err["data"]["code"], "not_running", "{err}");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("systemctl --user start chatd"))
    );
}

#[test]
fn with_json_every_failure_is_a_json_object_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("chatd.sock");
    let cases: [(&[&str], &str, &str, i32); 4] = [
        (&["status"], "", "not_running", 3),
        (&["send", "bob"], "\n", "usage", 2),
        (&["history", "bob", "--limit", "x"], "", "usage", 2),
        (&["history", "bob", "--before", "yesterday"], "", "usage", 2),
    ];
    for (rest, stdin, code, exit) in cases {
        let mut args = socket_args(&missing, rest);
        args.push("--json");
        let out = chat(&args, stdin);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(exit), "{rest:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{rest:?}");
        let err: Value = serde_json::from_str(stderr.trim())
            .unwrap_or_else(|e| panic!("{rest:?}: not one JSON object ({e}): {stderr}"));
        assert_eq!(err["data"]["code"], code, "{rest:?}: {err}");
        assert!(err["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

#[test]
fn a_limit_of_0_shows_nothing() {
    let message = json!({"id": "1", "from": "bob", "to": "alice", "text": "hi", "ts": 1,
                         "direction": "in", "status": "read"});
    let cases: [(&[&str], Value, &str, &str); 3] = [
        (
            &["history", "bob", "-n", "0"],
            json!({"messages": [message]}),
            "messages",
            "(no messages)\n",
        ),
        (
            &["search", "hi", "-n", "0"],
            json!({"messages": [message]}),
            "messages",
            "(no messages)\n",
        ),
        (
            &["users", "--limit", "0"],
            json!({"users": [{"username": "bob", "online": true}]}),
            "users",
            "(no users)\n",
        ),
    ];
    for (rest, answer, field, empty) in cases {
        for json in [false, true] {
            let answer = answer.clone();
            // Text `history` also asks `conversations` (for a waiting key
            // change).
            let (_dir, path, daemon) = fake_chatd(2, move |method, _| match method {
                "conversations" => vec![ok(json!({"conversations": []}))],
                _ => vec![ok(answer.clone())],
            });
            let mut args = socket_args(&path, rest);
            if json {
                args.push("--json");
            }
            let out = chat(&args, "");
            assert_eq!(
                out.status.code(),
                Some(0),
                "{rest:?}: {}",
                text(&out.stderr)
            );
            let stdout = text(&out.stdout);
            if json {
                let v: Value = serde_json::from_str(stdout.trim()).expect("JSON");
                assert_eq!(v[field], json!([]), "{rest:?}: {v}");
            } else {
                assert_eq!(stdout, empty, "{rest:?}");
            }
            // chatd is still asked (its errors are the same as ever), for
            // at least one item since it reads 0 as 1.
            let seen = daemon.join().expect("daemon");
            assert_eq!(seen[0]["params"]["limit"], 1, "{rest:?}");
        }
    }
}

#[test]
fn a_message_over_64_kib_is_refused_before_sending() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Nothing listens here: contacting chatd would exit 3, not 2.
    let unused = dir.path().join("unused.sock");
    let out = chat(
        &socket_args(&unused, &["send", "bob"]),
        &"x".repeat(2 << 20),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("64 KiB") && !err.contains("1024 KiB"), "{err}");
    let long = "x".repeat(100 * 1024);
    let out = chat(&socket_args(&unused, &["send", "bob", &long]), "");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("100 KiB") && err.contains("at most 64 KiB"),
        "{err}"
    );
    // Exactly 64 KiB and a newline is not too long.
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({"id": "x", "queued": false}))]);
    let out = chat(
        &socket_args(&path, &["send", "bob"]),
        &format!("{}\n", "y".repeat(64 * 1024)),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    daemon.join().expect("daemon");
}

#[test]
fn a_wrong_verify_never_prints_the_fingerprint_chatd_holds() {
    let expected = "0123456789abcdef".repeat(4);
    for json in [false, true] {
        let leak = expected.clone();
        // A chatd of an older release put the fingerprint it holds in its
        // answer; the CLI must not pass it on.
        let (_dir, path, daemon) = fake_chatd(1, move |_, _| {
            vec![format!(
                r#"{{"jsonrpc":"2.0","id":$ID,"error":{{"code":-32008,"message":"expected {leak}","data":{{"code":"fingerprint_mismatch","expected":"{leak}"}}}}}}"#
            )]
        });
        let mut args = socket_args(&path, &["verify", "bob", "ffff", "0000"]);
        if json {
            args.push("--json");
        }
        let out = chat(&args, "");
        daemon.join().expect("daemon");
        assert_eq!(out.status.code(), Some(4));
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(!all.contains("0123"), "{all}");
        if json {
            let v: Value = serde_json::from_str(text(&out.stderr).trim()).expect("JSON");
            assert_eq!(v["data"]["code"], "fingerprint_mismatch");
        } else {
            assert!(all.contains("not the fingerprint of bob's key"), "{all}");
            assert!(all.contains("compare again"), "{all}");
        }
    }
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
    // For comparing, never as a command to paste.
    for line in stdout.lines().filter(|l| l.contains("chat verify")) {
        assert!(!line.contains("0123"), "{line}");
    }
    daemon.join().expect("daemon");
}

#[test]
fn settings_shows_and_changes_read_receipts_and_typing_indicators() {
    // Show: `settings`, no params.
    let (_dir, path, daemon) = fake_chatd(1, |_, _| {
        vec![ok(
            json!({"read_receipts": true, "typing_indicators": false}),
        )]
    });
    let out = chat(&socket_args(&path, &["settings"]), "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(
        shown.contains("read-receipts") && shown.contains("on"),
        "{shown}"
    );
    assert!(
        shown
            .lines()
            .any(|l| l.starts_with("typing-indicators") && l.contains("off")),
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
    assert_eq!(printed["read_receipts"], false, "{printed}");
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[0]["method"], "set_settings");
    assert_eq!(seen[0]["params"], json!({"read_receipts": false}));
    let (_dir, path, daemon) = fake_chatd(1, |_, _| {
        vec![ok(
            json!({"read_receipts": true, "typing_indicators": false}),
        )]
    });
    let out = chat(
        &socket_args(&path, &["settings", "typing-indicators", "off"]),
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[0]["params"], json!({"typing_indicators": false}));
    // Anything but on or off is a usage error.
    let out = chat(&["settings", "read-receipts", "maybe"], "");
    assert_eq!(out.status.code(), Some(2));
}

/// A group as chatd answers it.
fn team() -> Value {
    json!({"group": {"id": "6b1f0c3e-0000-4000-8000-000000000001", "name": "team",
                     "version": 1, "is_member": true, "unread": 0,
                     "members": [{"user": "alice", "admin": true, "online": true}]}})
}

#[test]
fn group_commands_call_chatd_s_group_methods_with_their_params() {
    let cases: [(&[&str], &str, Value); 12] = [
        (
            &["group", "create", "team", "bob", "carol"],
            "group_create",
            json!({"name": "team", "members": ["bob", "carol"]}),
        ),
        (
            &["group", "add", "team", "dave"],
            "group_add",
            json!({"group": "team", "users": ["dave"]}),
        ),
        (
            &["group", "remove", "team", "bob", "carol"],
            "group_remove",
            json!({"group": "team", "users": ["bob", "carol"]}),
        ),
        (
            &["group", "leave", "team"],
            "group_leave",
            json!({"group": "team"}),
        ),
        (
            &["group", "admin", "team", "bob"],
            "group_admin",
            json!({"group": "team", "user": "bob", "admin": true}),
        ),
        (
            &["group", "admin", "team", "bob", "--revoke"],
            "group_admin",
            json!({"group": "team", "user": "bob", "admin": false}),
        ),
        (
            &["group", "info", "team"],
            "group_info",
            json!({"group": "team"}),
        ),
        (&["group", "list"], "groups", json!({})),
        (&["groups"], "groups", json!({})),
        (
            &["send", "--group", "team", "hi all"],
            "send",
            json!({"group": "team", "text": "hi all"}),
        ),
        (
            &["history", "--group", "team", "-n", "5"],
            "history",
            json!({"group": "team", "limit": 5}),
        ),
        (
            &["search", "lunch", "--group", "team"],
            "search",
            json!({"query": "lunch", "group": "team"}),
        ),
    ];
    for (args, method, params) in cases {
        let answer = match method {
            "groups" => json!({"groups": [team()["group"]]}),
            "send" => json!({"id": "0f8a3c2e-1111", "queued": false}),
            "history" | "search" => json!({"messages": []}),
            _ => team(),
        };
        let (_dir, path, daemon) = fake_chatd(1, move |_, _| vec![ok(answer.clone())]);
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = chat(&socket_args(&path, &all), "");
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let seen = daemon.join().expect("daemon");
        assert_eq!(seen[0]["method"], method, "{args:?}");
        let mut sent = seen[0]["params"].clone();
        if method == "history" {
            // `before` and absent fields aside, as chatd reads them.
            sent.as_object_mut()
                .expect("params")
                .retain(|_, v| !v.is_null());
        }
        assert_eq!(sent, params, "{args:?}");
    }
    // `read --group`: mark_read of the group.
    let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({}))]);
    let out = chat(&socket_args(&path, &["read", "--group", "team"]), "");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Marked the conversation of team read.\n");
    let seen = daemon.join().expect("daemon");
    assert_eq!(
        (seen[0]["method"].clone(), seen[0]["params"].clone()),
        (json!("mark_read"), json!({"group": "team"}))
    );
}

#[test]
fn a_group_refusal_is_chatd_s_error_with_a_hint_or_its_object() {
    let refusal = || {
        r#"{"jsonrpc":"2.0","id":$ID,"error":{"code":-32011,"message":"only admins of team can add members","data":{"code":"not_group_admin"}}}"#
            .to_string()
    };
    let (_dir, path, daemon) = fake_chatd(1, move |_, _| vec![refusal()]);
    let out = chat(&socket_args(&path, &["group", "add", "team", "dave"]), "");
    assert_eq!(out.status.code(), Some(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("chat: only admins of team can add members\nhint: ask one of"),
        "{stderr}"
    );
    daemon.join().expect("daemon");
    let (_dir, path, daemon) = fake_chatd(1, move |_, _| vec![refusal()]);
    let out = chat(
        &socket_args(&path, &["--json", "group", "add", "team", "dave"]),
        "",
    );
    assert_eq!(out.status.code(), Some(4));
    let v: Value = serde_json::from_str(text(&out.stderr).trim()).expect("JSON error");
    assert_eq!(v["data"]["code"], "not_group_admin", "{v}");
    assert_eq!(v["code"], -32011, "{v}");
    daemon.join().expect("daemon");
}

#[test]
fn send_to_a_group_with_two_words_unquoted_is_a_usage_error() {
    let out = chat(&["--json", "send", "--group", "team", "hi", "all"], "");
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_str(text(&out.stderr).trim()).expect("JSON error");
    assert_eq!(v["data"]["code"], "usage", "{v}");
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("only the text"),
        "{v}"
    );
}

#[test]
fn watch_subscribes_to_group_and_transfer_events_and_to_typing_only_when_asked() {
    for (args, kinds) in [
        (
            &["watch", "--json"][..],
            json!([
                "message",
                "receipt",
                "presence",
                "connection",
                "key_changed",
                "security",
                "trust",
                "settings",
                "group",
                "transfer"
            ]),
        ),
        (
            &["watch", "--json", "--events", "message", "--typing"][..],
            json!(["message", "typing", "group"]),
        ),
    ] {
        let (_dir, path, daemon) = fake_chatd(1, |_, _| vec![ok(json!({"seq": 1}))]);
        let mut child = Command::new(CHAT)
            .args(socket_args(&path, args))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run chat watch");
        let seen = daemon.join().expect("daemon");
        child.kill().expect("kill chat watch");
        child.wait().expect("reap chat watch");
        assert_eq!(seen[0]["params"]["events"], kinds, "{args:?}");
    }
}

/// A transfer as chatd reports it, `bytes` of 4096 moved.
fn upload(state: &str, bytes: u64) -> Value {
    json!({
        "id": "7d9e0b1a-0000-4000-8000-000000000001",
        "message": "0f8a3c2e-1111-4222-8333-444455556666",
        "direction": "upload", "peer": "bob", "name": "a.txt", "size": 2000,
        "bytes": bytes, "total": 4096, "state": state,
        "created": 1, "updated": 2
    })
}

/// A `transfer` event line.
fn transfer_event(seq: u64, transfer: Value, progress: bool) -> String {
    let mut params = json!({"seq": seq, "type": "transfer", "transfer": transfer});
    if progress {
        params["progress"] = json!(true);
    }
    json!({"jsonrpc": "2.0", "method": "event", "params": params}).to_string()
}

/// A fake chatd that answers `subscribe`, then `send_file` with a waiting
/// upload followed by these events.
fn fake_upload(events: Vec<String>) -> (tempfile::TempDir, PathBuf, JoinHandle<Vec<Value>>) {
    fake_chatd(2, move |method, _| match method {
        "subscribe" => vec![ok(json!({"seq": 1}))],
        "send_file" => {
            let sent = json!({"id": "0f8a3c2e-1111-4222-8333-444455556666",
                              "transfer": upload("waiting", 0)});
            let mut out = vec![ok(sent)];
            out.extend(events.iter().cloned());
            out
        }
        _ => vec![],
    })
}

#[test]
fn send_file_waits_for_the_upload_and_prints_each_event_as_json() {
    let (dir, path, daemon) = fake_upload(vec![
        transfer_event(2, upload("active", 0), false),
        transfer_event(2, upload("active", 2048), true),
        transfer_event(3, upload("done", 4096), false),
    ]);
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "x".repeat(2000)).expect("write");
    let out = chat(
        &socket_args(
            &path,
            &["--json", "send-file", "bob", file.to_str().expect("utf-8")],
        ),
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[1]["progress"], true);
    assert_eq!(lines[1]["transfer"]["bytes"], 2048);
    assert_eq!(lines[3]["id"], "0f8a3c2e-1111-4222-8333-444455556666");
    assert_eq!(lines[3]["transfer"]["state"], "done");
    let seen = daemon.join().expect("daemon");
    assert_eq!(seen[0]["params"]["events"], json!(["transfer"]));
    assert_eq!(seen[1]["params"]["to"], "bob");
    assert_eq!(seen[1]["params"]["path"], file.to_str().expect("utf-8"));
}

#[test]
fn a_failed_upload_exits_1_with_chatds_reason() {
    let mut failed = upload("failed", 1024);
    failed["error"] = json!("the server keeps no files");
    let (dir, path, _daemon) = fake_upload(vec![
        transfer_event(2, upload("active", 1024), false),
        transfer_event(3, failed, false),
    ]);
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "x").expect("write");
    let file = file.to_str().expect("utf-8");
    let out = chat(&socket_args(&path, &["send-file", "bob", file]), "");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "chat: upload of a.txt to bob failed: the server keeps no files\n"
    );
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
}

#[test]
fn a_cancelled_upload_is_a_json_error_under_json() {
    let (dir, path, _daemon) = fake_upload(vec![transfer_event(2, upload("cancelled", 0), false)]);
    let file = dir.path().join("a.txt");
    std::fs::write(&file, "x").expect("write");
    let file = file.to_str().expect("utf-8");
    let out = chat(
        &socket_args(&path, &["--json", "send-file", "bob", file]),
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let err: Value = serde_json::from_slice(&out.stderr).expect("one JSON object");
    assert_eq!(err["data"]["code"], "transfer_cancelled", "{err}");
    assert_eq!(err["data"]["transfer"]["state"], "cancelled", "{err}");
    // The event line came first on stdout, and no result after it.
    assert_eq!(text(&out.stdout).lines().count(), 1);
}
