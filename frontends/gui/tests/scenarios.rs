//! The real UI, driven by label and role the way a screen reader or a
//! person would, against a real chat-server and real chatd processes:
//! log in, sign up, send, receive, and answer a changed key.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use test_support::WireClient;
use test_support::fixtures::public_pem;

#[test]
fn a_missing_daemon_is_explained_and_attached_to_when_it_starts() {
    let w = World::new();
    let dir = w.dir.path().join("late");
    let socket = dir.join("run/chatd.sock");
    let mut h = gui(&socket);
    wait_label(&mut h, "chatd is not running");
    assert!(h.query_by_label("systemctl --user start chatd").is_some());
    let path = socket.display().to_string();
    assert!(h.query_all_by_label_contains(&path).next().is_some());
    let _d =
        w.rt.block_on(DaemonProcess::start(
            &dir,
            w.server.addr,
            &w.server.fingerprint,
        ))
        .unwrap();
    h.get_by_role_and_label(Role::Button, "Retry now").click();
    wait_label(&mut h, "Log in");
    wait_label_contains(&mut h, "not logged in");
}

#[test]
fn log_in_send_and_receive_with_receipts_in_two_windows() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    w.call(&mut alice, "logout", json!({}));
    w.call(&mut bob, "subscribe", json!({}));

    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Log in");
    // chatd holds alice's data: her name is filled in.
    assert_eq!(h.get_by_label("Username").value().as_deref(), Some("alice"));
    type_into(&mut h, "Password", PASSWORD);
    click(&mut h, "Log in");
    wait_label(&mut h, "Search people");

    // Find bob and write to him; Enter sends.
    type_into(&mut h, "Search people", "bo");
    wait_label(&mut h, "Chat with bob");
    click(&mut h, "Chat with bob");
    wait_label(&mut h, "Message to bob");
    type_into(&mut h, "Message to bob", "hello bob");
    h.key_press(egui::Key::Enter);
    wait_label(&mut h, "hello bob");
    let got = w.event(&mut bob, "alice's message", |e| {
        e["type"] == "message" && e["message"]["text"] == "hello bob"
    });
    let first_id = got["message"]["id"].as_str().unwrap().to_string();
    // Shift+Enter is a new line, not a send.
    type_into(&mut h, "Message to bob", "two");
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Enter);
    h.step();
    assert_eq!(
        h.get_by_label("Message to bob").value().as_deref(),
        Some("two\n")
    );
    h.event(egui::Event::Text("lines".into()));
    h.step();
    assert_eq!(
        h.get_by_label("Message to bob").value().as_deref(),
        Some("two\nlines")
    );
    click(&mut h, "Send");
    wait_label(&mut h, "two\nlines");

    // A second window on the same daemon shows the same conversation;
    // it is reached with the keyboard alone: Ctrl+K, type, Enter.
    let mut h2 = gui(&ad.socket);
    wait_label(&mut h2, "Conversation with bob");
    h2.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::K);
    h2.step();
    h2.step();
    assert!(h2.get_by_label("Search people").is_focused());
    h2.event(egui::Event::Text("bo".into()));
    h2.step();
    h2.key_press(egui::Key::Enter);
    wait_label(&mut h2, "hello bob");
    assert!(h2.get_by_label("Message to bob").is_focused());

    // bob answers and reads: the open conversation shows both, and the
    // receipts move alice's marks.
    w.call(&mut alice, "subscribe", json!({}));
    w.call(&mut bob, "send", json!({"to": "alice", "text": "hi alice"}));
    // chatd knows a window shows the conversation (`focus`), so notifiers
    // stay quiet about it.
    let arrived = w.event(&mut alice, "bob's message", |e| {
        e["type"] == "message" && e["message"]["text"] == "hi alice"
    });
    assert_eq!(arrived["focused"], true, "{arrived}");
    wait_label(&mut h, "hi alice");
    wait_label(&mut h2, "hi alice");
    w.call(&mut bob, "mark_read", json!({"peer": "alice"}));
    wait_ui(&mut h, "a read mark", |h| {
        h.query_all_by_label_contains(", read").count() >= 2
    });
    // alice has the conversation open, so bob's message was marked read.
    let bob_sees = w.event(&mut bob, "alice reading", |e| {
        e["type"] == "receipt" && e["status"] == "read"
    });
    assert_eq!(bob_sees["type"], "receipt");
    let first = w.call(&mut bob, "message", json!({"id": first_id}));
    assert_eq!(first["message"]["status"], "read");
}

