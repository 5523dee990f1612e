//! chat-server on PostgreSQL (`--store postgres://...`) as a real process
//! with real wire clients: the same relay on the shared store, a `sent`
//! that survives kill -9 of the node, and a second node on the same
//! database delivering what the first one stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use test_support::Postgres;

async fn database() -> String {
    tokio::task::spawn_blocking(|| Postgres::shared()?.database())
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn two_clients_chat_and_sent_survives_kill9() {
    let url = database().await;
    let mut srv = server(&["--store", &url]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    send_text(&mut alice, "bob", "hello bob").await;
    assert_eq!(
        next_text(&mut bob).await,
        ("alice".into(), "hello bob".into())
    );
    send_text(&mut bob, "alice", "hi alice").await;
    assert_eq!(
        next_text(&mut alice).await,
        ("bob".into(), "hi alice".into())
    );

    // Bob goes away; what alice is told is `sent` is in PostgreSQL.
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    send_text(&mut alice, "bob", "while you were away").await;
    drop(alice);
    srv.kill9_and_restart().unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    assert_eq!(
        next_text(&mut bob).await,
        ("alice".into(), "while you were away".into()),
        "acked messages are gone, the unacked one survived the kill"
    );
}

#[tokio::test]
async fn a_second_node_on_the_same_database_delivers_what_the_first_stored() {
    let url = database().await;
    let node1 = server(&["--store", &url]);
    let node2 = server(&["--store", &url]);
    // Accounts made on node 1 log in on node 2.
    let mut bob = user(&node1, "bob", &bob_key()).await;
    bob.request(json!({"type":"logout"})).await.unwrap();
    drop(bob);
    let mut alice = user(&node1, "alice", &alice_key()).await;
    for n in 0..5 {
        send_text(&mut alice, "bob", &format!("m{n}")).await;
    }
    let mut bob = user(&node2, "bob", &bob_key()).await;
    for n in 0..5 {
        assert_eq!(next_text(&mut bob).await, ("alice".into(), format!("m{n}")));
    }
}

/// The URL's database name.
fn db_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

#[tokio::test]
async fn with_store_ca_every_connection_of_the_node_is_verified_tls() {
    let url = database().await;
    let ca = Postgres::tls_ca();
    let srv = server(&["--store", &url, "--store-ca", ca.to_str().unwrap()]);
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut alice = user(&srv, "alice", &alice_key()).await;
    send_text(&mut alice, "bob", "over tls").await;
    assert_eq!(
        next_text(&mut bob).await,
        ("alice".into(), "over tls".into())
    );
    let sql = format!(
        "SELECT count(*) FILTER (WHERE s.ssl) || '|' || count(*) FILTER (WHERE NOT s.ssl) \
         FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = '{}'",
        db_name(&url)
    );
    let counts = tokio::task::spawn_blocking(move || Postgres::shared()?.psql(&sql))
        .await
        .unwrap()
        .unwrap();
    let (tls, plain) = counts.trim().split_once('|').unwrap();
    assert!(tls.parse::<u32>().unwrap() >= 1, "{counts}");
    assert_eq!(plain, "0", "a plain-text connection of the node: {counts}");
}

#[tokio::test]
async fn postgres_tls_refuses_a_certificate_it_cannot_verify_and_contradictions() {
    use chat_server::store::PgTarget;
    let url = database().await;
    let timeout = std::time::Duration::from_secs(10);
    let ca = Postgres::tls_ca();
    // The right CA: a TLS session.
    let target = PgTarget::new(&url, Some(&ca), timeout).unwrap();
    let client = target.connect("test").await.unwrap();
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));

    // A CA that signed nothing of the cluster's.
    let target = PgTarget::new(&url, Some(&Postgres::other_ca()), timeout).unwrap();
    let e = target.connect("test").await.unwrap_err().to_string();
    assert!(e.contains("certificate"), "{e}");

    // The right CA, but the certificate does not name the host asked for.
    let port = url.rsplit(':').next().unwrap().split('/').next().unwrap();
    let wrong_name = format!(
        "postgres://postgres@db.example:{port}/{}?hostaddr=127.0.0.1",
        db_name(&url)
    );
    let target = PgTarget::new(&wrong_name, Some(&ca), timeout).unwrap();
    let e = target.connect("test").await.unwrap_err().to_string();
    assert!(e.contains("certificate"), "{e}");

    // Asking for TLS without a CA to verify it, or TLS and no TLS at once.
    let e = PgTarget::new(&format!("{url}?sslmode=require"), None, timeout)
        .unwrap_err()
        .to_string();
    assert!(e.contains("--store-ca"), "{e}");
    let e = PgTarget::new(&format!("{url}?sslmode=disable"), Some(&ca), timeout)
        .unwrap_err()
        .to_string();
    assert!(e.contains("sslmode=disable"), "{e}");

    // A CA file that is missing, or holds no certificate.
    let e = PgTarget::new(
        &url,
        Some(std::path::Path::new("/nonexistent/ca.pem")),
        timeout,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("/nonexistent/ca.pem"), "{e}");
    let empty = tempfile::NamedTempFile::new().unwrap();
    let e = PgTarget::new(&url, Some(empty.path()), timeout)
        .unwrap_err()
        .to_string();
    assert!(e.contains("no certificate"), "{e}");
}
