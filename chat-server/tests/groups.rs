//! Membership commits over the real server (PROTOCOL.md §4.5, D11): one
//! commit per version, `stale_version` with the winner's hash, admins
//! only (a member may leave), the record kept across restarts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use serde_json::Value;

const GID: &str = "6c5d130e-8708-4887-80c3-5c82d334a3e7";

fn hash(n: u64) -> String {
    format!("{n:064x}")
}

fn commit(version: u64, h: &str, members: &[&str], admins: &[&str]) -> Value {
    json!({"type":"group_commit","group_id":GID,"version":version,"state_hash":h,
           "members":members,"admins":admins})
}

fn committed(r: &ServerMessage, version: u64) {
    assert_eq!(
        *r,
        ServerMessage::GroupCommitted {
            group_id: GID.into(),
            version
        }
    );
}

fn stale(r: &ServerMessage) -> (u64, String) {
    match r {
        ServerMessage::StaleVersion {
            current_version,
            current_hash,
            ..
        } => (*current_version, current_hash.clone()),
        other => panic!("expected stale_version, got {other:?}"),
    }
}

async fn login(addr: std::net::SocketAddr, name: &str) -> WireClient {
    WireClient::logged_in(addr, name, &bob_key())
        .await
        .unwrap()
        .0
}

