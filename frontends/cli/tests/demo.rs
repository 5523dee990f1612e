//! `chat demo`, the README's first command, run for real: it must start a
//! server and two daemons, show the conversation with receipts, clean up
//! and exit 0.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

#[test]
fn the_demo_runs_end_to_end_and_cleans_up() {
    // The demo finds chat-server and chatd next to `chat`; make sure they
    // are built when only this package's tests run.
    test_support::daemon::binary("chat-server").unwrap();
    test_support::daemon::binary("chatd").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chat"))
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "demo failed:\n{stdout}\n{stderr}");
    for needle in [
        "alice → bob",
        "bob → alice",
        "✓✓ read",
        "✓✓ delivered",
        "removed /",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
    let removed = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("→ removed "))
        .expect("temp dir line");
    assert!(
        !std::path::Path::new(removed.trim()).exists(),
        "temp dir left behind"
    );
}

#[test]
fn commands_talk_to_a_real_daemon() {
    // status/signup/send/history through the real binary, --json output.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let server = test_support::ServerProcess::start(
            &test_support::daemon::binary("chat-server").unwrap(),
            &[],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let d = test_support::DaemonProcess::start(
            &dir.path().join("alice"),
            server.addr,
            &server.fingerprint,
        )
        .await
        .unwrap();
        let chat = |args: &[&str], stdin: &str| {
            use std::io::Write;
            let mut child = Command::new(env!("CARGO_BIN_EXE_chat"))
                .arg("--socket")
                .arg(&d.socket)
                .args(args)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(stdin.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        };
        let mut c = d.client().await.unwrap();
        test_support::wait::until_async("chatd to leave the offline state", async || {
            c.ok("status", serde_json::json!({})).await.unwrap()["state"] != "offline"
        })
        .await;
        let out = chat(
            &["--json", "signup", "alice", "--password-stdin"],
            "correct horse battery\n",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = chat(&["--json", "send", "alice"], "a note to self\n");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sent: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(sent["queued"], false);
        let out = chat(&["--json", "history", "alice"], "");
        let h: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            h["messages"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["text"] == "a note to self"),
            "{h}"
        );
        // A refusal exits 4 and says why on stderr.
        let out = chat(&["send", "nobody-here", "hi"], "");
        assert_eq!(
            out.status.code(),
            Some(4),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stderr.is_empty());
    });
}
