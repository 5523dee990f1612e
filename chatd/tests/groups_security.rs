//! Group states that must not be accepted (PROTOCOL.md §4.4, §4.5), sent
//! to real daemons the way an attacker could: "mallory" is a member
//! without admin rights and "eve" an outsider the server colludes with.
//! Both are raw wire clients holding their account's real identity key
//! and chat-e2e's engine, so their envelopes decrypt and their
//! signatures are real; only what they sign is not theirs to sign. Every
//! refusal is a `security` event naming the sender, the `group_*` reason
//! and the group, and changes nothing: later honest changes still chain.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod group_support;
use group_support::*;

use chat_e2e::Payload;
use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use chat_proto::{ErrorCode as WireCode, ServerMessage};
use chatd_api::{EventBody, SecurityReason};
use test_support::World;

/// The security events about group `id` in `p`'s event log.
async fn group_reports(p: &Person, id: &str) -> Vec<(String, SecurityReason)> {
    p.log()
        .await
        .into_iter()
        .filter_map(|e| match e.body {
            EventBody::Security {
                user,
                reason,
                group: Some(g),
            } if g == id => Some((user, reason)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_unauthorised_and_replayed_states_are_refused_and_reported() {
    let w = World::new();
    let alice = Person::new(&w, "alice").await;
    let mut bob = Person::new(&w, "bob").await;
    let mut mallory = Rogue::login(&w, "mallory").await;
    mallory.learn("alice").await;
    mallory.learn("bob").await;

    let id = alice
        .api
        .group_create("club", &users(&["bob", "mallory"]))
        .await
        .unwrap()
        .group
        .id;
    let v1 = mallory.state(&id, 1).await;
    bob.group_event(&id, 1).await;
    alice.api.group_admin(&id, "bob", true).await.unwrap();
    let v2 = mallory.state(&id, 2).await;
    bob.group_event(&id, 2).await;
    let before = view(&bob.info(&id).await);
    let alice_fpr = v2.state().signer_fingerprint().to_string();

    // A state naming eve, claiming alice's signature: mallory's signature
    // over it does not verify with alice's key.
    let mut with_eve = v2.state().membership().clone();
    with_eve.add("eve");
    let forged = mallory.forge_successor(v2.state(), with_eve.clone(), "alice", &alice_fpr);
    mallory.send_state("bob", &forged).await;
    let group = bob
        .security("mallory", SecurityReason::GroupBadSignature)
        .await;
    assert_eq!(group.as_deref(), Some(id.as_str()));

    // The same change signed by mallory as herself: a member, not an
    // admin, so not hers to make.
    let mut promoted = with_eve.clone();
    promoted.make_admin("mallory");
    let own = mallory.sign_successor(v2.state(), promoted);
    mallory.send_state("bob", &own).await;
    let group = bob.security("mallory", SecurityReason::GroupNotAdmin).await;
    assert_eq!(group.as_deref(), Some(id.as_str()));

    // alice's own version 1 again, authentic but old.
    mallory.send_state("bob", &v1).await;
    let group = bob.security("mallory", SecurityReason::GroupStale).await;
    assert_eq!(group.as_deref(), Some(id.as_str()));

    // The state bob holds, relayed again, is a duplicate: silently
    // nothing. A text after it shows it was handled.
    mallory.send_state("bob", &v2).await;
    let marker = Payload::text("after the states", chat_proto::now_ms()).unwrap();
    mallory.send("bob", &marker).await;
    bob.direct_message("mallory", "after the states").await;
    assert_eq!(
        group_reports(&bob, &id).await,
        [
            ("mallory".to_string(), SecurityReason::GroupBadSignature),
            ("mallory".to_string(), SecurityReason::GroupNotAdmin),
            ("mallory".to_string(), SecurityReason::GroupStale),
        ],
        "one report per refused state, none for the duplicate"
    );

    // Nothing changed, for bob or alice, and no group event said so.
    assert_eq!(view(&bob.info(&id).await), before);
    assert_eq!(view(&alice.info(&id).await), before);
    let changes: Vec<u64> = bob
        .log()
        .await
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Group { group, .. } if group.id == id => Some(group.version),
            _ => None,
        })
        .collect();
    assert_eq!(changes, [1, 2]);

    // The chain goes on from the state held: alice's next change applies.
    alice
        .api
        .group_remove(&id, &users(&["mallory"]))
        .await
        .unwrap();
    let (g, by, change) = bob.group_event(&id, 3).await;
    assert_eq!(
        (by.as_str(), change.removed),
        ("alice", users(&["mallory"]))
    );
    assert_eq!(names(&g), users(&["alice", "bob"]));
    let removal = mallory.state(&id, 3).await;
    assert!(
        !removal.state().is_member("mallory"),
        "the removed member is told"
    );
}

/// The server only sequences membership: it refuses commits from anyone
/// but an admin, and even a server that let one through, or relayed a
/// state of its own making, could not get a member added, because members
/// accept only states an admin signed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_cannot_add_a_member() {
    let w = World::new();
    let alice = Person::new(&w, "alice").await;
    let mut bob = Person::new(&w, "bob").await;
    let mut mallory = Rogue::login(&w, "mallory").await;
    let mut eve = Rogue::login(&w, "eve").await;
    Rogue::login(&w, "carol").await;
    mallory.learn("alice").await;
    eve.learn("bob").await;

    let id = alice
        .api
        .group_create("vault", &users(&["bob", "mallory"]))
        .await
        .unwrap()
        .group
        .id;
    let v1 = mallory.state(&id, 1).await;
    bob.group_event(&id, 1).await;
    let before = view(&bob.info(&id).await);
    let mut with_eve: Membership = v1.state().membership().clone();
    with_eve.add("eve");

    // Commits: an outsider learns nothing and gets nothing; a member who
    // is not an admin may not add anyone.
    let by_eve = eve.sign_successor(v1.state(), with_eve.clone());
    let r = eve.commit(by_eve.state()).await;
    assert!(
        matches!(
            r,
            ServerMessage::Error {
                code: WireCode::NotGroupAdmin,
                ..
            }
        ),
        "{r:?}"
    );
    let by_mallory = mallory.sign_successor(v1.state(), with_eve.clone());
    let r = mallory.commit(by_mallory.state()).await;
    assert!(
        matches!(
            r,
            ServerMessage::Error {
                code: WireCode::NotGroupAdmin,
                ..
            }
        ),
        "{r:?}"
    );

    // What a colluding relay can put in front of a member anyway.
    // 1. eve added in a state that claims alice signed it.
    let alice_fpr = v1.state().signer_fingerprint().to_string();
    let forged = eve.forge_successor(v1.state(), with_eve.clone(), "alice", &alice_fpr);
    eve.send_state("bob", &forged).await;
    assert_eq!(
        bob.security("eve", SecurityReason::GroupBadSignature)
            .await
            .as_deref(),
        Some(id.as_str())
    );
    // 2. The same state, honestly signed by eve (or mallory): not an admin.
    eve.send_state("bob", &by_eve).await;
    assert_eq!(
        bob.security("eve", SecurityReason::GroupNotAdmin)
            .await
            .as_deref(),
        Some(id.as_str())
    );
    mallory.learn("bob").await;
    mallory.send_state("bob", &by_mallory).await;
    assert_eq!(
        bob.security("mallory", SecurityReason::GroupNotAdmin)
            .await
            .as_deref(),
        Some(id.as_str())
    );
    // 3. The group made again from scratch with eve as its admin: a second
    //    version 1 for the group, a fork.
    let fork = GroupState::genesis(
        v1.state().group_id(),
        Membership::new("vault", ["bob", "eve"], ["eve"]),
        "eve",
        eve.key.fingerprint(),
    )
    .unwrap();
    let fork = SignedGroupState::sign(fork, &eve.key).unwrap();
    eve.send_state("bob", &fork).await;
    assert_eq!(
        bob.security("eve", SecurityReason::GroupConflict)
            .await
            .as_deref(),
        Some(id.as_str())
    );

    // Nothing moved: bob holds version 1 without eve, alice too.
    assert_eq!(view(&bob.info(&id).await), before);
    assert_eq!(view(&alice.info(&id).await), before);

    // Messages still go to the members alice's state names, not to eve:
    // a direct marker to eve leaves after the group message, so by the
    // time eve has it she would have had the group message too.
    alice.say(&id, "members only").await;
    bob.group_message(&id, "alice", "members only").await;
    alice.api.send("eve", "marker for eve").await.unwrap();
    loop {
        let (from, p) = eve.next_payload().await;
        match p {
            Payload::Text(t) if from == "alice" && t.text == "marker for eve" => break,
            Payload::GroupText(g) => panic!("eve got a group message: {:?}", g.text),
            _ => {}
        }
    }

    // And no version was used up at the server: alice's next change is
    // version 2, and bob applies it.
    let g = alice
        .api
        .group_add(&id, &users(&["carol"]))
        .await
        .unwrap()
        .group;
    assert_eq!(g.version, 2);
    let (held, by, change) = bob.group_event(&id, 2).await;
    assert_eq!((by.as_str(), change.added), ("alice", users(&["carol"])));
    assert_eq!(names(&held), users(&["alice", "bob", "carol", "mallory"]));
}