#[test]
fn sign_up_refuses_a_mismatched_confirmation_then_succeeds() {
    let w = World::new();
    let d = w.daemon("erin");
    let mut rpc = w.rt.block_on(d.client()).unwrap();
    w.wait_state(&mut rpc, &["connected"]);

    let mut h = gui(&d.socket);
    wait_label(&mut h, "Create an account");
    h.get_by_role_and_label(Role::Link, "Create an account")
        .click();
    wait_label(&mut h, "Confirm password");
    type_into(&mut h, "Username", "erin");
    type_into(&mut h, "Password", "short");
    wait_label(&mut h, "At least 15 characters (5 so far)");
    type_into(&mut h, "Password", " but now long enough");
    type_into(&mut h, "Confirm password", "short but now long enougj");
    click(&mut h, "Create account");
    wait_label(&mut h, "The passwords do not match");
    // Nothing reached the server.
    let s = w.call(&mut rpc, "status", json!({}));
    assert_eq!(s["state"], "connected");
    assert!(s["username"].is_null(), "{s}");

    h.get_by_label("Confirm password").focus();
    h.key_press(egui::Key::Backspace);
    h.get_by_label("Confirm password").type_text("h");
    wait_gone(&mut h, "The passwords do not match");
    click(&mut h, "Create account");
    wait_label(&mut h, "Search people");
    w.wait_state(&mut rpc, &["logged_in"]);
    assert_eq!(w.call(&mut rpc, "status", json!({}))["username"], "erin");
}

#[test]
fn a_changed_key_blocks_until_trusted_and_safety_numbers_verify() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    // carol is a raw protocol client with a fixed key.
    let (_carol, _) =
        w.rt.block_on(WireClient::logged_in(
            w.server.addr,
            "carol",
            &public_pem("alice"),
        ))
        .unwrap();
    w.call(
        &mut alice,
        "send",
        json!({"to": "carol", "text": "hi carol"}),
    );
    // Logging in makes chatd watch every peer, so it hears of carol's key
    // change. (A first `send` pins the peer before chatd checks whether
    // the peer is new, so it does not watch them: a chatd bug, reported.)
    w.call(&mut alice, "logout", json!({}));

    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Log in");
    type_into(&mut h, "Password", PASSWORD);
    h.key_press(egui::Key::Enter);
    wait_label(&mut h, "Conversation with carol");
    click(&mut h, "Conversation with carol");
    wait_label(&mut h, "hi carol");

    // Safety numbers: both, side by side; Verify records it.
    click(&mut h, "🛡 Safety number");
    wait_label_contains(&mut h, "You (alice): ");
    wait_label_contains(&mut h, "carol: ");
    let own = w.call(&mut alice, "fingerprint", json!({}));
    let groups = chat_gui_groups(own["fingerprint"].as_str().unwrap());
    assert!(
        h.query_by_label(&format!("You (alice): {groups}"))
            .is_some()
    );
    wait_ui(&mut h, "Verify enabled", |h| {
        h.query_by_role_and_label(Role::Button, "Verify")
            .is_some_and(|b| !b.accesskit_node().is_disabled())
    });
    click(&mut h, "Verify");
    wait_label_contains(&mut h, "Verified");
    assert_eq!(
        w.call(&mut alice, "fingerprint", json!({"user": "carol"}))["state"],
        "verified"
    );
    // Escape closes it.
    h.key_press(egui::Key::Escape);
    wait_gone(&mut h, "Safety numbers with carol");

    // carol logs in with another key: a blocking warning.
    let mut again = w.rt.block_on(WireClient::connect(w.server.addr)).unwrap();
    w.rt.block_on(again.login("carol", PASSWORD, &public_pem("bob")))
        .unwrap();
    wait_label(&mut h, "carol's safety number changed");
    wait_label_contains(&mut h, "carol's new key fingerprint: ");
    // Cancel keeps sending blocked and leaves a way back.
    click(&mut h, "Cancel");
    wait_gone(&mut h, "carol's safety number changed");
    type_into(&mut h, "Message to carol", "blocked?");
    h.key_press(egui::Key::Enter);
    wait_label_contains(&mut h, "Not sent");
    assert_eq!(
        w.call(&mut alice, "fingerprint", json!({"user": "carol"}))["state"],
        "changed"
    );
    click(&mut h, "Review");
    wait_label(&mut h, "carol's safety number changed");
    click(&mut h, "Trust new key");
    wait_gone(&mut h, "carol's safety number changed");
    wait_label_contains(&mut h, "Not verified");
    assert_eq!(
        w.call(&mut alice, "fingerprint", json!({"user": "carol"}))["state"],
        "unverified"
    );
}

