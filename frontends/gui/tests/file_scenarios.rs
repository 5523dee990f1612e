//! Files in the real UI against a real chat-server and real chatd
//! processes (issue 13): a file received and downloaded to the same bytes,
//! a photo dropped on the window reaching another person's window and
//! terminal across a pulled network, a file sent to a group, and an
//! upload stopped with its Cancel button. The network is pulled with
//! test-support's fault proxy between the sender's chatd and the server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chatd_api::TransferState;
use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

#[test]
fn a_file_from_bob_shows_with_its_size_and_downloads_to_the_same_bytes() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    w.call(
        &mut alice,
        "subscribe",
        json!({"events": ["message", "transfer"]}),
    );
    // A conversation first, so that the file is not bob's first word.
    w.call(
        &mut bob,
        "send",
        json!({"to": "alice", "text": "a file for you"}),
    );
    let bytes: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let path = w.dir.path().join("notes.bin");
    std::fs::write(&path, &bytes).unwrap();
    w.call(
        &mut bob,
        "send_file",
        json!({"to": "alice", "path": path.display().to_string(), "caption": "read this"}),
    );
    let got = w.event(&mut alice, "bob's file", |e| {
        e["type"] == "message" && e["message"]["file"]["name"] == "notes.bin"
    });
    let id = got["message"]["id"].as_str().unwrap().to_string();

    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with bob, 2 unread");
    wait_label(&mut h, "notes.bin");
    wait_label(&mut h, "5.0 kB");
    wait_label(&mut h, "read this");
    // test-support starts chatd with `--downloads <its dir>/downloads`,
    // which does not exist yet: chatd makes it.
    let downloads = ad.dir.join("downloads");
    click(&mut h, "Download notes.bin");
    let done = wait_transfer(&mut h, &id, TransferState::Done);
    let local = done.path.clone().expect("a downloaded file's path");
    let message = w.call(&mut alice, "message", json!({"id": id}));
    assert_eq!(
        std::path::Path::new(&local),
        downloads.join("notes.bin"),
        "{done:?}\n{message}"
    );
    assert_eq!(std::fs::read(&local).unwrap(), bytes);
    wait_ui(&mut h, "Open and Show in folder", |h| {
        h.query_by_role_and_label(Role::Button, "Open notes.bin")
            .is_some()
            && h.query_by_role_and_label(Role::Button, "Show notes.bin in its folder")
                .is_some()
    });
    assert!(
        h.query_by_role_and_label(Role::Button, "Download notes.bin")
            .is_none()
    );
}

