//! A sender killed with SIGKILL in the middle of a group fan-out (PROTOCOL
//! §4.5, issue 12): after it starts again every member has the message
//! exactly once, in history and in the durable event log. The kill lands
//! where the copies are stored at the server but the sender has not yet
//! recorded it (a failpoint of chatd's test-only `failpoints` feature),
//! and right after `send` answered, wherever the fan-out was.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod group_support;
use group_support::*;

use std::collections::HashMap;

use chatd_api::{ConnectionState, EventBody};
use test_support::{DaemonProcess, World};

/// Where chatd stops: the `send_multi` of a group message was answered
/// (every copy is stored at the server) and the outbox still holds it.
const FANOUT_SENT: &str = "group-fanout-sent";

/// Replaces `p`'s daemon (killed already) by `d`, started in the same
/// directory, and waits until it is logged in again.
async fn swap_daemon(p: &mut Person, d: DaemonProcess) {
    p.daemon = d;
    p.api = chatd_api::Client::connect(&p.daemon.socket).await.unwrap();
    let (_, events) = p.api.subscribe(every_kind(None)).await.unwrap();
    p.events = events;
    let api = p.api.clone();
    test_support::wait::Wait::new(&format!("{}'s chatd to log in again", p.name))
        .every(std::time::Duration::from_millis(50))
        .until_async(async || {
            let s = api.status().await.map_err(|e| e.to_string())?;
            match s.state {
                ConnectionState::LoggedIn => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
}

/// Asserts that `p` holds each of `ids` exactly once in the group's
/// history and announced each exactly once in its durable event log.
async fn exactly_once(p: &Person, group: &str, ids: &[String]) {
    let mut in_history: HashMap<String, usize> = HashMap::new();
    for m in p.history(group).await {
        *in_history.entry(m.id).or_default() += 1;
    }
    let mut announced: HashMap<String, usize> = HashMap::new();
    for e in p.log().await {
        if let EventBody::Message { message, .. } = e.body {
            *announced.entry(message.id).or_default() += 1;
        }
    }
    for id in ids {
        assert_eq!(in_history.get(id), Some(&1), "{}: {id} in history", p.name);
        assert_eq!(announced.get(id), Some(&1), "{}: {id} announced", p.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_fan_out_delivers_every_copy_exactly_once() {
    let w = World::new();
    let mut alice = Person::new(&w, "alice").await;
    let mut members = Vec::new();
    for name in ["bob", "carol", "dave"] {
        members.push(Person::new(&w, name).await);
    }
    let id = alice
        .api
        .group_create("crashers", &users(&["bob", "carol", "dave"]))
        .await
        .unwrap()
        .group
        .id;
    for p in &mut members {
        p.group_event(&id, 1).await;
    }

    // 1. Killed between the server storing every copy and the outbox
    //    forgetting the message: it is sent again after the restart, and
    //    the members drop the second copies.
    alice.daemon.kill9();
    let d = common::daemon_stopping_at(&w, "alice", FANOUT_SENT).await;
    swap_daemon(&mut alice, d).await;
    let first = alice.say(&id, "sent once, stored once").await;
    common::reached(&alice.daemon, FANOUT_SENT).await;
    alice.daemon.kill9();
    let d = w.daemon("alice").await;
    swap_daemon(&mut alice, d).await;

    // 2. Killed right after `send` answered, wherever the fan-out was.
    let second = alice.say(&id, "killed right after").await;
    alice.daemon.kill9();
    alice.restart().await;

    // A later message leaves after both (the outbox keeps its order), so
    // once a member has it any second copy would have come before it.
    let last = alice.say(&id, "after the crashes").await;
    for p in &mut members {
        p.group_message(&id, "alice", "after the crashes").await;
    }
    let ids = [first.clone(), second.clone(), last.clone()];
    for p in &members {
        exactly_once(p, &id, &ids).await;
        let h = p.history(&id).await;
        assert_eq!(
            texts(&h),
            [
                "sent once, stored once",
                "killed right after",
                "after the crashes"
            ],
            "{}: in the order sent",
            p.name
        );
    }
    // The sender has each once too, and hears every member's receipt.
    let h = alice.history(&id).await;
    assert_eq!(h.len(), 3, "{:?}", texts(&h));
    for msg in &ids {
        let r = test_support::wait::Wait::new(&format!("{msg} delivered to all three"))
            .every(std::time::Duration::from_millis(100))
            .until_async(async || {
                let m = alice.api.message(msg).await.unwrap().message;
                let r = m.receipts.unwrap_or_default();
                match r.delivered.len() {
                    3 => Ok(r),
                    n => Err(format!("delivered to {n}: {r:?}")),
                }
            })
            .await;
        assert_eq!(r.recipients, 3);
    }
}
