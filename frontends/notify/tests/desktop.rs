//! chat-notify against a real notification server: dunst under Xvfb on a
//! private dbus-daemon, a real chat-server and two real chatd processes.
//! What dunst's history shows is what a person would have seen.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_the_desktop_grouped_quiet_when_focused_and_across_restarts() {
    let world = World::new();
    let desk_dir = world.dir.path().join("desktop");
    std::fs::create_dir_all(&desk_dir).unwrap();
    let bus = PrivateBus::start().unwrap();
    let dunst = NotificationServer::start(&desk_dir, &bus).await;
    let (mut alice_d, _alice) = world.user("alice").await;
    let (bob_d, mut bob) = world.user("bob").await;
    let mut notify =
        Notify::start(&alice_d, "notify", &bus.address, &["--group-window", "600"]).await;
    let send = |text: &'static str| json!({"to": "alice", "text": text});

    // Sender and preview.
    bob.ok("send", send("hello alice")).await.unwrap();
    dunst
        .wait_for_note("New message from bob", "hello alice")
        .await;

    // A frontend shows the conversation with bob: not a word. Once it
    // looks away, the next message is news again.
    let mut viewer = alice_d.client().await.unwrap();
    viewer.ok("focus", json!({"peer": "bob"})).await.unwrap();
    bob.ok("send", send("psst, you are looking")).await.unwrap();
    let mut watcher = alice_d.client().await.unwrap();
    watcher.ok("subscribe", json!({"since": 0})).await.unwrap();
    let focused = message_seq(&mut watcher, "psst, you are looking").await;
    notify.wait_seq(focused).await;
    viewer.ok("focus", json!({})).await.unwrap();
    bob.ok("send", send("after the focus")).await.unwrap();
    dunst
        .wait_for_note("New message from bob", "after the focus")
        .await;

    // A burst is one notification that counts, with the newest previews.
    for text in ["one", "two", "three"] {
        bob.ok("send", send(text)).await.unwrap();
    }
    let history = dunst
        .wait_for_note("4 new messages from bob", "one\ntwo\nthree")
        .await;
    assert!(
        !history.iter().any(|(_, body)| body.contains("psst")),
        "a focused message was notified: {history:?}"
    );

    // chatd restarts (kill -9): chat-notify attaches again by itself and
    // goes on from where it was.
    alice_d.restart().await.unwrap();
    notify
        .wait_log(
            "chat-notify to attach to the new chatd",
            "attached to chatd",
            2,
        )
        .await;
    bob.ok("send", send("are you back?")).await.unwrap();
    dunst
        .wait_for_note("5 new messages from bob", "two\nthree\nare you back?")
        .await;
    assert!(notify.guard.running());

    // chat-notify restarts with previews turned off in chatd.toml: only the
    // sender is named, and nothing from before is shown again.
    assert!(
        notify.guard.terminate().success(),
        "SIGTERM is a clean stop"
    );
    std::fs::write(
        alice_d.dir.join("chatd.toml"),
        "[notifications]\npreview = false\n",
    )
    .unwrap();
    let notify = Notify::start(&alice_d, "notify", &bus.address, &[]).await;
    bob.ok("send", send("the secret plan")).await.unwrap();
    let history = dunst.wait_for_note("New message from bob", "").await;
    assert!(
        !history.iter().any(|(_, body)| body.contains("secret")),
        "a preview was shown although turned off: {history:?}"
    );
    let hellos = history
        .iter()
        .filter(|(_, b)| b.contains("hello alice"))
        .count();
    assert_eq!(hellos, 1, "a message was notified twice: {history:?}");

    // bob starts over with a new key (a new data directory): alice is told,
    // critically, and how to check it.
    drop(bob_d);
    let (_new_bob, _) = world.login("bob", "bob-again").await;
    let history = dunst.wait_for_summary("bob's key changed").await;
    let (_, body) = history
        .iter()
        .find(|(s, _)| s == "bob's key changed")
        .unwrap();
    assert!(body.contains("chat verify bob"), "{body}");
    drop(notify);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_notification_server_chat_notify_logs_once_and_carries_on() {
    let world = World::new();
    // A bus on which nobody serves notifications, and no bus at all.
    let bus = PrivateBus::start().unwrap();
    let nowhere = format!("unix:path={}", world.dir.path().join("no-bus").display());
    let (alice_d, mut alice) = world.user("alice").await;
    let (_bob_d, mut bob) = world.user("bob").await;
    let mut on_bus = Notify::start(&alice_d, "on-bus", &bus.address, &[]).await;
    let mut no_bus = Notify::start(&alice_d, "no-bus", &nowhere, &[]).await;
    alice.ok("subscribe", json!({})).await.unwrap();
    for text in ["first", "second"] {
        bob.ok("send", json!({"to": "alice", "text": text}))
            .await
            .unwrap();
    }
    message_seq(&mut alice, "first").await;
    let last = message_seq(&mut alice, "second").await;
    for notify in [&mut on_bus, &mut no_bus] {
        notify.wait_seq(last).await;
        assert!(
            notify.guard.running(),
            "chat-notify died:\n{}",
            notify.log_text()
        );
        let log = notify.log_text();
        let warnings = log
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("cannot show notifications"))
            .count();
        assert_eq!(warnings, 1, "expected one warning, got:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_messages_name_the_group_quiet_when_it_is_focused_and_membership_is_told() {
    let world = World::new();
    let desk_dir = world.dir.path().join("desktop");
    std::fs::create_dir_all(&desk_dir).unwrap();
    let bus = PrivateBus::start().unwrap();
    let dunst = NotificationServer::start(&desk_dir, &bus).await;
    let (alice_d, _alice) = world.user("alice").await;
    let (_bob_d, mut bob) = world.user("bob").await;
    let notify = Notify::start(&alice_d, "notify", &bus.address, &[]).await;
    let mut watcher = alice_d.client().await.unwrap();
    watcher
        .ok("subscribe", json!({"events": ["message", "group"]}))
        .await
        .unwrap();

    // bob makes a group with alice: she is told who added her to what.
    let made = bob
        .ok(
            "group_create",
            json!({"name": "team", "members": ["alice"]}),
        )
        .await
        .unwrap();
    let id = made["group"]["id"].as_str().unwrap().to_string();
    dunst.wait_for_summary("bob added you to team").await;

    // A group message names its group and who wrote it.
    let send = |text: &'static str| json!({"group": id, "text": text});
    bob.ok("send", send("hello team")).await.unwrap();
    dunst.wait_for_note("bob in team", "bob: hello team").await;

    // A window shows the group: not a word about it.
    let mut viewer = alice_d.client().await.unwrap();
    viewer.ok("focus", json!({"group": id})).await.unwrap();
    bob.ok("send", send("you are looking")).await.unwrap();
    let focused = message_seq(&mut watcher, "you are looking").await;
    notify.wait_seq(focused).await;
    viewer.ok("focus", json!({})).await.unwrap();

    // bob removes alice: she is told that too.
    bob.ok("group_remove", json!({"group": id, "users": ["alice"]}))
        .await
        .unwrap();
    let history = dunst.wait_for_summary("bob removed you from team").await;
    assert!(
        !history
            .iter()
            .any(|(_, body)| body.contains("you are looking")),
        "a message in a focused group was notified: {history:?}"
    );
    drop(notify);
}
