//! Failed-login throttling over real sockets from distinct loopback
//! addresses: the guesser is slowed, the owner elsewhere is not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::net::{IpAddr, Ipv4Addr};

const GUESSER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const OWNER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

#[tokio::test]
async fn guessing_is_rate_limited_but_the_owner_still_logs_in() {
    let srv = server(&[]);
    let mut owner = connect_from(OWNER, srv.addr).await;
    owner.signup("alice", PASSWORD, &alice_key()).await.unwrap();
    let mut guesser = connect_from(GUESSER, srv.addr).await;
    // The default allowance is five failures per account and address.
    for i in 0..5 {
        let r = guesser
            .login("alice", &format!("guess number {i:08}"), &alice_key())
            .await
            .unwrap();
        assert_eq!(code(&r), ErrorCode::BadCredentials, "attempt {i}");
    }
    let r = guesser
        .login("alice", "guess number six...", &alice_key())
        .await
        .unwrap();
    match r {
        ServerMessage::Error {
            code: ErrorCode::RateLimited,
            retry_after_ms: Some(ms),
            ..
        } => assert!(ms > 0 && ms <= 1000),
        other => panic!("expected rate_limited, got {other:?}"),
    }
    // Even the right password waits while the guesser is throttled.
    assert_eq!(
        code(
            &guesser
                .login("alice", PASSWORD, &alice_key())
                .await
                .unwrap()
        ),
        ErrorCode::RateLimited
    );
    // From elsewhere, the owner gets in at once.
    assert!(matches!(
        owner.login("alice", PASSWORD, &alice_key()).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    // A new connection from the guesser's address is throttled too (it is
    // the address, not the connection, that is counted).
    let mut again = connect_from(GUESSER, srv.addr).await;
    assert_eq!(
        code(&again.login("alice", PASSWORD, &alice_key()).await.unwrap()),
        ErrorCode::RateLimited
    );
    // Resume guesses count as well.
    let r = again
        .resume("alice", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::RateLimited);
}
