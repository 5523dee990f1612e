//! The local boundary (issue 10.13): chatd serves its own user only. A
//! process of another uid (the tests run as root and drop to `nobody`) is
//! refused by the socket, even when file modes would let it connect, and by
//! the D-Bus methods; the API offers nothing that signs, decrypts or
//! exports with the identity key; and a whole session logged at the most
//! verbose level leaves no password, token, private key or message text in
//! the logs of the server or either daemon.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod dbus_bus;

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::*;
use dbus_bus::{Bus, IFACE, NAME, PATH};
use test_support::daemon::DaemonEnv;

/// The uid and gid of `nobody`.
const NOBODY: u32 = 65534;

/// The system python (a pyenv shim under /root is not runnable as nobody).
fn python() -> String {
    std::env::var("SECURECHAT_PYTHON").unwrap_or_else(|_| "/usr/bin/python3".into())
}

/// Connects to `socket` as `uid`, sends `status`, and says what happened:
/// `connect-failed <errno>`, `closed` (chatd hung up without a word) or
/// `answered <line>`.
const PROBE: &str = r#"
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect-failed", e.errno)
    sys.exit(0)
s.settimeout(30)
try:
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"status"}\n')
    data = s.recv(65536)
except socket.timeout:
    print("timeout")
    sys.exit(0)
except OSError as e:
    print("closed", e.errno)
    sys.exit(0)
print("answered " + data.decode(errors="replace") if data else "closed")
"#;

