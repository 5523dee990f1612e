//! The binary's command line: refusals that protect the operator, the
//! fingerprint subcommand, the startup lines, and TLS with an openssl key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::process::Command;

/// A plaintext server on a loopback port in a fresh data dir, with `extra`.
fn run_local(extra: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    let mut args = vec![
        "--plaintext",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data_dir,
    ];
    args.extend(extra);
    run(&args)
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(binary())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs")
}

#[test]
fn plaintext_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "--plaintext",
        "--listen",
        "0.0.0.0:0",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--plaintext is refused on 0.0.0.0") && err.contains("loopback"),
        "{err}"
    );
}

#[test]
fn fingerprint_of_an_openssl_key_matches_openssl() {
    let key = test_support::fixtures::testdata().join("openssl/pkcs1.pem");
    let out = run(&["fingerprint", "--key", key.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = std::fs::read_to_string(
        test_support::fixtures::testdata().join("openssl/pkcs1.fingerprint"),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want.trim());
    let out = run(&["fingerprint", "--key", "/nonexistent/key.pem"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/key.pem"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let out = run(&["--bcrypt-cost", "99"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["--listen", "not-an-address"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn tls_with_an_openssl_key_and_its_pinned_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let key = test_support::fixtures::testdata().join("openssl/pkcs8.pem");
    // Copy with 0600 so the server does not warn.
    let copy = dir.path().join("key.pem");
    std::fs::copy(&key, &copy).unwrap();
    let srv = ServerProcess::start_with(
        binary(),
        dir.path(),
        &["--key", copy.to_str().unwrap(), "--bcrypt-cost", "4"],
        "127.0.0.1:0",
    )
    .unwrap();
    let out = run(&["fingerprint", "--key", copy.to_str().unwrap()]);
    let pin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(pin, srv.fingerprint);
    let mut c = WireClient::connect_tls(srv.addr, Some(pin.clone()))
        .await
        .unwrap();
    let hello_key = chat_proto::crypto::public_key_from_pem(&c.server_key).unwrap();
    assert_eq!(chat_proto::crypto::fingerprint(&hello_key), pin);
    assert!(matches!(
        c.signup("alice", PASSWORD, &alice_key()).await.unwrap(),
        ServerMessage::SignupOk { .. }
    ));
    assert!(matches!(
        c.login("alice", PASSWORD, &alice_key()).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    // A wrong pin aborts the handshake naming both fingerprints.
    let wrong = "0".repeat(64);
    let err = WireClient::connect_tls(srv.addr, Some(wrong.clone()))
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(err.contains(&wrong) && err.contains(&pin), "{err}");
    // A plaintext client gets no hello from a TLS server: its frame is not
    // a ClientHello, so the server ends the handshake.
    let mut tcp = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tcp.write_all(&chat_proto::codec::encode_frame(b"{\"type\":\"ping\"}"))
        .await
        .unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        tcp.read_to_end(&mut buf),
    )
    .await;
    assert!(
        chat_proto::wire::decode_server(buf.get(4..).unwrap_or_default()).is_err(),
        "{buf:?}"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut srv = server(&[]);
    let status = srv.terminate().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_log_written_to_a_file_has_no_colour_codes() {
    // test-support sends the server's stderr to server.log: not a
    // terminal, so the log must be plain text an operator can grep.
    let mut srv = test_support::ServerProcess::start_logging(binary(), &[], "info").unwrap();
    let status = srv.terminate().unwrap();
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(srv.data_dir().join("server.log")).unwrap();
    assert!(log.contains("ready"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape codes in the log:\n{log:?}"
    );
}

#[test]
fn a_piece_that_cannot_fit_a_frame_is_refused_at_start() {
    let out = run_local(&["--max-frame", "100000", "--max-piece", "100000"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--max-piece 100000") && err.contains("--max-frame 100000"),
        "{err}"
    );
    let out = run(&["--max-piece", "0"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_config_file_runs_the_server_and_its_environment_variable_wins() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = dir.path().join("chat-server.toml");
    // 192.0.2.1 (TEST-NET-1) is no address of this machine: were the
    // file's listen used, the server could not start.
    std::fs::write(
        &config,
        format!(
            "listen = \"192.0.2.1:9876\"\nplaintext = true\nbcrypt_cost = 4\ndata_dir = {:?}\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let mut child = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .env("CHAT_SERVER_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let first = std::io::BufReader::new(stdout).lines().next();
    let _ = child.kill();
    let _ = child.wait();
    let first = first.unwrap().unwrap();
    assert!(
        first.starts_with("Server Listening on address 127.0.0.1 port "),
        "{first}"
    );
    assert!(
        data.join("server_privkey.pem").exists(),
        "the file's data_dir holds the key"
    );

    // A bad key is a usage error naming the file and the key.
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nstroe = \"sqlite\"\n").unwrap();
    let out = run(&["--config", config.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(config.to_str().unwrap()) && err.contains("`stroe`"),
        "{err}"
    );
}

#[test]
fn store_ca_with_the_sqlite_store_is_refused() {
    let out = run_local(&["--store-ca", "/etc/ssl/certs/ca-certificates.crt"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--store-ca") && err.contains("postgres://"),
        "{err}"
    );
}
