//! Where chatd finds things: XDG variables and chatd.toml when no flag is
//! given, and a clear refusal, naming both fingerprints, when the server's
//! key is not the pinned one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::process::{Command, Stdio};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for_socket(path: &std::path::Path) -> RpcClient {
    let what = format!("chatd's socket at {}", path.display());
    test_support::wait::until_async(&what, async || RpcClient::connect(path).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xdg_directories_and_chatd_toml_are_honoured() {
    let w = World::new();
    let root = w.dir.path();
    let (config, data, runtime) = (root.join("config"), root.join("data"), root.join("run"));
    std::fs::create_dir_all(config.join("securechat")).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::write(
        config.join("securechat/chatd.toml"),
        format!(
            "server = \"{}\"\nserver_fingerprint = \"{}\"\nplaintext = true\n",
            w.server.addr, w.server.fingerprint
        ),
    )
    .unwrap();
    let child = Command::new(test_support::daemon::binary("chatd").unwrap())
        .arg("--no-dbus")
        .env("XDG_CONFIG_HOME", &config)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_RUNTIME_DIR", &runtime)
        .env_remove("CHATD_SOCKET")
        .env("HOME", root)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let _guard = Killed(child);
    let mut c = wait_for_socket(&runtime.join("securechat/chatd.sock")).await;
    let s = c.ok("status", json!({})).await.unwrap();
    assert_eq!(s["server"], w.server.addr.to_string());
    assert!(data.join("securechat/identity.pem").exists());
    assert!(data.join("securechat/chatd.db").exists());
    wait_state(&mut c, "connected").await;
    assert_eq!(
        c.ok("status", json!({})).await.unwrap()["server_fingerprint"],
        w.server.fingerprint.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_server_key_is_refused_naming_both_fingerprints() {
    // A TLS server (not plaintext), and a pin that is not its key.
    let bin = test_support::daemon::binary("chat-server").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProcess::start_with(
        &bin,
        &dir.path().join("server"),
        &["--bcrypt-cost", "4"],
        "127.0.0.1:0",
    )
    .unwrap();
    let wrong = "ab".repeat(32);
    let d = DaemonProcess::start_with(
        &dir.path().join("alice"),
        vec![
            "--server".into(),
            server.addr.to_string(),
            "--server-fingerprint".into(),
            wrong.clone(),
        ],
    )
    .await
    .unwrap();
    let mut c = d.client().await.unwrap();
    let log =
        test_support::wait::until_async("chatd to log the fingerprint mismatch", async || {
            let log = d.log_text();
            log.contains("mismatch").then_some(log)
        })
        .await;
    assert!(
        log.contains(&wrong) && log.contains(&server.fingerprint),
        "{log}"
    );
    let s = c.ok("status", json!({})).await.unwrap();
    assert_ne!(s["state"], "connected");
    assert_ne!(s["state"], "logged_in");
    // Frontends can show why: status carries the last error.
    let error = s["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&wrong) && error.contains(&server.fingerprint),
        "{s}"
    );
    let e = c
        .call("signup", json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "offline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_chatd_cleanly_and_removes_its_socket() {
    let w = World::new();
    let mut d = w.daemon("alice").await;
    d.client()
        .await
        .unwrap()
        .ok("status", json!({}))
        .await
        .unwrap();
    let status = d.terminate().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(!d.socket.exists());
}
