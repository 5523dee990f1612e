//! A login storm at the product bcrypt cost must not stall delivery to
//! users already connected: bcrypt runs on a bounded pool, off the async
//! workers. Asserted causally (the messages arrive while the storm is still
//! running), not with a stopwatch.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const STORM: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_continues_during_a_signup_storm_at_cost_12() {
    let srv = server(&["--bcrypt-cost", "12"]);
    let (mut alice, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let (mut bob, _) = WireClient::logged_in(srv.addr, "bob", &bob_key())
        .await
        .unwrap();

    let done = Arc::new(AtomicUsize::new(0));
    let mut storm = Vec::new();
    for i in 0..STORM {
        let (addr, done) = (srv.addr, done.clone());
        storm.push(tokio::spawn(async move {
            let mut c = WireClient::connect(addr).await.unwrap();
            let r = c
                .signup(&format!("storm{i}"), PASSWORD, &bob_key())
                .await
                .unwrap();
            done.fetch_add(1, Ordering::SeqCst);
            r
        }));
    }
    for n in 0..10 {
        let r = alice
            .request(json!({"type":"send","to":"bob","envelope":{"n":n}}))
            .await
            .unwrap();
        assert!(
            matches!(r, ServerMessage::Sent { queued: false, .. }),
            "{r:?}"
        );
    }
    let mut got = 0;
    while got < 10 {
        if let ServerMessage::Deliver { .. } = bob.next_push().await.unwrap() {
            got += 1;
        }
    }
    let finished = done.load(Ordering::SeqCst);
    assert!(
        finished < STORM,
        "all {STORM} signups finished before 10 messages were delivered"
    );
    for t in storm {
        let r = t.await.unwrap();
        assert!(
            matches!(
                r,
                ServerMessage::SignupOk { .. }
                    | ServerMessage::Error {
                        code: ErrorCode::ServerBusy,
                        ..
                    }
            ),
            "{r:?}"
        );
    }
}