#[test]
fn an_image_shows_its_preview_and_a_dropped_file_is_sent() {
    let w = World::new();
    let (ad, _alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    w.call(
        &mut bob,
        "subscribe",
        json!({"events": ["message", "transfer"]}),
    );
    w.call(&mut bob, "send", json!({"to": "alice", "text": "hi"}));
    // A real PNG: chatd makes its preview.
    let red = w.dir.path().join("red.png");
    image::RgbaImage::from_pixel(64, 48, image::Rgba([200, 30, 30, 255]))
        .save(&red)
        .unwrap();
    w.call(
        &mut bob,
        "send_file",
        json!({"to": "alice", "path": red.display().to_string()}),
    );

    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with bob, 2 unread");
    wait_label(&mut h, "red.png");
    wait_ui(&mut h, "the preview", |h| {
        h.query_by_role_and_label(Role::Image, "Preview of red.png")
            .is_some()
    });

    // alice drops a file on the window, with words typed: they go with it.
    let doc = w.dir.path().join("plan.txt");
    std::fs::write(&doc, b"the plan").unwrap();
    type_into(&mut h, "Message to bob", "our plan");
    drop_file(&mut h, "Drop to send to bob", &doc);
    wait_label(&mut h, "plan.txt");
    let sent = w.event(&mut bob, "alice's file", |e| {
        e["type"] == "message" && e["message"]["file"]["name"] == "plan.txt"
    });
    assert_eq!(sent["message"]["text"], "our plan");
    assert_eq!(
        h.get_by_label("Message to bob").value().as_deref(),
        Some("")
    );
}

/// Whether `e` is a `transfer` event of the file `name` going `direction`
/// whose state is `state` (any state for `None`).
fn transfer_event(e: &Value, name: &str, direction: &str, state: Option<&str>) -> bool {
    let t = &e["transfer"];
    e["type"] == "transfer"
        && t["name"] == name
        && t["direction"] == direction
        && state.is_none_or(|s| t["state"] == s)
}

/// Whether `e` reports the upload of `name` part way: some bytes gone,
/// not all.
fn part_way(e: &Value, name: &str) -> bool {
    let t = &e["transfer"];
    let (bytes, total) = (t["bytes"].as_u64(), t["total"].as_u64());
    transfer_event(e, name, "upload", Some("active"))
        && matches!((bytes, total), (Some(b), Some(t)) if b > 0 && b < t)
}

/// Issue 13's "Done when": alice drops a photo on her window; her network
/// is pulled while it uploads (her window says it waits, nothing reaches
/// bob) and comes back; the upload finishes, and the photo shows in bob's
/// window, with its preview, and in his chat-tui; bob downloads it from
/// his window, both show it here, and the bytes are the photo's.
#[test]
fn a_photo_from_the_window_reaches_a_window_and_a_terminal_across_a_pulled_network() {
    let w = World::new();
    let net = w.proxy();
    let (ad, mut alice) = w.user_via("alice", net.addr);
    let (bd, mut bob) = w.user("bob");
    let kinds = json!({"events": ["message", "transfer"]});
    w.call(&mut alice, "subscribe", kinds.clone());
    w.call(&mut bob, "subscribe", kinds);
    w.call(
        &mut bob,
        "send",
        json!({"to": "alice", "text": "send me the photo"}),
    );
    w.event(&mut alice, "bob's message", |e| e["type"] == "message");
    // Big enough (about 15 MB) to be cut part way through.
    let photo = w.dir.path().join("photo.png");
    write_photo(&photo, 2600, 2000);
    let bytes = std::fs::read(&photo).unwrap();
    let size = chatd_api::domain::file_size(bytes.len() as u64);

    // bob has his window and his terminal open on alice.
    let mut bob_gui = gui(&bd.socket);
    click_when_shown(&mut bob_gui, "Conversation with alice");
    wait_label(&mut bob_gui, "send me the photo");
    let tui = chat_tui(&bd.socket, &w.dir.path().join("bob-tui"), &["alice"]);
    tui.wait_for("bob's message in chat-tui", "send me the photo");

    // alice drops the photo on her window.
    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with bob, 1 unread");
    wait_label(&mut h, "Message to bob");
    drop_file(&mut h, "Drop to send to bob", &photo);
    let moving = w.event(&mut alice, "the upload part way", |e| {
        part_way(e, "photo.png")
    });
    let upload = moving["transfer"]["id"].clone();
    let message = moving["transfer"]["message"].as_str().unwrap().to_string();
    println!(
        "the network goes at {} of {} bytes (the photo is {size})",
        moving["transfer"]["bytes"], moving["transfer"]["total"]
    );

    // The network goes: nothing passes, and what was open is closed.
    net.stall();
    net.cut();
    w.event(&mut alice, "the upload to wait for the network", |e| {
        transfer_event(e, "photo.png", "upload", Some("waiting")) && e["transfer"]["id"] == upload
    });
    wait_label(&mut h, "Waiting of photo.png");
    bob_gui.step();
    assert!(bob_gui.query_by_label("photo.png").is_none());
    assert!(!tui.screen().contains("photo.png"), "{}", tui.screen());

    // It comes back: the upload goes on and ends.
    net.resume();
    w.event(&mut alice, "the upload done", |e| {
        transfer_event(e, "photo.png", "upload", Some("done")) && e["transfer"]["id"] == upload
    });
    assert!(net.counts().cut >= 1, "{:?}", net.counts());
    wait_label(&mut h, "Open photo.png");

    // bob's window and terminal show it, with its size.
    let got = w.event(&mut bob, "alice's photo", |e| {
        e["type"] == "message" && e["message"]["file"]["name"] == "photo.png"
    });
    assert_eq!(got["message"]["id"], message.as_str());
    wait_label(&mut bob_gui, "photo.png");
    wait_label(&mut bob_gui, &size);
    wait_ui(&mut bob_gui, "the preview", |h| {
        h.query_by_role_and_label(Role::Image, "Preview of photo.png")
            .is_some()
    });
    let shown = format!("📎 photo.png ({size})");
    tui.wait_for("the photo in chat-tui", &shown);

    // bob downloads it from his window: the same bytes, and both say so.
    click(&mut bob_gui, "Download photo.png");
    let done = wait_transfer(&mut bob_gui, &message, TransferState::Done);
    let local = done.path.clone().expect("a downloaded file's path");
    assert!(
        std::fs::read(&local).unwrap() == bytes,
        "{local}: not the photo"
    );
    wait_label(&mut bob_gui, "Open photo.png");
    tui.wait_for("the photo saved, in chat-tui", &format!("{shown} · saved"));
}

/// alice sends a photo to a group from her window: bob and carol get it,
/// bob's copy is the photo, and alice's window counts the deliveries.
#[test]
fn a_file_dropped_on_a_group_reaches_every_member() {
    let w = World::new();
    let (ad, mut alice) = w.user("alice");
    let (_bd, mut bob) = w.user("bob");
    let (_cd, mut carol) = w.user("carol");
    let kinds = json!({"events": ["message", "group", "transfer"]});
    for c in [&mut alice, &mut bob, &mut carol] {
        w.call(c, "subscribe", kinds.clone());
    }
    let made = w.call(
        &mut alice,
        "group_create",
        json!({"name": "team", "members": ["bob", "carol"]}),
    );
    let group = made["group"]["id"].as_str().unwrap().to_string();
    for c in [&mut bob, &mut carol] {
        w.event(c, "joining team", |e| e["type"] == "group");
    }
    let photo = w.dir.path().join("team.png");
    write_photo(&photo, 320, 240);
    let bytes = std::fs::read(&photo).unwrap();

    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Group team");
    wait_label(&mut h, "Message to team");
    type_into(&mut h, "Message to team", "the team photo");
    drop_file(&mut h, "Drop to send to team", &photo);
    wait_label(&mut h, "team.png");
    let mut id = String::new();
    for c in [&mut bob, &mut carol] {
        let got = w.event(c, "alice's photo to the group", |e| {
            e["type"] == "message" && e["message"]["file"]["name"] == "team.png"
        });
        assert_eq!(got["message"]["group"]["id"], group.as_str(), "{got}");
        assert_eq!(got["message"]["text"], "the team photo");
        id = got["message"]["id"].as_str().unwrap().to_string();
    }
    wait_ui(&mut h, "alice's own preview", |h| {
        h.query_by_role_and_label(Role::Image, "Preview of team.png")
            .is_some()
    });
    wait_label_contains(&mut h, "delivered to 2 of 2");

    w.call(&mut bob, "download", json!({"id": id}));
    let done = w.event(&mut bob, "bob's download", |e| {
        transfer_event(e, "team.png", "download", Some("done"))
    });
    let local = done["transfer"]["path"].as_str().unwrap();
    assert!(
        std::fs::read(local).unwrap() == bytes,
        "{local}: not the photo"
    );
}

/// alice's upload is stopped with the Cancel button of its bubble: chatd
/// ends it `cancelled`, her window says so, and bob never gets the file
/// (a text she sends after it arrives, the file does not).
#[test]
fn the_cancel_button_stops_an_upload_and_nothing_is_delivered() {
    let w = World::new();
    let net = w.proxy();
    let (ad, mut alice) = w.user_via("alice", net.addr);
    let (_bd, mut bob) = w.user("bob");
    let kinds = json!({"events": ["message", "transfer", "receipt"]});
    w.call(&mut alice, "subscribe", kinds.clone());
    w.call(&mut bob, "subscribe", kinds);
    w.call(&mut bob, "send", json!({"to": "alice", "text": "hi"}));
    w.event(&mut alice, "bob's message", |e| e["type"] == "message");
    let big = w.dir.path().join("backup.png");
    write_photo(&big, 2600, 2000);

    let mut h = gui(&ad.socket);
    click_when_shown(&mut h, "Conversation with bob, 1 unread");
    wait_label(&mut h, "Message to bob");
    drop_file(&mut h, "Drop to send to bob", &big);
    let moving = w.event(&mut alice, "the upload part way", |e| {
        part_way(e, "backup.png")
    });
    let upload = moving["transfer"]["id"].as_str().unwrap().to_string();
    let message = moving["transfer"]["message"].as_str().unwrap().to_string();
    // Held part way, so that Cancel is pressed mid-upload.
    net.stall();
    click_when_shown(&mut h, "Cancel backup.png");
    wait_label(&mut h, "Upload cancelled");
    let ended = wait_transfer(&mut h, &message, TransferState::Cancelled);
    assert_eq!(ended.id, upload);
    let listed = w.call(&mut alice, "transfers", json!({}));
    let state = listed["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == upload.as_str())
        .map(|t| t["state"].clone());
    assert_eq!(state, Some(json!("cancelled")), "{listed}");
    let m = w.call(&mut alice, "message", json!({"id": message}));
    assert_eq!(m["message"]["status"], "failed", "{m}");

    // The network is back; what alice writes next arrives, the file not.
    net.resume();
    type_into(&mut h, "Message to bob", "never mind");
    h.key_press(egui::Key::Enter);
    wait_label(&mut h, "never mind");
    w.event(&mut bob, "alice's text", |e| {
        let file = e["type"] == "message" && !e["message"]["file"].is_null();
        assert!(!file, "the cancelled file reached bob: {e}");
        e["type"] == "message" && e["message"]["text"] == "never mind"
    });
    let history = w.call(&mut bob, "history", json!({"peer": "alice"}));
    let files: Vec<_> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| !m["file"].is_null())
        .collect();
    assert!(files.is_empty(), "{history}");
}