fn probe_socket(socket: &Path, uid: u32) -> String {
    let out = as_user(Command::new(python()).args(["-c", PROBE]).arg(socket), uid);
    assert!(out.status.success(), "probe: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs `cmd` as `uid` (gid the same) with a bare environment.
fn as_user(cmd: &mut Command, uid: u32) -> Output {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/")
        .stdin(Stdio::null());
    if uid != 0 {
        // std drops the supplementary groups when root sets a uid.
        cmd.uid(uid).gid(uid);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A chatd that stays offline (nothing listens on port 9).
async fn offline_chatd(dir: &Path, env: DaemonEnv) -> DaemonProcess {
    let args = ["--server", "127.0.0.1:9", "--plaintext"].map(String::from);
    DaemonProcess::start_with_env(dir, args.to_vec(), env)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_refuses_another_uid_even_when_modes_let_it_in() {
    let top = tempfile::tempdir().unwrap();
    chmod(top.path(), 0o755);
    let d = offline_chatd(&top.path().join("alice"), DaemonEnv::default()).await;
    d.client()
        .await
        .unwrap()
        .ok("status", json!({}))
        .await
        .unwrap();

    // First line: the 0700 directory keeps nobody from reaching the socket.
    assert_eq!(probe_socket(&d.socket, NOBODY), "connect-failed 13");

    // Second line: with the modes opened up, chatd itself checks the
    // peer's uid and hangs up without answering.
    chmod(d.socket.parent().unwrap(), 0o755);
    chmod(&d.socket, 0o666);
    let seen = probe_socket(&d.socket, NOBODY);
    assert!(seen.starts_with("closed"), "nobody got: {seen}");
    assert!(
        d.log_text()
            .contains("refused a local connection from another user"),
        "{}",
        d.log_text()
    );
    // The same probe as chatd's own user is answered.
    let seen = probe_socket(&d.socket, 0);
    assert!(seen.starts_with("answered "), "root got: {seen}");
}

/// `gdbus call` of a chatd method as `uid`.
fn gdbus_as(bus: &Bus, uid: u32, method: &str, args: &[&str]) -> Output {
    as_user(
        Command::new("gdbus")
            .args(["call", "--address", &bus.address, "--dest", NAME])
            .args(["--object-path", PATH, "--method"])
            .arg(format!("{IFACE}.{method}"))
            .args(args),
        uid,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn d_bus_methods_refuse_another_uid() {
    let bus = Bus::start_open_to_all_users();
    let dir = tempfile::tempdir().unwrap();
    let _d = offline_chatd(dir.path(), bus.env()).await;
    bus.wait_for_name().await;

    let own = gdbus_as(&bus, 0, "Status", &[]);
    assert!(own.status.success(), "root: {}", stderr(&own));

    for (method, args) in [
        ("Status", &[][..]),
        ("Login", &["alice", "a password nobody knows"][..]),
        ("History", &["alice", "50", "0"][..]),
    ] {
        let out = gdbus_as(&bus, NOBODY, method, args);
        assert!(!out.status.success(), "{method} as nobody succeeded");
        let e = stderr(&out);
        assert!(
            e.contains("org.securechat.Chatd1.Error.AccessDenied") && e.contains("uid 65534"),
            "{method} as nobody: {e}"
        );
    }
}

/// Words that would mean the API hands out the identity key's power.
const KEY_POWERS: &[&str] = &[
    "sign", "decrypt", "encrypt", "unwrap", "wrap", "seal", "unseal", "export", "import",
    "private", "secret", "key", "keys", "identity", "raw", "backup", "dump",
];

fn words(snake: &str) -> Vec<String> {
    snake.split('_').map(str::to_lowercase).collect()
}

fn snake(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The API offers no raw sign, decrypt or key export: every operation with
/// the identity key is a step of the protocol chatd runs itself. A method
/// that adds such a power has to pass this test's review.
#[test]
fn the_api_has_no_raw_sign_decrypt_or_key_export() {
    let xml = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/dbus/org.securechat.Chatd1.xml"),
    )
    .unwrap();
    let dbus: Vec<String> = xml
        .split(r#"<method name=""#)
        .skip(1)
        .map(|rest| snake(&rest[..rest.find('"').unwrap()]))
        .collect();
    assert!(!dbus.is_empty());
    let socket: Vec<String> = chatd_api::METHODS.iter().map(|m| m.to_string()).collect();
    for method in socket.iter().chain(&dbus) {
        for w in words(method) {
            assert!(
                !KEY_POWERS.contains(&w.as_str()),
                "local-API method {method} sounds like raw key use ({w})"
            );
        }
    }
}

/// Reads a setting from a daemon's database (the session token).
fn setting(d: &DaemonProcess, key: &str) -> Option<String> {
    let db = rusqlite::Connection::open_with_flags(
        d.dir.join("data/chatd.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
        r.get(0)
    })
    .ok()
}

/// Every base64 line of a daemon's identity key PEM (private key body).
fn private_key_lines(d: &DaemonProcess) -> Vec<String> {
    let pem = std::fs::read_to_string(d.dir.join("data/identity.pem")).unwrap();
    assert!(
        pem.contains("PRIVATE KEY"),
        "the identity file holds the private key"
    );
    let body: Vec<String> = pem
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .map(str::to_string)
        .collect();
    let mut all = body.clone();
    all.push(body.concat());
    all
}

/// Collects each distinct token a daemon holds over the scenario.
fn note_token(d: &DaemonProcess, tokens: &mut Vec<String>) {
    if let Some(t) = setting(d, "token")
        && !tokens.contains(&t)
    {
        tokens.push(t);
    }
}

/// `env` with `RUST_LOG=trace` added.
fn traced(mut env: DaemonEnv) -> DaemonEnv {
    env.set.push(("RUST_LOG".into(), "trace".into()));
    env
}

async fn traced_chatd(dir: &Path, server: &ServerProcess, env: DaemonEnv) -> DaemonProcess {
    let args = vec![
        "--server".into(),
        server.addr.to_string(),
        "--server-fingerprint".into(),
        server.fingerprint.clone(),
        "--plaintext".into(),
    ];
    DaemonProcess::start_with_env(dir, args, traced(env))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_session_at_trace_level_logs_no_secret() {
    let bin = test_support::daemon::binary("chat-server").unwrap();
    let server = ServerProcess::start_logging(&bin, &[], "trace").unwrap();
    let top = tempfile::tempdir().unwrap();
    // alice's daemon also serves D-Bus, so zbus logs at trace level too.
    let bus = Bus::start();
    let mut ad = traced_chatd(&top.path().join("alice"), &server, bus.env()).await;
    bus.wait_for_name().await;
    let bd = traced_chatd(&top.path().join("bob"), &server, DaemonEnv::default()).await;
    let (pa, pa2, pb) = (
        "first-Old-passphrase-7Qx",
        "second-New-passphrase-9Kz",
        "third-passphrase-4Wm-long",
    );
    let texts = [
        "text-one-3f9c2e-only-alice-and-bob",
        "text-two-8d1a7b-only-alice-and-bob",
        "text-three-5e6f0c-after-the-change",
    ];
    let mut tokens = Vec::new();

    let mut alice = ad.client().await.unwrap();
    wait_state(&mut alice, "connected").await;
    alice
        .ok("signup", json!({"username": "alice", "password": pa}))
        .await
        .unwrap();
    note_token(&ad, &mut tokens);
    let mut bob = bd.client().await.unwrap();
    wait_state(&mut bob, "connected").await;
    bob.ok("signup", json!({"username": "bob", "password": pb}))
        .await
        .unwrap();
    note_token(&bd, &mut tokens);
    bob.ok("subscribe", json!({})).await.unwrap();

    // logout, then login with the password (over D-Bus).
    alice.ok("logout", json!({})).await.unwrap();
    bus.gdbus_call("Login", &["alice", pa]).unwrap();
    note_token(&ad, &mut tokens);

    // send and receive, both ways.
    alice
        .ok("send", json!({"to": "bob", "text": texts[0]}))
        .await
        .unwrap();
    expect_message(&mut bob, "alice", texts[0]).await;
    alice.ok("subscribe", json!({})).await.unwrap();
    bob.ok("send", json!({"to": "alice", "text": texts[1]}))
        .await
        .unwrap();
    expect_message(&mut alice, "bob", texts[1]).await;

    // resume: a restarted daemon logs in with its stored token.
    ad.terminate().unwrap();
    ad.restart().await.unwrap();
    let mut alice = ad.client().await.unwrap();
    wait_state(&mut alice, "logged_in").await;
    note_token(&ad, &mut tokens);

    // change_password, then one more message under it.
    alice
        .ok(
            "change_password",
            json!({"password": pa, "new_password": pa2}),
        )
        .await
        .unwrap();
    note_token(&ad, &mut tokens);
    alice
        .ok("send", json!({"to": "bob", "text": texts[2]}))
        .await
        .unwrap();
    expect_message(&mut bob, "alice", texts[2]).await;
    note_token(&bd, &mut tokens);
    assert!(tokens.len() >= 3, "tokens seen: {}", tokens.len());

    let mut secrets: Vec<(String, String)> = Vec::new();
    for p in [pa, pa2, pb] {
        secrets.push(("a password".into(), p.into()));
    }
    for t in &tokens {
        secrets.push(("a session token".into(), t.clone()));
    }
    for d in [&ad, &bd] {
        for l in private_key_lines(d) {
            secrets.push(("identity private key text".into(), l));
        }
    }
    for t in texts {
        secrets.push(("a message text".into(), t.into()));
    }

    let logs: Vec<(PathBuf, String)> = [
        server.data_dir().join("server.log"),
        ad.dir.join("chatd.log"),
        bd.dir.join("chatd.log"),
    ]
    .into_iter()
    .map(|p| {
        let text = std::fs::read_to_string(&p).unwrap();
        (p, text)
    })
    .collect();
    // The logs are really there: the server's has its debug and trace
    // lines (chatd's own paths log nothing below info in this scenario, and
    // zbus is built without its tracing feature).
    let (server_log, rest) = logs.split_first().unwrap();
    assert!(
        server_log.1.contains("DEBUG") || server_log.1.contains("TRACE"),
        "the server's log has no debug or trace lines:\n{}",
        server_log.1
    );
    for (path, text) in rest {
        assert!(text.contains("logged in"), "{}:\n{text}", path.display());
    }
    let mut found = Vec::new();
    for (path, text) in &logs {
        for (what, secret) in &secrets {
            if let Some(line) = text.lines().find(|l| l.contains(secret.as_str())) {
                found.push(format!("{what} in {}: {line}", path.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "secrets in the logs:\n{}",
        found.join("\n")
    );
}