/// A fingerprint as one line of 16 groups of 4.
fn chat_gui_groups(hex: &str) -> String {
    hex.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn a_restarted_daemon_is_reattached_and_nothing_is_missed() {
    let w = World::new();
    let (mut ad, _alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    w.call(&mut bob, "send", json!({"to": "alice", "text": "before"}));

    let mut h = gui(&ad.socket);
    // The row says how many are unread, for screen readers too.
    wait_label(&mut h, "Conversation with bob, 1 unread");
    click(&mut h, "Conversation with bob, 1 unread");
    wait_label(&mut h, "before");
    wait_label(&mut h, "Conversation with bob");

    // chatd is killed and comes back (systemd restarts it); bob writes
    // meanwhile. The window reattaches and replays what it missed.
    w.rt.block_on(ad.restart()).unwrap();
    for text in ["one", "two", "three"] {
        w.call(&mut bob, "send", json!({"to": "alice", "text": text}));
    }
    for text in ["one", "two", "three"] {
        wait_label(&mut h, text);
    }
    wait_label_contains(&mut h, "Online as alice");
}

#[test]
fn a_screen_switch_from_another_client_clears_inputs_and_sends_nothing() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    w.call(&mut bob, "subscribe", json!({}));
    w.call(&mut alice, "send", json!({"to": "bob", "text": "first"}));
    w.event(&mut bob, "alice's first message", |e| {
        e["type"] == "message" && e["message"]["text"] == "first"
    });

    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with bob");
    wait_label(&mut h, "Message to bob");
    type_into(&mut h, "Message to bob", "a draft for bob");

    // `chat logout` elsewhere: the login screen takes nothing of the chat,
    // and the person typing on is not typing into the password field.
    w.call(&mut alice, "logout", json!({}));
    wait_label(&mut h, "Log in");
    h.event(egui::Event::Text("my next words".into()));
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();
    let app = h.state();
    assert!(app.view.login.password.is_empty(), "{:?}", app.view.login);
    assert!(app.view.drafts.is_empty(), "{:?}", app.view.drafts);
    assert!(
        !app.model.auth.busy && app.model.auth.failure.is_none(),
        "nothing may be submitted as a password: {:?}",
        app.model.auth
    );

    // Half a password, then `chat login` elsewhere: the half is wiped and
    // the rest, typed on, goes nowhere.
    type_into(&mut h, "Password", "correct hor");
    assert_eq!(h.state().view.login.password, "correct hor");
    w.call(
        &mut alice,
        "login",
        json!({"username": "alice", "password": PASSWORD}),
    );
    wait_label(&mut h, "Search people");
    assert!(h.state().view.login.password.is_empty());
    h.event(egui::Event::Text("se battery".into()));
    h.step();
    h.key_press(egui::Key::Enter);
    h.step();
    h.step();

    // The conversation opens afresh, without the old draft; the marker is
    // the only thing the window sends.
    click_when_shown(&mut h, "Conversation with bob");
    wait_label(&mut h, "Message to bob");
    assert!(
        h.state().view.drafts.values().all(String::is_empty),
        "{:?}",
        h.state().view.drafts
    );
    type_into(&mut h, "Message to bob", "marker");
    h.key_press(egui::Key::Enter);
    wait_label(&mut h, "marker");
    w.event(&mut bob, "the marker", |e| {
        e["type"] == "message" && e["message"]["text"] == "marker"
    });
    let history = w.call(&mut alice, "history", json!({"peer": "bob"}));
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert_eq!(texts, ["first", "marker"], "{history}");
}

/// Scrolls the open conversation by `dy` points (positive: towards older
/// messages) with the mouse wheel over it, and lets it settle.
fn scroll_messages(h: &mut egui_kittest::Harness<'static, chat_gui::ui::App>, dy: f32) {
    h.hover_at(egui::pos2(650.0, 300.0));
    h.step();
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Unknown,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..60 {
        h.step();
    }
}

/// The status of bob's message with this text in the window's model.
fn shown_status(
    h: &egui_kittest::Harness<'static, chat_gui::ui::App>,
    text: &str,
) -> Option<chatd_api::MessageStatus> {
    let thread = h.state().model.threads.get("bob")?;
    thread
        .messages
        .iter()
        .find(|m| m.text == text)
        .map(|m| m.status)
}

#[test]
fn messages_are_read_only_when_shown_in_a_focused_window() {
    let w = World::new();
    let (ad, _alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    w.call(&mut bob, "subscribe", json!({}));
    for i in 0..30 {
        w.call(
            &mut bob,
            "send",
            json!({"to": "alice", "text": format!("old {i}")}),
        );
    }
    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with bob, 30 unread");
    wait_ui(&mut h, "bob's messages read", |h| {
        h.state().model.threads["bob"].unread == 0
    });

    // The window in the background: bob's message is drawn, not read.
    h.input_mut().focused = false;
    h.step();
    let away = w.call(
        &mut bob,
        "send",
        json!({"to": "alice", "text": "while away"}),
    );
    wait_label(&mut h, "while away");
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(
        shown_status(&h, "while away"),
        Some(chatd_api::MessageStatus::Delivered)
    );
    h.input_mut().focused = true;
    wait_ui(&mut h, "'while away' read", |h| {
        shown_status(h, "while away") == Some(chatd_api::MessageStatus::Read)
    });
    w.event(&mut bob, "alice reading 'while away'", |e| {
        e["type"] == "receipt" && e["status"] == "read" && e["id"] == away["id"]
    });

    // Scrolled up to older messages: a new one arrives below, unseen.
    scroll_messages(&mut h, 4000.0);
    let below = w.call(&mut bob, "send", json!({"to": "alice", "text": "below"}));
    wait_ui(&mut h, "'below' arrived", |h| {
        shown_status(h, "below").is_some()
    });
    for _ in 0..5 {
        h.step();
    }
    assert_eq!(
        shown_status(&h, "below"),
        Some(chatd_api::MessageStatus::Delivered),
        "not on screen, not read"
    );
    assert_eq!(h.state().model.threads["bob"].unread, 1);
    // Back down: now it is read, and bob hears so.
    scroll_messages(&mut h, -8000.0);
    wait_ui(&mut h, "'below' read", |h| {
        shown_status(h, "below") == Some(chatd_api::MessageStatus::Read)
    });
    w.event(&mut bob, "alice reading 'below'", |e| {
        e["type"] == "receipt" && e["status"] == "read" && e["id"] == below["id"]
    });
    wait_ui(&mut h, "no unread left", |h| {
        h.state().model.threads["bob"].unread == 0
    });
}

#[test]
fn the_read_receipt_setting_is_chatds_and_follows_other_frontends() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Search people");
    click(&mut h, "Account menu");
    wait_label(&mut h, "Send read receipts");
    let checked = |h: &egui_kittest::Harness<'static, chat_gui::ui::App>| {
        h.get_by_label("Send read receipts")
            .accesskit_node()
            .toggled()
            == Some(egui::accesskit::Toggled::True)
    };
    assert!(checked(&h));
    h.get_by_label("Send read receipts").click();
    h.step();
    wait_ui(&mut h, "receipts off", |h| !h.state().model.read_receipts());
    let settings = w.call(&mut alice, "settings", json!({}));
    assert_eq!(settings["read_receipts"], false, "{settings}");
    // Turned back on in another frontend: the window follows.
    w.call(&mut alice, "set_settings", json!({"read_receipts": true}));
    wait_ui(&mut h, "receipts on again", |h| {
        h.state().model.read_receipts()
    });
}

