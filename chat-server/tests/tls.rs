//! The transport of PROTOCOL.md §1.1 over real sockets: the server's TLS 1.3
//! configuration against the pinning client of `chat_proto::tls`, and
//! against the openssl CLI as an independent client and server.

// Helpers outside `#[test]` functions are test code too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chat_proto::tls::{
    PinObserver, ServerKeyError, certificate_fingerprint, client_config, describe_handshake_error,
    server_key_error, server_name,
};
use chat_server::keys::ServerKey;
use chat_server::tls::{certificate_der, server_config, server_config_with_certificate};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;
use tokio::task::JoinHandle;
use tokio::time::timeout;
use tokio_rustls::client::TlsStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

const WAIT: Duration = Duration::from_secs(20);

fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/openssl")
        .join(name)
}

fn server_key(name: &str) -> ServerKey {
    let pem = std::fs::read_to_string(testdata(name)).unwrap();
    ServerKey::from_private_key(chat_proto::crypto::private_key_from_pem(&pem).unwrap()).unwrap()
}

/// A TLS server on 127.0.0.1:0 that accepts one connection and echoes one
/// line, or reads to EOF when the peer sends none. The task's result is the
/// server side of the handshake.
async fn echo_server(
    config: Arc<rustls::ServerConfig>,
) -> (SocketAddr, JoinHandle<std::io::Result<()>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let tls = TlsAcceptor::from(config).accept(tcp).await?;
        let mut reader = BufReader::new(tls);
        let mut line = String::new();
        reader.read_line(&mut line).await?;
        let mut tls = reader.into_inner();
        tls.write_all(line.as_bytes()).await?;
        tls.shutdown().await?;
        Ok(())
    });
    (addr, task)
}

async fn connect(
    addr: SocketAddr,
    pin: Option<String>,
) -> (std::io::Result<TlsStream<TcpStream>>, PinObserver) {
    let (config, observer) = client_config(pin);
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = server_name(&addr.ip().to_string()).unwrap();
    let result = timeout(WAIT, TlsConnector::from(config).connect(name, tcp))
        .await
        .unwrap();
    (result, observer)
}

#[tokio::test]
async fn right_pin_connects_and_bytes_flow() {
    let key = server_key("pkcs8.pem");
    let cert = certificate_der(&key).unwrap();
    let config = server_config_with_certificate(&key, cert.clone()).unwrap();
    let (addr, server) = echo_server(config).await;

    let (tls, observer) = connect(addr, Some(key.fingerprint().to_string())).await;
    let mut tls = tls.unwrap();
    {
        let (_, conn) = tls.get_ref();
        assert_eq!(
            conn.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_3)
        );
        let presented = &conn.peer_certificates().unwrap()[0];
        assert_eq!(presented, &cert);
        assert_eq!(
            certificate_fingerprint(presented).unwrap(),
            key.fingerprint()
        );
    }
    tls.write_all(b"hello over tls\n").await.unwrap();
    let mut echoed = Vec::new();
    timeout(WAIT, tls.read_to_end(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echoed, b"hello over tls\n");
    assert_eq!(observer.fingerprint().as_deref(), Some(key.fingerprint()));
    timeout(WAIT, server).await.unwrap().unwrap().unwrap();
}

#[tokio::test]
async fn wrong_pin_fails_naming_both_fingerprints() {
    let key = server_key("pkcs8.pem");
    let (addr, server) = echo_server(server_config(&key).unwrap()).await;
    // Pinned: the other openssl key, spelled the way a person might type it.
    let pinned = std::fs::read_to_string(testdata("pkcs1.fingerprint")).unwrap();
    let pinned = pinned.trim().to_string();
    let typed = chat_proto::crypto::format_fingerprint(&pinned);

    let (result, observer) = connect(addr, Some(typed)).await;
    let err = result.unwrap_err();
    assert_eq!(
        server_key_error(&err),
        Some(&ServerKeyError::PinMismatch {
            expected: pinned.clone(),
            presented: key.fingerprint().to_string(),
        })
    );
    let msg = describe_handshake_error(&err);
    assert!(msg.contains(&pinned), "{msg}");
    assert!(msg.contains(key.fingerprint()), "{msg}");
    assert!(
        msg.contains(&format!("--server-fingerprint {}", key.fingerprint())),
        "{msg}"
    );
    assert_eq!(observer.fingerprint(), None);
    // The server sees the handshake aborted, not a session.
    assert!(timeout(WAIT, server).await.unwrap().unwrap().is_err());
}

