//! Credential abuse (issue 10.2, 10.6, 10.12): the throttle is consulted
//! per source before any RSA work, credentials that do not open count as
//! failures, one source gets only its share of the CPU pool, signups are
//! throttled per source, names are validated before they are logged or
//! counted, and guessing from many addresses is slowed per account while
//! the owner still gets in.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use test_support::wait_for;

fn local(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

fn is_rate_limited(msg: &ServerMessage) -> bool {
    matches!(
        msg,
        ServerMessage::Error {
            code: ErrorCode::RateLimited,
            retry_after_ms: Some(_),
            ..
        }
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_blobs_are_rate_limited_and_do_not_starve_a_signup() {
    const LIMIT: usize = 5;
    const REPLAYERS: usize = 8;
    let srv = server(&[
        "--cpu-workers",
        "1",
        "--cpu-queue",
        "2",
        "--cpu-per-source",
        "1",
        "--throttle-per-source",
        &LIMIT.to_string(),
    ]);
    // One blob, sealed for a connection that is then abandoned.
    let first = connect_from(local(2), srv.addr).await;
    let blob = first
        .seal(&json!({"username":"alice","password":PASSWORD}))
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut replayers = Vec::new();
    for _ in 0..REPLAYERS {
        let (addr, blob) = (srv.addr, blob.clone());
        let (stop, answered) = (stop.clone(), answered.clone());
        replayers.push(tokio::spawn(async move {
            let mut c = connect_from(local(2), addr).await;
            let (mut decrypted, mut limited) = (0usize, 0usize);
            // Many times the allowance, and on until the legitimate signup
            // is done.
            for round in 0..2_000 {
                if round >= 4 * LIMIT && stop.load(Ordering::SeqCst) {
                    break;
                }
                let r = c
                    .request(json!({"type":"login","credentials":blob,"public_key":alice_key()}))
                    .await
                    .unwrap();
                answered.fetch_add(1, Ordering::SeqCst);
                match code(&r) {
                    ErrorCode::BadCredentials => decrypted += 1,
                    ErrorCode::RateLimited if is_rate_limited(&r) => limited += 1,
                    other => panic!("a replayed blob got {other:?}"),
                }
            }
            (decrypted, limited)
        }));
    }
    let mut owner = connect_from(local(3), srv.addr).await;
    let counter = answered.clone();
    wait_for("the replay storm to start", Duration::from_secs(60), || {
        let counter = counter.clone();
        async move { (counter.load(Ordering::SeqCst) >= REPLAYERS).then_some(()) }
    })
    .await
    .unwrap();
    let r = owner.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    stop.store(true, Ordering::SeqCst);
    assert!(
        matches!(r, ServerMessage::SignupOk { .. }),
        "a signup from elsewhere during the replay storm: {r:?}"
    );
    let mut decrypted = 0;
    for t in replayers {
        let (d, limited) = t.await.unwrap();
        assert!(limited > 0, "a replaying connection was never slowed down");
        decrypted += d;
    }
    // And it stays slowed down: the next attempt, alone, costs nothing.
    let mut alone = connect_from(local(2), srv.addr).await;
    let r = alone
        .request(json!({"type":"login","credentials":blob,"public_key":alice_key()}))
        .await
        .unwrap();
    assert!(is_rate_limited(&r), "{r:?}");
    // Each bad_credentials is one RSA decryption the replays forced: the
    // source's allowance, plus at most the one in flight when it ran out.
    assert!(
        decrypted <= LIMIT + 1,
        "{decrypted} decryptions for one replaying source"
    );
}

#[tokio::test]
async fn credentials_that_do_not_open_count_toward_the_throttle() {
    let srv = server(&["--throttle-per-source", "3"]);
    let mut owner = connect_from(local(5), srv.addr).await;
    owner.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    let mut c = connect_from(local(4), srv.addr).await;
    // Sealed for another connection's nonce, and not base64 at all.
    let replay = c
        .seal_with_nonce(
            &json!({"username":"alice","password":PASSWORD}),
            &owner.nonce,
        )
        .unwrap();
    let junk = json!({"ek":"!","nonce":"!","ct":"!"});
    for creds in [&replay, &junk, &replay] {
        let r = c
            .request(json!({"type":"login","credentials":creds,"public_key":alice_key()}))
            .await
            .unwrap();
        assert_eq!(code(&r), ErrorCode::BadCredentials);
    }
    // Now even the right password waits, on any connection from there.
    let r = c.login("alice", PASSWORD, &alice_key()).await.unwrap();
    assert!(is_rate_limited(&r), "{r:?}");
    let mut again = connect_from(local(4), srv.addr).await;
    assert!(is_rate_limited(
        &again
            .resume("alice", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .await
            .unwrap()
    ));
    // The owner, elsewhere, is not affected.
    assert!(matches!(
        owner.login("alice", PASSWORD, &alice_key()).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
}

#[tokio::test]
async fn invalid_names_count_against_the_source_and_never_reach_the_log() {
    let srv = LoggedServer::start("chat_server=debug", &["--throttle-per-source", "3"]);
    let mut owner = connect_from(local(7), srv.addr).await;
    owner.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    let mut c = connect_from(local(6), srv.addr).await;
    let forged = "x\nFORGED 2026-01-01T00:00:00Z  INFO chat_server: logged in user=root";
    let long = "n".repeat(40_000);
    let r = c.login(forged, PASSWORD, &alice_key()).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);
    let r = c.resume(forged, "AAAA").await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);
    let r = c.login(&long, PASSWORD, &alice_key()).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadCredentials);
    // Three failures of the source: its next attempt waits, whatever name.
    let r = c.login("alice", PASSWORD, &alice_key()).await.unwrap();
    assert!(is_rate_limited(&r), "{r:?}");
    // A wrong password for a valid name is logged, at debug level only.
    owner
        .login("alice", "not the password at all", &alice_key())
        .await
        .unwrap();
    owner.request(json!({"type":"ping"})).await.unwrap();
    let log = srv.log();
    assert!(
        !log.lines().any(|l| l.starts_with("FORGED")),
        "a peer forged a log line:\n{log}"
    );
    assert!(!log.contains(&long[..100]), "an invalid name was logged");
    for line in log
        .lines()
        .filter(|l| l.contains("failed") || l.contains("did not open"))
    {
        assert!(
            line.contains("DEBUG"),
            "a peer-triggered failure logged above debug: {line}"
        );
    }
}

#[tokio::test]
async fn signups_are_throttled_per_source() {
    let srv = server(&["--signups-per-source", "2"]);
    let mut c = connect_from(local(8), srv.addr).await;
    let r = c.signup("one", PASSWORD, &alice_key()).await.unwrap();
    assert!(matches!(r, ServerMessage::SignupOk { .. }), "{r:?}");
    // Refused signups count too: each cost RSA work.
    let r = c.signup("two", "too short", &alice_key()).await.unwrap();
    assert_eq!(code(&r), ErrorCode::InvalidPassword);
    let mut d = connect_from(local(8), srv.addr).await;
    let r = d.signup("three", PASSWORD, &alice_key()).await.unwrap();
    assert!(is_rate_limited(&r), "{r:?}");
    let mut elsewhere = connect_from(local(9), srv.addr).await;
    let r = elsewhere
        .signup("three", PASSWORD, &alice_key())
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::SignupOk { .. }), "{r:?}");
}

#[tokio::test]
async fn guessing_from_many_addresses_is_slowed_per_account_but_the_owner_gets_in() {
    const GUESSERS: u8 = 12;
    let srv = server(&[
        "--throttle-per-account",
        "8",
        "--throttle-per-account-source",
        "100",
        "--throttle-per-source",
        "100",
    ]);
    let mut owner = connect_from(local(200), srv.addr).await;
    owner.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    let mut guessers = Vec::new();
    for i in 0..GUESSERS {
        let mut g = connect_from(local(10 + i), srv.addr).await;
        let r = g
            .login("alice", &format!("guess number {i:08}"), &alice_key())
            .await
            .unwrap();
        assert!(
            matches!(code(&r), ErrorCode::BadCredentials),
            "first guess from address {i}: {r:?}"
        );
        guessers.push(g);
    }
    // Every address has failed once, far below its own allowance, but the
    // account has seen more failures than it allows: a second guess from
    // any of them waits, even with the right password.
    for (i, g) in guessers.iter_mut().enumerate() {
        let r = g.login("alice", PASSWORD, &alice_key()).await.unwrap();
        assert!(is_rate_limited(&r), "second guess from address {i}: {r:?}");
    }
    // The owner, who never failed, is not locked out.
    assert!(matches!(
        owner.login("alice", PASSWORD, &alice_key()).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
}