#[test]
fn the_typing_indicator_setting_is_chatds_and_follows_other_frontends() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Search people");
    click(&mut h, "Account menu");
    wait_label(&mut h, "Send typing indicators");
    let checked = |h: &egui_kittest::Harness<'static, chat_gui::ui::App>| {
        h.get_by_label("Send typing indicators")
            .accesskit_node()
            .toggled()
            == Some(egui::accesskit::Toggled::True)
    };
    assert!(checked(&h));
    h.get_by_label("Send typing indicators").click();
    h.step();
    wait_ui(&mut h, "typing indicators off", |h| {
        !h.state().model.typing_indicators()
    });
    let settings = w.call(&mut alice, "settings", json!({}));
    assert_eq!(settings["typing_indicators"], false, "{settings}");
    assert_eq!(settings["read_receipts"], true, "only that one: {settings}");
    w.call(
        &mut alice,
        "set_settings",
        json!({"typing_indicators": true}),
    );
    wait_ui(&mut h, "typing indicators on again", |h| {
        h.state().model.typing_indicators()
    });
}

#[test]
fn trust_and_reads_from_another_client_show_at_once_with_a_timeline_line() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    let (_carol, _) =
        w.rt.block_on(WireClient::logged_in(
            w.server.addr,
            "carol",
            &public_pem("alice"),
        ))
        .unwrap();
    w.call(
        &mut alice,
        "send",
        json!({"to": "carol", "text": "hi carol"}),
    );
    w.call(&mut alice, "logout", json!({}));
    w.wait_state(&mut alice, &["connected"]);
    w.call(
        &mut alice,
        "login",
        json!({"username": "alice", "password": PASSWORD}),
    );

    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with carol");
    wait_label(&mut h, "hi carol");

    // carol's key changes; the warning is answered in a terminal instead.
    let mut again = w.rt.block_on(WireClient::connect(w.server.addr)).unwrap();
    w.rt.block_on(again.login("carol", PASSWORD, &public_pem("bob")))
        .unwrap();
    wait_label(&mut h, "carol's safety number changed");
    wait_label_contains(&mut h, "carol's safety number changed at");
    w.call(&mut alice, "trust", json!({"user": "carol"}));
    wait_gone(&mut h, "carol's safety number changed");
    wait_label_contains(&mut h, "You accepted carol's new key");
    // The banner goes too (it may take a frame more than the timeline line).
    wait_ui(&mut h, "the banner gone", |h| {
        h.query_all_by_label_contains("Nothing is sent to carol")
            .next()
            .is_none()
    });
    let fp = w.call(&mut alice, "fingerprint", json!({"user": "carol"}));
    w.call(
        &mut alice,
        "verify",
        json!({"user": "carol", "fingerprint": fp["fingerprint"]}),
    );
    wait_label_contains(&mut h, "You verified carol's safety number");
    wait_label_contains(&mut h, "Verified");

    // bob writes while carol's conversation is open; a terminal reads it.
    w.call(&mut bob, "send", json!({"to": "alice", "text": "one"}));
    w.call(&mut bob, "send", json!({"to": "alice", "text": "two"}));
    wait_label(&mut h, "Conversation with bob, 2 unread");
    w.call(&mut alice, "mark_read", json!({"peer": "bob"}));
    wait_label(&mut h, "Conversation with bob");
    // Read here, then left: the badge does not come back.
    w.call(&mut bob, "send", json!({"to": "alice", "text": "three"}));
    click_when_shown(&mut h, "Conversation with bob, 1 unread");
    wait_label(&mut h, "three");
    wait_ui(&mut h, "bob's conversation read", |h| {
        h.state().model.threads["bob"].unread == 0
    });
    click(&mut h, "Conversation with carol");
    wait_label(&mut h, "hi carol");
    for _ in 0..10 {
        h.step();
    }
    assert!(h.query_by_label("Conversation with bob").is_some());
}