#[tokio::test]
async fn trust_on_first_use_records_the_fingerprint() {
    let key = server_key("pkcs1.pem");
    let (addr, server) = echo_server(server_config(&key).unwrap()).await;
    let (tls, observer) = connect(addr, None).await;
    let mut tls = tls.unwrap();
    assert_eq!(observer.fingerprint().as_deref(), Some(key.fingerprint()));
    let expected = std::fs::read_to_string(testdata("pkcs1.fingerprint")).unwrap();
    assert_eq!(observer.fingerprint().as_deref(), Some(expected.trim()));
    tls.write_all(b"x\n").await.unwrap();
    let mut echoed = Vec::new();
    timeout(WAIT, tls.read_to_end(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(echoed, b"x\n");
    timeout(WAIT, server).await.unwrap().unwrap().unwrap();

    // The recorded pin then admits the same server on the next connection.
    let (addr, server) = echo_server(server_config(&key).unwrap()).await;
    let (tls, _) = connect(addr, observer.fingerprint()).await;
    let mut tls = tls.unwrap();
    tls.write_all(b"y\n").await.unwrap();
    let mut echoed = Vec::new();
    timeout(WAIT, tls.read_to_end(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    timeout(WAIT, server).await.unwrap().unwrap().unwrap();
}

async fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    timeout(WAIT, cmd.output()).await.unwrap().unwrap()
}

async fn s_client(addr: SocketAddr, version_flag: &str) -> Output {
    run(Command::new("openssl").args([
        "s_client",
        "-connect",
        &addr.to_string(),
        version_flag,
        "-showcerts",
    ]))
    .await
}

#[tokio::test]
async fn openssl_tls12_client_is_refused() {
    let key = server_key("pkcs8.pem");
    let (addr, server) = echo_server(server_config(&key).unwrap()).await;
    let out = s_client(addr, "-tls1_2").await;
    assert!(!out.status.success(), "openssl connected with TLS 1.2");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("BEGIN CERTIFICATE"));
    assert!(timeout(WAIT, server).await.unwrap().unwrap().is_err());
}

fn first_pem_certificate(text: &str) -> String {
    let begin = text.find("-----BEGIN CERTIFICATE-----").unwrap();
    let end_marker = "-----END CERTIFICATE-----";
    let end = text[begin..].find(end_marker).unwrap() + begin + end_marker.len();
    format!("{}\n", &text[begin..end])
}

/// `openssl <args>` reading `input` on stdin.
async fn openssl_with_input(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).await.unwrap();
    drop(stdin);
    let out = timeout(WAIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn openssl_tls13_client_sees_a_pss_certificate_over_the_pinned_key() {
    let key = server_key("pkcs8.pem");
    let (addr, server) = echo_server(server_config(&key).unwrap()).await;
    let out = s_client(addr, "-tls1_3").await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("TLSv1.3"), "{stdout}");
    timeout(WAIT, server).await.unwrap().unwrap().unwrap();

    let cert_pem = first_pem_certificate(&stdout);
    let text = openssl_with_input(&["x509", "-noout", "-text"], cert_pem.as_bytes()).await;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Signature Algorithm: rsassaPss"), "{text}");
    assert!(text.contains("Subject: CN = chat-server"), "{text}");
    assert!(text.contains("Issuer: CN = chat-server"), "{text}");

    // The SPKI as openssl extracts it hashes to our fingerprint.
    let pubkey = openssl_with_input(&["x509", "-noout", "-pubkey"], cert_pem.as_bytes()).await;
    let der = openssl_with_input(&["pkey", "-pubin", "-outform", "DER"], &pubkey.stdout).await;
    assert_eq!(
        hex::encode(chat_proto::crypto::sha256(&der.stdout)),
        key.fingerprint()
    );

    // And openssl checks the certificate's own RSA-PSS signature.
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    std::fs::write(&cert_path, &cert_pem).unwrap();
    let cert_path = cert_path.to_str().unwrap();
    let verified = run(Command::new("openssl").args([
        "verify",
        "-check_ss_sig",
        "-partial_chain",
        "-CAfile",
        cert_path,
        cert_path,
    ]))
    .await;
    assert!(
        verified.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
}

fn to_pem(cert: &CertificateDer<'_>) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(cert.as_ref());
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(chunk).unwrap());
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[tokio::test]
async fn client_refuses_a_tls12_only_server_even_with_the_right_key() {
    let key = server_key("pkcs8.pem");
    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("cert.pem");
    std::fs::write(&cert_path, to_pem(&certificate_der(&key).unwrap())).unwrap();
    let mut server = Command::new("openssl")
        .args([
            "s_server",
            "-accept",
            "127.0.0.1:0",
            "-tls1_2",
            "-naccept",
            "1",
            "-key",
        ])
        .arg(testdata("pkcs8.pem"))
        .arg("-cert")
        .arg(&cert_path)
        // s_server quits at EOF on stdin: keep it open.
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // openssl prints "ACCEPT 127.0.0.1:<port>" once it listens.
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let addr: SocketAddr = timeout(WAIT, async {
        loop {
            let line = lines.next_line().await.unwrap().unwrap();
            if let Some(addr) = line.strip_prefix("ACCEPT ") {
                return addr.parse().unwrap();
            }
        }
    })
    .await
    .unwrap();

    let (result, observer) = connect(addr, Some(key.fingerprint().to_string())).await;
    let err = result.unwrap_err();
    let msg = describe_handshake_error(&err);
    assert!(msg.contains("TLS 1.3"), "{msg}");
    assert_eq!(observer.fingerprint(), None);
    let _ = server.kill().await;
}
