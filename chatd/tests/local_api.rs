//! Bad input on the local socket gets JSON-RPC errors, and the daemon keeps
//! serving; the socket and its directory are private.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::os::unix::fs::PermissionsExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_errors_and_the_daemon_keeps_serving() {
    let w = World::new();
    let d = w.daemon("alice").await;
    let mut c = d.client().await.unwrap();
    let cases: Vec<(&[u8], i64)> = vec![
        (b"not json\n", -32700),
        (b"[1,2]\n", -32600),
        (b"{\"id\":1,\"method\":\"status\"}\n", -32600),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"teleport\"}\n",
            -32601,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"send\",\"params\":{\"to\":5}}\n",
            -32602,
        ),
        (
            b"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"send\",\"params\":[1]}\n",
            -32602,
        ),
        (b"\xff\xfe\n", -32700),
    ];
    for (line, code) in cases {
        c.write_raw(line).await.unwrap();
        let v = c.read_value().await.unwrap().expect("answer");
        assert_eq!(
            v["error"]["code"],
            code,
            "{}",
            String::from_utf8_lossy(line)
        );
    }
    // Domain errors carry their name.
    let e = c
        .call("send", json!({"to": "bob", "text": "x"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(
        (e["code"].as_i64(), err_code(&e)),
        (Some(-32001), "not_logged_in".into())
    );
    let e = c
        .call(
            "signup",
            json!({"username": "bad name", "password": PASSWORD}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "invalid_input");
    let e = c
        .call("signup", json!({"username": "alice", "password": "short"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "invalid_input");
    assert!(
        e["message"].as_str().unwrap().contains("at least 15"),
        "{e}"
    );
    let e = c.call("history", json!({})).await.unwrap().unwrap_err();
    assert_eq!(e["code"], -32602);
    // A notification (no id) gets no answer; the next call still works.
    c.write_raw(b"{\"jsonrpc\":\"2.0\",\"method\":\"status\"}\n")
        .await
        .unwrap();
    let s = c.ok("status", json!({})).await.unwrap();
    assert_eq!(s["version"], env!("CARGO_PKG_VERSION"));

    // A line over 1 MiB closes that connection only.
    let mut big = d.client().await.unwrap();
    big.write_raw(&vec![b'x'; 1024 * 1024 + 10]).await.unwrap();
    let v = big.read_value().await.unwrap().expect("error line");
    assert_eq!(v["error"]["code"], -32600);
    assert!(big.read_value().await.unwrap().is_none(), "closed");
    assert!(c.ok("status", json!({})).await.is_ok());

    // Signup then a second account on the same daemon is refused.
    wait_state(&mut c, "connected").await;
    c.ok("signup", json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap();
    let e = c
        .call(
            "login",
            json!({"username": "mallory", "password": PASSWORD}),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "invalid_input");
    let e = c
        .call("message", json!({"id": "no-such-id"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "invalid_input");
    let e = c
        .call("send", json!({"to": "nobody", "text": "hello?"}))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(err_code(&e), "no_such_user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_private_and_a_second_daemon_refuses_it() {
    let w = World::new();
    let d = w.daemon("alice").await;
    // Once the daemon answers, everything it makes at start exists.
    d.client()
        .await
        .unwrap()
        .ok("status", json!({}))
        .await
        .unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&d.socket), 0o600);
    assert_eq!(mode(d.socket.parent().unwrap()), 0o700);
    assert_eq!(mode(&d.dir.join("data/identity.pem")), 0o600);
    // A second chatd on the same socket refuses to start.
    let out = std::process::Command::new(test_support::daemon::binary("chatd").unwrap())
        .args([
            "--plaintext",
            "--server",
            &w.server.addr.to_string(),
            "--socket",
        ])
        .arg(&d.socket)
        .arg("--data-dir")
        .arg(w.dir.path().join("other"))
        .arg("--no-dbus")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already serving"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        d.client()
            .await
            .unwrap()
            .ok("status", json!({}))
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_socket_is_replaced() {
    let w = World::new();
    let mut d = w.daemon("alice").await;
    d.kill9();
    assert!(d.socket.exists(), "kill -9 leaves the socket file behind");
    d.restart().await.unwrap();
    assert!(
        d.client()
            .await
            .unwrap()
            .ok("status", json!({}))
            .await
            .is_ok()
    );
}