#[test]
fn searching_for_a_name_nobody_has_says_so() {
    let w = World::new();
    let (ad, _alice) = w.user("alice");
    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Search people");
    type_into(&mut h, "Search people", "ghost");
    wait_label(&mut h, "No user named ghost");
    h.key_press(egui::Key::Enter);
    h.step();
    assert_eq!(h.state().view.open, None, "no conversation with nobody");
}

#[test]
fn the_conversation_with_yourself_is_shown_as_notes() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    w.call(
        &mut alice,
        "send",
        json!({"to": "alice", "text": "buy milk"}),
    );
    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Your notes (a conversation with yourself)");
    assert!(
        h.query_all_by_label("Conversation with alice")
            .next()
            .is_none(),
        "one's own account is not listed as a person to chat with"
    );
}

/// Subscribes a raw client to what a group member's frontend gets.
fn subscribe_groups(w: &World, c: &mut test_support::RpcClient) {
    w.call(
        c,
        "subscribe",
        json!({"events": ["message", "receipt", "group", "typing"]}),
    );
}

#[test]
fn a_group_is_made_talked_in_and_managed_from_the_window() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    let (_cd, mut carol) = w.user("carol");
    let (_dd, mut dave) = w.user("dave");
    for c in [&mut bob, &mut carol, &mut dave] {
        subscribe_groups(&w, c);
    }

    // "New group": a name, and bob and carol picked from who is online.
    let mut h = gui(&ad.socket);
    wait_label(&mut h, "No groups yet");
    click(&mut h, "New group");
    wait_label(&mut h, "Create group");
    type_into(&mut h, "Name", "team");
    for user in ["bob", "carol"] {
        wait_label(&mut h, user);
        h.get_by_label(user).click();
        h.step();
    }
    wait_label(&mut h, "Members · 2 picked");
    click(&mut h, "Create group");
    wait_label(&mut h, "You created team");
    wait_label(&mut h, "Message to team");
    wait_label_contains(&mut h, "Member bob");
    let joined = w.event(&mut bob, "bob joining team", |e| {
        e["type"] == "group" && e["change"]["joined"] == true
    });
    let id = joined["group"]["id"].as_str().unwrap().to_string();
    assert_eq!(joined["by"], "alice");
    w.event(&mut carol, "carol joining team", |e| e["type"] == "group");

    // bob writes: his name over his message; the window shows the group,
    // focused, so chatd tells notifiers to stay quiet.
    w.call(
        &mut alice,
        "subscribe",
        json!({"events": ["message", "group"]}),
    );
    w.call(&mut bob, "send", json!({"group": id, "text": "hi team"}));
    wait_label(&mut h, "hi team");
    let arrived = w.event(&mut alice, "bob's group message", |e| {
        e["type"] == "message" && e["message"]["text"] == "hi team"
    });
    assert_eq!(arrived["focused"], true, "{arrived}");
    assert!(
        h.query_all_by_label("bob").next().is_some(),
        "the sender is named"
    );

    // alice sends: the others get it; the receipts add up.
    type_into(&mut h, "Message to team", "hello all");
    h.key_press(egui::Key::Enter);
    wait_label(&mut h, "hello all");
    for c in [&mut bob, &mut carol] {
        w.event(c, "alice's group message", |e| {
            e["type"] == "message" && e["message"]["text"] == "hello all"
        });
    }
    w.call(&mut bob, "mark_read", json!({"group": id}));
    wait_label(&mut h, "delivered to 2 of 2 · read by bob");

    // The members panel: add dave, make bob admin, remove carol.
    type_into(&mut h, "Add a member to team", "dave");
    click(&mut h, "Add");
    wait_label(&mut h, "You added dave");
    wait_label_contains(&mut h, "Member dave");
    w.event(&mut dave, "dave joining", |e| {
        e["type"] == "group" && e["change"]["joined"] == true
    });
    click(&mut h, "Make bob admin");
    wait_label(&mut h, "You made bob admin");
    wait_label_contains(&mut h, "Member bob, admin");
    click(&mut h, "Remove carol");
    wait_label(&mut h, "You removed carol");
    w.event(&mut carol, "carol removed", |e| {
        e["type"] == "group" && e["group"]["is_member"] == false
    });
    // chatd's refusal, in its words: dave is in already.
    type_into(&mut h, "Add a member to team", "dave");
    click(&mut h, "Add");
    wait_label_contains(&mut h, "dave is a member already");

    // bob removes alice: the group stays, read-only, and says so.
    w.call(
        &mut bob,
        "group_remove",
        json!({"group": id, "users": ["alice"]}),
    );
    wait_label(&mut h, "bob removed you");
    wait_label_contains(&mut h, "You are no longer a member of team");
    assert!(h.query_by_label("Message to team").is_none());
}