#[tokio::test]
async fn admins_commit_one_version_at_a_time_and_members_may_leave() {
    let srv = server(&[]);
    let mut alice = login(srv.addr, "alice").await;
    let mut bob = login(srv.addr, "bob").await;
    let mut carol = login(srv.addr, "carol").await;
    let mut dave = login(srv.addr, "dave").await;
    let all = ["alice", "bob", "carol"];
    // Creation by someone not among the admins is refused.
    let r = bob
        .request(commit(1, &hash(1), &all, &["alice"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin, "{r:?}");
    // A first version other than 1 names no record.
    let r = alice
        .request(commit(2, &hash(2), &all, &["alice"]))
        .await
        .unwrap();
    assert_eq!(stale(&r), (0, String::new()));
    let r = alice
        .request(commit(1, &hash(1), &all, &["alice"]))
        .await
        .unwrap();
    committed(&r, 1);
    // Version 1 again (a second creator, or a replay) is stale.
    let r = bob
        .request(commit(1, &hash(99), &all, &["bob"]))
        .await
        .unwrap();
    assert_eq!(stale(&r), (1, hash(1)));
    // A member who is not an admin may not change anything but leave.
    let r = bob
        .request(commit(
            2,
            &hash(2),
            &["alice", "bob", "carol", "dave"],
            &["alice"],
        ))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin);
    let r = bob
        .request(commit(2, &hash(2), &["alice", "bob"], &["alice"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin, "bob removing carol");
    // Someone outside the group learns nothing of its version.
    let r = dave
        .request(commit(2, &hash(2), &["dave"], &["dave"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin);
    let r = dave
        .request(commit(9, &hash(9), &["dave"], &["dave"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin);
    // A version that skips one is stale for an admin.
    let r = alice
        .request(commit(3, &hash(3), &all, &["alice"]))
        .await
        .unwrap();
    assert_eq!(stale(&r), (1, hash(1)));
    // bob leaves: exactly the record without him.
    let r = bob
        .request(commit(2, &hash(2), &["alice", "carol"], &["alice"]))
        .await
        .unwrap();
    committed(&r, 2);
    // Now bob is out and may commit nothing.
    let r = bob
        .request(commit(3, &hash(3), &["alice", "bob", "carol"], &["alice"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin);
    // The admin adds dave and makes carol an admin; carol removes alice.
    let r = alice
        .request(commit(
            3,
            &hash(3),
            &["alice", "carol", "dave"],
            &["alice", "carol"],
        ))
        .await
        .unwrap();
    committed(&r, 3);
    let r = carol
        .request(commit(4, &hash(4), &["carol", "dave"], &["carol"]))
        .await
        .unwrap();
    committed(&r, 4);
    let r = alice
        .request(commit(5, &hash(5), &["alice"], &["alice"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin, "alice was removed");
    // Not logged in: refused first.
    let mut anon = WireClient::connect(srv.addr).await.unwrap();
    let r = anon
        .request(commit(5, &hash(5), &["carol"], &["carol"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotAuthenticated);
}

#[tokio::test]
async fn malformed_commits_are_bad_requests() {
    let srv = server(&[]);
    let mut alice = login(srv.addr, "alice").await;
    let names: Vec<String> = (0..257).map(|i| format!("u{i:03}")).collect();
    let mut with_alice: Vec<&str> = names.iter().map(String::as_str).collect();
    with_alice.insert(0, "alice");
    let good = || commit(1, &hash(1), &["alice", "bob"], &["alice"]);
    let with = |field: &str, v: Value| {
        let mut c = good();
        c[field] = v;
        c
    };
    for bad in [
        with("group_id", json!(GID.to_uppercase())),
        with("group_id", json!("not-a-uuid")),
        with("group_id", json!(5)),
        with("version", json!(0)),
        with("version", json!(-1)),
        with("version", json!(9_007_199_254_740_992u64)),
        with("version", json!(1.5)),
        with(
            "state_hash",
            json!(hash(1).to_uppercase().replace('0', "A")),
        ),
        with("state_hash", json!("abc")),
        with("members", json!([])),
        with("members", json!(["bob", "alice"])),
        with("members", json!(["alice", "alice", "bob"])),
        with("members", json!(["alice", "bad name!"])),
        with("admins", json!([])),
        with("admins", json!(["carol"])),
        with("members", json!(with_alice[..258])),
        json!({"type":"group_commit","group_id":GID,"version":1,"state_hash":hash(1),"members":["alice"]}),
    ] {
        let r = alice.request(bad.clone()).await.unwrap();
        assert_eq!(code(&r), ErrorCode::BadRequest, "{bad}: {r:?}");
    }
    // 256 members is the most, and fine. (The names need not exist: the
    // server only sequences.)
    let most: Vec<&str> = with_alice[..256].to_vec();
    let r = alice
        .request(commit(1, &hash(1), &most, &["alice"]))
        .await
        .unwrap();
    committed(&r, 1);
}

#[tokio::test]
async fn two_admins_racing_one_wins_and_the_other_learns_the_winners_hash() {
    let srv = server(&[]);
    let mut alice = login(srv.addr, "alice").await;
    let mut bob = login(srv.addr, "bob").await;
    let r = alice
        .request(commit(
            1,
            &hash(1),
            &["alice", "bob", "carol"],
            &["alice", "bob"],
        ))
        .await
        .unwrap();
    committed(&r, 1);
    for round in 2..12u64 {
        // Both write their version-`round` commit before either reads.
        let (ha, hb) = (format!("a{:063x}", round), format!("b{:063x}", round));
        let mine = |h: &str| commit(round, h, &["alice", "bob", "carol"], &["alice", "bob"]);
        alice
            .send_value(&{
                let mut c = mine(&ha);
                c["id"] = json!("race");
                c
            })
            .await
            .unwrap();
        bob.send_value(&{
            let mut c = mine(&hb);
            c["id"] = json!("race");
            c
        })
        .await
        .unwrap();
        let (ra, rb) = (answer(&mut alice).await, answer(&mut bob).await);
        let won = |r: &ServerMessage| matches!(r, ServerMessage::GroupCommitted { .. });
        assert!(won(&ra) != won(&rb), "exactly one wins: {ra:?} {rb:?}");
        let (winner_hash, loser) = if won(&ra) { (&ha, &rb) } else { (&hb, &ra) };
        assert_eq!(stale(loser), (round, winner_hash.clone()));
    }
}

/// The answer with id "race".
async fn answer(c: &mut WireClient) -> ServerMessage {
    loop {
        match c.recv().await.unwrap() {
            Some((Some(chat_proto::RequestId::Text(id)), msg)) if id == "race" => return msg,
            Some(other) => c.backlog.push_back(other),
            None => panic!("closed"),
        }
    }
}

#[tokio::test]
async fn records_survive_a_restart() {
    let mut srv = server(&[]);
    let mut alice = login(srv.addr, "alice").await;
    committed(
        &alice
            .request(commit(1, &hash(1), &["alice", "bob"], &["alice"]))
            .await
            .unwrap(),
        1,
    );
    committed(
        &alice
            .request(commit(2, &hash(2), &["alice", "bob", "carol"], &["alice"]))
            .await
            .unwrap(),
        2,
    );
    srv.kill9_and_restart().unwrap();
    let mut alice = login(srv.addr, "alice").await;
    let mut bob = login(srv.addr, "bob").await;
    let r = alice
        .request(commit(2, &hash(22), &["alice"], &["alice"]))
        .await
        .unwrap();
    assert_eq!(stale(&r), (2, hash(2)));
    // bob is still a member and not an admin.
    let r = bob
        .request(commit(3, &hash(3), &["alice", "bob"], &["alice"]))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::NotGroupAdmin);
    let r = bob
        .request(commit(3, &hash(3), &["alice", "carol"], &["alice"]))
        .await
        .unwrap();
    committed(&r, 3);
}
