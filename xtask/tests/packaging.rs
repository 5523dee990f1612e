//! packaging/ checked with the tools that will read it: install.sh lays out
//! the expected tree under DESTDIR, systemd-analyze accepts every unit
//! without a word, desktop-file-validate accepts the desktop entry, and
//! chatd behaves as its units promise (readiness on $NOTIFY_SOCKET, a
//! socket handed over by systemd-socket-activate).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use serde_json::json;
use test_support::{RpcClient, wait_for};

/// How long any one wait may take.
const WAIT: Duration = Duration::from_secs(30);
/// The programs install.sh knows.
const PROGRAMS: [&str; 6] = [
    "chatd",
    "chat",
    "chat-notify",
    "chat-server",
    "chat-tui",
    "chat-gui",
];

fn repo() -> PathBuf {
    xtask::repo_root()
}

/// Runs `cmd`, failing with a hint when the tool is not installed.
fn run(cmd: &mut Command, package: &str) -> Output {
    let program = cmd.get_program().to_string_lossy().to_string();
    cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {program} ({e}); `apt-get install {package}` (.ci/packages.d/desktop.txt)"
        )
    })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A directory of stand-in executables for install.sh to copy (the real
/// chat-gui is slow to build, and install.sh only copies files).
fn fake_target(dir: &Path, programs: &[&str]) -> PathBuf {
    let target = dir.join("target");
    std::fs::create_dir_all(&target).unwrap();
    for p in programs {
        let path = target.join(p);
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    target
}

fn install(target: &Path, prefix: &Path, destdir: Option<&Path>) -> Output {
    let mut cmd = Command::new(repo().join("packaging/install.sh"));
    cmd.env("PREFIX", prefix).env("TARGET_DIR", target);
    match destdir {
        Some(d) => cmd.env("DESTDIR", d),
        None => cmd.env_remove("DESTDIR"),
    };
    for var in [
        "BINDIR",
        "DATADIR",
        "MANDIR",
        "SYSTEMD_USER_DIR",
        "SYSTEMD_SYSTEM_DIR",
    ] {
        cmd.env_remove(var);
    }
    run(&mut cmd, "coreutils")
}

fn files_under(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[test]
fn install_lays_out_every_file_under_destdir() {
    let dir = tempfile::tempdir().unwrap();
    let target = fake_target(dir.path(), &PROGRAMS);
    let dest = dir.path().join("dest");
    let out = install(&target, Path::new("/usr"), Some(&dest));
    assert!(out.status.success(), "{}", text(&out));
    let mut expected: Vec<String> = vec![
        "usr/lib/systemd/system/chat-server-node.service".into(),
        "usr/lib/systemd/system/chat-server.service".into(),
        "usr/share/applications/chat-gui.desktop".into(),
        "usr/share/systemd/user/chat-notify.service".into(),
        "usr/share/systemd/user/chatd.service".into(),
        "usr/share/systemd/user/chatd.socket".into(),
        "usr/share/man/man5/chatd.toml.5".into(),
    ];
    if repo()
        .join("packaging/dbus/org.securechat.Chatd1.service")
        .exists()
    {
        expected.push("usr/share/dbus-1/services/org.securechat.Chatd1.service".into());
    }
    for p in PROGRAMS {
        expected.push(format!("usr/bin/{p}"));
        for section in ["1", "8"] {
            if repo().join(format!("man/{p}.{section}")).exists() {
                expected.push(format!("usr/share/man/man{section}/{p}.{section}"));
            }
        }
        if repo().join(format!("completions/{p}.bash")).exists() {
            expected.push(format!("usr/share/bash-completion/completions/{p}"));
            expected.push(format!("usr/share/zsh/site-functions/_{p}"));
            expected.push(format!("usr/share/fish/vendor_completions.d/{p}.fish"));
        }
    }
    expected.sort();
    assert_eq!(files_under(&dest), expected);
    // The units run the programs from PREFIX, not from the staging dir.
    let unit = std::fs::read_to_string(dest.join("usr/share/systemd/user/chatd.service")).unwrap();
    assert!(
        unit.contains("ExecStart=/usr/bin/chatd --socket=%t/securechat/chatd.sock"),
        "{unit}"
    );
    let mode = |p: &str| {
        std::fs::metadata(dest.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode("usr/bin/chatd"), 0o755);
    assert_eq!(mode("usr/share/man/man1/chat.1"), 0o644);
    // Nothing is written outside DESTDIR's tree (and no hints for a person).
    assert!(!text(&out).contains("systemctl"), "{}", text(&out));
}

#[test]
fn install_installs_only_what_was_built_and_refuses_without_chatd() {
    let dir = tempfile::tempdir().unwrap();
    let target = fake_target(dir.path(), &["chatd", "chat"]);
    let prefix = dir.path().join("prefix");
    let out = install(&target, &prefix, None);
    assert!(out.status.success(), "{}", text(&out));
    let files = files_under(&prefix);
    assert!(files.contains(&"bin/chat".to_string()));
    assert!(files.contains(&"share/systemd/user/chatd.socket".to_string()));
    assert!(
        !files
            .iter()
            .any(|f| f.contains("chat-notify") || f.contains("chat-gui"))
    );
    assert!(
        text(&out).contains("chat-notify was not built"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("systemctl --user enable --now chatd.socket"));

    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = install(&empty, &prefix, None);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("cargo build --release"),
        "{}",
        text(&out)
    );
    let out = install(&target, Path::new("relative/prefix"), None);
    assert!(!out.status.success());
    assert!(text(&out).contains("absolute"), "{}", text(&out));
}

#[test]
fn systemd_analyze_verify_accepts_every_unit_silently() {
    let dir = tempfile::tempdir().unwrap();
    let target = fake_target(dir.path(), &PROGRAMS);
    let prefix = dir.path().join("prefix");
    let out = install(&target, &prefix, None);
    assert!(out.status.success(), "{}", text(&out));
    let runtime = dir.path().join("runtime");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    let user = prefix.join("share/systemd/user");
    let units: Vec<PathBuf> = ["chatd.socket", "chatd.service", "chat-notify.service"]
        .iter()
        .map(|u| user.join(u))
        .collect();
    // systemd 252 reports unknown keys as warnings with exit 0: any output
    // at all is a failure.
    let out = run(
        Command::new("systemd-analyze")
            .args(["--user", "--man=no", "verify"])
            .args(&units)
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("HOME", dir.path()),
        "systemd",
    );
    assert!(
        out.status.success() && text(&out).is_empty(),
        "user units:\n{}",
        text(&out)
    );
    let out = run(
        Command::new("systemd-analyze")
            .args(["--man=no", "verify"])
            .arg(prefix.join("lib/systemd/system/chat-server.service"))
            .arg(prefix.join("lib/systemd/system/chat-server-node.service")),
        "systemd",
    );
    assert!(
        out.status.success() && text(&out).is_empty(),
        "system unit:\n{}",
        text(&out)
    );
}

#[test]
fn the_units_agree_with_each_other_and_with_chatd() {
    let read = |p: &str| std::fs::read_to_string(repo().join("packaging").join(p)).unwrap();
    let socket = read("systemd/user/chatd.socket");
    let service = read("systemd/user/chatd.service");
    let listen = socket
        .lines()
        .find_map(|l| l.strip_prefix("ListenStream="))
        .unwrap();
    // chatd must be told the path the socket unit listens on (D6).
    assert!(service.contains(&format!("--socket={listen}")), "{service}");
    assert!(service.contains("Type=notify") && service.contains("UMask=0077"));
    let notify = read("systemd/user/chat-notify.service");
    assert!(notify.contains("PartOf=chatd.service") && notify.contains("After=chatd.service"));
    if let Ok(dbus) =
        std::fs::read_to_string(repo().join("packaging/dbus/org.securechat.Chatd1.service"))
    {
        assert!(dbus.contains("SystemdService=chatd.service"), "{dbus}");
    }
}

#[test]
fn the_desktop_entry_validates() {
    let out = run(
        Command::new("desktop-file-validate").arg(repo().join("packaging/chat-gui.desktop")),
        "desktop-file-utils",
    );
    assert!(
        out.status.success() && text(&out).is_empty(),
        "{}",
        text(&out)
    );
}

/// A child killed on drop.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chatd's own flags for a daemon in `dir` whose server is not there (it
/// starts all the same, offline).
fn chatd_args(dir: &Path, socket: &Path) -> Vec<String> {
    [
        "--server",
        "127.0.0.1:9",
        "--plaintext",
        "--no-dbus",
        "--data-dir",
        &dir.join("data").display().to_string(),
        "--config",
        &dir.join("chatd.toml").display().to_string(),
        "--socket",
        &socket.display().to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn log_file(path: &Path) -> Stdio {
    Stdio::from(std::fs::File::create(path).unwrap())
}

#[test]
fn chatd_reports_readiness_once_its_socket_accepts_and_stopping_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let notify_path = dir.path().join("notify.sock");
    let listener = UnixDatagram::bind(&notify_path).unwrap();
    listener.set_read_timeout(Some(WAIT)).unwrap();
    let socket = dir.path().join("run/chatd.sock");
    let child = Command::new(test_support::daemon::binary("chatd").unwrap())
        .args(chatd_args(dir.path(), &socket))
        .env("NOTIFY_SOCKET", &notify_path)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(&dir.path().join("chatd.log")))
        .spawn()
        .unwrap();
    let mut chatd = Guard(child);
    let log = || std::fs::read_to_string(dir.path().join("chatd.log")).unwrap_or_default();
    let mut buf = [0u8; 4096];
    let n = listener.recv(&mut buf).unwrap_or_else(|e| {
        panic!(
            "no readiness message within {WAIT:?} ({e}); log:\n{}",
            log()
        )
    });
    let message = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(message.lines().any(|l| l == "READY=1"), "{message:?}");
    // Ready means the socket accepts now, not soon.
    std::os::unix::net::UnixStream::connect(&socket).unwrap();
    assert!(
        Command::new("kill")
            .args(["-TERM", &chatd.0.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let n = listener.recv(&mut buf).unwrap();
    let message = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(message.lines().any(|l| l == "STOPPING=1"), "{message:?}");
    let status = chatd.0.wait().unwrap();
    assert!(
        status.success(),
        "chatd exited with {status}; log:\n{}",
        log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chatd_serves_the_socket_systemd_socket_activate_hands_it() {
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run");
    std::fs::create_dir_all(&run_dir).unwrap();
    std::fs::set_permissions(&run_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = run_dir.join("chatd.sock");
    let chatd = test_support::daemon::binary("chatd").unwrap();
    let log_path = dir.path().join("chatd.log");
    let child = Command::new("systemd-socket-activate")
        .arg("-l")
        .arg(&socket)
        .args(["-E", "RUST_LOG=info"])
        .arg(&chatd)
        .args(chatd_args(dir.path(), &socket))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log_file(&log_path))
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run systemd-socket-activate ({e}); `apt-get install systemd`")
        });
    let _activator = Guard(child);
    let log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    let path = socket.clone();
    wait_for("systemd-socket-activate to listen", WAIT, || {
        let exists = path.exists();
        async move { exists.then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}; log:\n{}", log()));
    // The first connection starts chatd, which answers on the socket it was
    // handed rather than one of its own.
    let mut client = RpcClient::connect(&socket).await.unwrap();
    let status = client
        .ok("status", json!({}))
        .await
        .unwrap_or_else(|e| panic!("{e}; log:\n{}", log()));
    assert!(status["version"].is_string(), "{status}");
    assert!(
        log().contains("using the socket passed by systemd"),
        "log:\n{}",
        log()
    );
    // A second client reaches the same daemon.
    let mut second = RpcClient::connect(&socket).await.unwrap();
    second.ok("status", json!({})).await.unwrap();
}