#[test]
fn groups_listed_at_start_count_unread_until_read_in_the_window() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    subscribe_groups(&w, &mut bob);
    let made = w.call(
        &mut bob,
        "group_create",
        json!({"name": "crew", "members": ["alice"]}),
    );
    let id = made["group"]["id"].as_str().unwrap().to_string();
    w.call(
        &mut alice,
        "subscribe",
        json!({"events": ["message", "group"]}),
    );
    w.event(&mut alice, "alice joining crew", |e| e["type"] == "group");
    for text in ["one", "two"] {
        w.call(&mut bob, "send", json!({"group": id, "text": text}));
    }
    w.event(&mut alice, "bob's second message", |e| {
        e["type"] == "message" && e["message"]["text"] == "two"
    });

    let mut h = gui(&ad.socket);
    wait_label(&mut h, "Group crew, 2 unread");
    // Reading the group in the window clears its count, and tells bob.
    click(&mut h, "Group crew, 2 unread");
    wait_label(&mut h, "two");
    wait_label(&mut h, "Group crew");
    w.event(&mut bob, "alice reading", |e| {
        e["type"] == "receipt" && e["status"] == "read"
    });
}

#[test]
fn typing_shows_in_a_group_and_is_sent_while_typing() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    subscribe_groups(&w, &mut bob);
    w.call(
        &mut alice,
        "subscribe",
        json!({"events": ["message", "group"]}),
    );
    let made = w.call(
        &mut bob,
        "group_create",
        json!({"name": "crew", "members": ["alice"]}),
    );
    let id = made["group"]["id"].as_str().unwrap().to_string();
    // alice can write to the group once her chatd holds its state.
    w.event(&mut alice, "alice joining crew", |e| e["type"] == "group");
    // A message each way first, so both keys are confirmed. alice answers
    // once bob's message is in, so the window opens on exactly one unread.
    w.call(&mut bob, "send", json!({"group": id, "text": "hi crew"}));
    w.event(&mut alice, "bob's greeting", |e| {
        e["type"] == "message" && e["message"]["text"] == "hi crew"
    });
    w.call(&mut alice, "send", json!({"group": id, "text": "hi bob"}));
    w.event(&mut bob, "alice's answer", |e| {
        e["type"] == "message" && e["message"]["text"] == "hi bob"
    });
    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Group crew, 1 unread");
    wait_label(&mut h, "hi bob");
    w.call(&mut bob, "typing", json!({"group": id}));
    wait_label(&mut h, "bob is typing...");
    w.call(
        &mut bob,
        "send",
        json!({"group": id, "text": "done typing"}),
    );
    wait_label(&mut h, "done typing");
    wait_gone(&mut h, "bob is typing...");
    type_into(&mut h, "Message to crew", "hello");
    w.event(&mut bob, "alice typing", |e| {
        e["type"] == "typing" && e["user"] == "alice" && e["group"] == id.as_str()
    });
}
