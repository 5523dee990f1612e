//! chatd's D-Bus service on a private bus: busctl and gdbus as independent
//! clients, signals seen by subscribers (never with message text), replay
//! and focus per caller, the interface compared with the checked-in
//! introspection XML and with the socket API, D-Bus activation from the
//! packaged activation file, chatd with no bus at all, and the group and
//! file signals (named by group id, never with text).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod dbus_bus;

use std::path::{Path, PathBuf};
use std::pin::Pin;

use common::*;
use dbus_bus::*;
use test_support::daemon::DaemonEnv;
use test_support::wait_for;
use zbus::export::futures_core::Stream;

/// The checked-in introspection XML.
fn xml_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/dbus/org.securechat.Chatd1.xml")
}

/// A chatd on `bus` with no server to reach (it stays offline).
async fn offline_chatd(bus: &Bus, dir: &Path) -> DaemonProcess {
    let args = ["--server", "127.0.0.1:9", "--plaintext"].map(String::from);
    let d = DaemonProcess::start_with_env(dir, args.to_vec(), bus.env())
        .await
        .unwrap();
    bus.wait_for_name().await;
    d
}

/// The live service's introspection XML, asked with busctl.
fn live_xml(bus: &Bus) -> String {
    let out = bus.busctl(&[
        "--json=short",
        "call",
        NAME,
        PATH,
        "org.freedesktop.DBus.Introspectable",
        "Introspect",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["data"][0].as_str().unwrap().to_string()
}

/// Our interface's element, without comments (documentation), indentation
/// or blank lines. The standard interfaces zbus adds are not ours to pin.
fn normalised(xml: &str) -> String {
    let open = r#"<interface name="org.securechat.Chatd1">"#;
    let start = xml.find(open).expect("no org.securechat.Chatd1 interface");
    let len = xml[start..].find("</interface>").unwrap() + "</interface>".len();
    let mut block = &xml[start..start + len];
    let mut text = String::new();
    while let Some(i) = block.find("<!--") {
        text.push_str(&block[..i]);
        let j = block[i..].find("-->").unwrap();
        block = &block[i + j + 3..];
    }
    text.push_str(block);
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_matches_the_checked_in_xml() {
    let bus = Bus::start();
    let _d = offline_chatd(&bus, &bus.dir.path().join("chatd")).await;
    let live = live_xml(&bus);
    if std::env::var_os("SECURECHAT_BLESS").is_some() {
        let start = live
            .find(r#"  <interface name="org.securechat.Chatd1">"#)
            .unwrap();
        let end = start + live[start..].find("</interface>").unwrap() + "</interface>".len();
        let doc = format!(
            "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<!-- org.securechat.Chatd1 at /org/securechat/Chatd1, as chatd introspects it;\n     conventions in README.md beside this file. Regenerate: run the test\n     introspection_matches_the_checked_in_xml (chatd/tests/dbus.rs) with\n     SECURECHAT_BLESS=1 in the environment. -->\n<node name=\"/org/securechat/Chatd1\">\n{}\n</node>\n",
            &live[start..end]
        );
        std::fs::write(xml_path(), doc).unwrap();
    }
    let docs = std::fs::read_to_string(xml_path()).unwrap();
    // XML forbids "--" inside a comment; keep the file readable by tools.
    for comment in docs.split("<!--").skip(1) {
        let body = comment.split("-->").next().unwrap();
        assert!(!body.contains("--"), "\"--\" in an XML comment: {body}");
    }
    assert_eq!(
        normalised(&docs),
        normalised(&live),
        "docs/dbus/org.securechat.Chatd1.xml differs from the live interface; if the change is \
         meant, run SECURECHAT_BLESS=1 cargo test -p chatd --test dbus introspection and update \
         docs/dbus/README.md. Live XML:\n{live}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_socket_method_is_on_dbus_and_back() {
    let bus = Bus::start();
    let mut d = offline_chatd(&bus, &bus.dir.path().join("chatd")).await;
    let live = normalised(&live_xml(&bus));
    let on_dbus: Vec<&str> = live
        .lines()
        .filter_map(|l| l.strip_prefix(r#"<method name=""#))
        .filter_map(|l| l.split('"').next())
        .collect();
    // Every method of the closed `Request` enum, so a new one fails here
    // until its D-Bus twin exists.
    let on_socket: Vec<String> = chatd_api::MethodKind::ALL
        .iter()
        .map(|m| camel(m.name()))
        .collect();
    let missing: Vec<&String> = on_socket
        .iter()
        .filter(|m| !on_dbus.contains(&m.as_str()))
        .collect();
    // A socket method that takes a peer or a group has a second D-Bus
    // method for the group (a changed signature would break v1 callers).
    let group_twins = [
        ("SendGroup", "Send"),
        ("GroupHistory", "History"),
        ("SearchGroup", "Search"),
        ("MarkGroupRead", "MarkRead"),
        ("FocusGroup", "Focus"),
    ];
    for (twin, of) in group_twins {
        assert!(
            on_dbus.contains(&twin),
            "{twin}, the group form of {of}, is missing"
        );
        assert!(
            on_socket.iter().any(|s| s == of),
            "{of} is no socket method"
        );
    }
    let extra: Vec<&&str> = on_dbus
        .iter()
        .filter(|m| !on_socket.iter().any(|s| s == **m))
        .filter(|m| !group_twins.iter().any(|(twin, _)| twin == *m))
        .collect();
    assert!(
        missing.is_empty(),
        "on the socket API but not on D-Bus: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "on D-Bus but not on the socket API: {extra:?}"
    );
    // SIGTERM stops the D-Bus service with the rest.
    assert!(d.terminate().unwrap().success(), "{}", d.log_text());
    assert!(!bus.name_has_owner());
}

/// Polls Status over D-Bus until the link state satisfies `pred`.
async fn wait_dbus_state(bus: &Bus, what: &str, pred: impl Fn(&str) -> bool) {
    wait_for(what, WAIT, || async {
        let v = bus.busctl_call("Status", "", &[]);
        pred(v["data"][0].as_str().unwrap()).then_some(())
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busctl_and_gdbus_drive_the_daemon() {
    let w = World::new();
    let bus = Bus::start();
    let _alice = chatd_on(&bus, &w.dir.path().join("alice"), &w.server).await;
    wait_dbus_state(&bus, "alice's chatd to connect", |s| s == "connected").await;
    let status = bus.busctl_call("Status", "", &[]);
    assert_eq!(status["type"], "sssss");
    assert_eq!(status["data"][1], "", "no account yet: empty username");
    assert_eq!(status["data"][3], w.server.fingerprint.as_str());
    let signed = bus.gdbus_call("Signup", &["alice", PASSWORD]).unwrap();
    assert_eq!(signed.trim(), "('alice',)");
    let state = bus.busctl(&["--json=short", "get-property", NAME, PATH, IFACE, "State"]);
    assert_eq!(
        serde_json::from_slice::<Value>(&state.stdout).unwrap()["data"],
        "logged_in"
    );
    let user = bus.busctl(&[
        "--json=short",
        "get-property",
        NAME,
        PATH,
        IFACE,
        "Username",
    ]);
    assert_eq!(
        serde_json::from_slice::<Value>(&user.stdout).unwrap()["data"],
        "alice"
    );

    let (_bob_d, mut bob) = w.user("bob").await;
    bob.ok("subscribe", json!({})).await.unwrap();
    let sent = bus.busctl_call("Send", "ss", &["bob", "hi bob"]);
    assert_eq!(
        (&sent["type"], &sent["data"][1]),
        (&json!("sb"), &json!(false))
    );
    let id = sent["data"][0].as_str().unwrap().to_string();
    expect_message(&mut bob, "alice", "hi bob").await;

    let m = bus.busctl_call("Message", "s", &[&id]);
    assert_eq!(m["type"], "(ssssxss)");
    assert_eq!(
        m["data"][0].as_array().unwrap()[..4],
        [json!(id), json!("alice"), json!("bob"), json!("hi bob")]
    );
    assert_eq!(m["data"][0][5], "out");
    let history = bus.gdbus_call("History", &["bob", "0", "0"]).unwrap();
    assert!(
        history.contains("'hi bob'") && history.contains(&id),
        "{history}"
    );
    let conv = bus.busctl_call("Conversations", "", &[]);
    assert_eq!(conv["type"], "a(sa(ssssxss)ub)");
    assert_eq!(conv["data"][0][0][0], "bob");
    assert_eq!(
        conv["data"][0][0][1][0][0],
        id.as_str(),
        "last message: {conv}"
    );
    let found = bus.busctl_call("Search", "ssu", &["hi", "", "0"]);
    assert_eq!(found["data"][0][0][0], id.as_str());
    let users = bus.busctl_call("Users", "sub", &["", "0", "false"]);
    let names: Vec<&str> = users["data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u[0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    bus.busctl_call("MarkRead", "s", &["bob"]);

    let mine = bus.busctl_call("Fingerprint", "s", &[""]);
    assert_eq!(
        (&mine["data"][0], &mine["data"][2]),
        (&json!("alice"), &json!("verified"))
    );
    let bobs = bob.ok("fingerprint", json!({})).await.unwrap();
    let seen = bus.busctl_call("Fingerprint", "s", &["bob"]);
    assert_eq!(seen["data"][1], bobs["fingerprint"]);
    assert_eq!(seen["data"][2], "unverified");
    let wrong = "0".repeat(64);
    let e = bus.gdbus_call("Verify", &["bob", &wrong]).unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.FingerprintMismatch"),
        "{e}"
    );
    // Never the right answer in the error (PROTOCOL.md D9).
    let right = bobs["fingerprint"].as_str().unwrap();
    assert!(!e.contains(right) && !e.contains(&right[..16]), "{e}");
    let fpr = bobs["fingerprint"].as_str().unwrap();
    let verified = bus.busctl_call("Verify", "ss", &["bob", fpr]);
    assert_eq!(verified["data"][0], "verified");

    // Settings: a dictionary both ways.
    let settings = bus.busctl_call("Settings", "", &[]);
    assert_eq!(settings["type"], "a{sv}");
    assert_eq!(settings["data"][0]["read_receipts"]["data"], true);
    let set = bus.busctl_call(
        "SetSettings",
        "a{sv}",
        &["1", "read_receipts", "b", "false"],
    );
    assert_eq!(set["data"][0]["read_receipts"]["data"], false);
    let e = bus
        .gdbus_call("SetSettings", &["{'colour': <true>}"])
        .unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.InvalidParams") && e.contains("colour"),
        "{e}"
    );

    // Typing (D14): bob's delivery receipt for "hi bob" confirmed
    // alice's key, so one indicator leaves; the next is coalesced.
    wait_for("bob's receipt for hi bob", WAIT, || async {
        let m = bus.busctl_call("Message", "s", &[&id]);
        (m["data"][0][6] == "delivered").then_some(())
    })
    .await
    .unwrap();
    let typed = bus.busctl_call("Typing", "ss", &["bob", ""]);
    assert_eq!(
        (&typed["type"], &typed["data"][0]),
        (&json!("b"), &json!(true))
    );
    let again = bus.busctl_call("Typing", "ss", &["bob", ""]);
    assert_eq!(again["data"][0], false, "coalesced");
    let e = bus.gdbus_call("Typing", &["", ""]).unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.InvalidParams"),
        "{e}"
    );
    let e = bus
        .gdbus_call("Typing", &["", "no such group"])
        .unwrap_err();
    assert!(e.contains("org.securechat.Chatd1.Error.NoSuchGroup"), "{e}");

    // Groups (D14), the whole round trip through gcore's pipeline.
    let created = bus.busctl_call("GroupCreate", "sas", &["team", "1", "bob"]);
    assert_eq!(created["type"], "(ssta(sbbs)ba(ssssxss)u)");
    let group = created["data"][0].as_array().unwrap().clone();
    let gid = group[0].as_str().unwrap().to_string();
    assert_eq!(
        (&group[1], &group[2], &group[4]),
        (&json!("team"), &json!(1), &json!(true))
    );
    let members: Vec<(&str, bool)> = group[3]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m[0].as_str().unwrap(), m[1].as_bool().unwrap()))
        .collect();
    assert_eq!(members, [("alice", true), ("bob", false)]);
    let groups = bus.busctl_call("Groups", "", &[]);
    assert_eq!(groups["type"], "a(ssta(sbbs)ba(ssssxss)u)");
    assert_eq!(groups["data"][0][0][0], gid.as_str());
    let info = bus.busctl_call("GroupInfo", "s", &["team"]);
    assert_eq!(info["data"][0][0], gid.as_str());
    let sent = bus.busctl_call("SendGroup", "ss", &[&gid, "hello team"]);
    assert_eq!(sent["type"], "sb");
    let gmsg = sent["data"][0].as_str().unwrap().to_string();
    let gh = bus.busctl_call("GroupHistory", "sux", &[&gid, "0", "0"]);
    assert_eq!(gh["data"][0][0][0], gmsg.as_str());
    assert_eq!(gh["data"][0][0][2], gid.as_str(), "to is the group id");
    let found = bus.busctl_call("SearchGroup", "ssu", &["hello", &gid, "0"]);
    assert_eq!(found["data"][0][0][0], gmsg.as_str());
    bus.busctl_call("MarkGroupRead", "s", &[&gid]);
    let e = bus.gdbus_call("GroupAdd", &[&gid, "['bob']"]).unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.InvalidInput"),
        "{e}"
    );
    let e = bus.gdbus_call("GroupInfo", &["no such group"]).unwrap_err();
    assert!(e.contains("org.securechat.Chatd1.Error.NoSuchGroup"), "{e}");
    let admin = bus.busctl_call("GroupAdmin", "ssb", &[&gid, "bob", "true"]);
    assert_eq!(admin["data"][0][3][1][1], true, "bob is admin");
    let removed = bus.busctl_call("GroupRemove", "sas", &[&gid, "1", "bob"]);
    assert_eq!(removed["data"][0][3].as_array().unwrap().len(), 1);
    let left = bus.busctl_call("GroupLeave", "s", &[&gid]);
    assert_eq!(left["data"][0][4], false, "no longer a member");

    // Errors are named, with chatd's message.
    let e = bus.gdbus_call("Send", &["nobody", "x"]).unwrap_err();
    assert!(e.contains("org.securechat.Chatd1.Error.NoSuchUser"), "{e}");
    assert!(e.contains("nobody"), "{e}");
    let e = bus.gdbus_call("Login", &["mallory", PASSWORD]).unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.InvalidInput"),
        "{e}"
    );
    let e = bus
        .gdbus_call("Message", &["00000000-0000-4000-8000-000000000000"])
        .unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.InvalidInput"),
        "{e}"
    );
    let e = bus
        .gdbus_call("Subscribe", &["1", "['nonsense']"])
        .unwrap_err();
    assert!(
        e.contains("org.securechat.Chatd1.Error.InvalidParams"),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signals_reach_a_subscriber_without_the_text() {
    let w = World::new();
    let bus = Bus::start();
    let (_alice_d, mut alice) = alice_on(&bus, &w).await;
    let (mut bob_d, mut bob) = w.user("bob").await;
    let mut monitor = bus.monitor();

    let secret = "the secret words 42";
    bob.ok("send", json!({"to": "alice", "text": secret}))
        .await
        .unwrap();
    let event = expect_message(&mut alice, "bob", secret).await;
    let id = event["message"]["id"].as_str().unwrap().to_string();
    let line = monitor.line_where("MessageReceived from bob", |l| {
        l.contains(".MessageReceived") && l.contains(&id)
    });
    assert!(
        line.contains(&format!("uint64 {},", event["seq"])),
        "{line}"
    );
    assert!(
        line.contains("'bob', 'alice'") && line.contains("'in', false"),
        "{line}"
    );
    // A client that wants the text asks for it by id.
    let text = bus.gdbus_call("Message", &[&id]).unwrap();
    assert!(text.contains(secret), "{text}");

    // Our own message: MessageReceived (out), then its receipts.
    let sent = bus.busctl_call("Send", "ss", &["bob", "my private reply"]);
    let mine = sent["data"][0].as_str().unwrap().to_string();
    monitor.line_where("our message as MessageReceived (out)", |l| {
        l.contains(".MessageReceived") && l.contains(&mine) && l.contains("'out'")
    });
    monitor.line_where("the delivered receipt", |l| {
        l.contains(".ReceiptUpdated") && l.contains(&mine) && l.contains("'delivered'")
    });

    // bob types once alice's receipt confirmed his key: UserTyping.
    test_support::wait::Wait::new("alice's receipt to reach bob")
        .until_async(async || {
            let m = bob.ok("message", json!({"id": id})).await.unwrap();
            m["message"]["status"] == "delivered"
        })
        .await;
    let typed = bob.ok("typing", json!({"peer": "alice"})).await.unwrap();
    assert_eq!(typed, json!({"sent": true}));
    let line = monitor.line_where("UserTyping from bob", |l| l.contains(".UserTyping"));
    assert!(line.contains("'bob', ''"), "{line}");

    // bob goes away: alice watches him since she wrote to him.
    bob_d.kill9();
    monitor.line_where("bob offline", |l| {
        l.contains(".PresenceChanged") && l.contains("'bob', false")
    });
    // bob comes back with a new identity key: alice hears of it, and D-Bus
    // callers get the named error until they trust it.
    std::fs::remove_dir_all(w.dir.path().join("bob")).unwrap();
    let bob_d2 = w.daemon("bob").await;
    let mut bob = bob_d2.client().await.unwrap();
    wait_state(&mut bob, "connected").await;
    bob.ok("login", json!({"username": "bob", "password": PASSWORD}))
        .await
        .unwrap();
    let new_fpr = bob.ok("fingerprint", json!({})).await.unwrap()["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    monitor.line_where("bob's key change", |l| {
        l.contains(".KeyChanged") && l.contains("'bob'") && l.contains(&new_fpr)
    });
    let e = bus
        .gdbus_call("Send", &["bob", "still there?"])
        .unwrap_err();
    assert!(e.contains("org.securechat.Chatd1.Error.KeyChanged"), "{e}");
    assert!(e.contains("trust"), "the message says what to do: {e}");
    let trusted = bus.busctl_call("Trust", "s", &["bob"]);
    assert_eq!(trusted["data"][0], "unverified");

    for line in &monitor.seen {
        assert!(
            !line.contains("secret words") && !line.contains("private reply"),
            "a signal carried message text: {line}"
        );
    }
}

/// Group and file signals name the group by id and never carry text: a
/// group made over D-Bus (GroupChanged), a member's message in it
/// (GroupMessageReceived), our own message's per-member receipts
/// (GroupReceiptUpdated), a member typing in it (UserTyping with the
/// group), and a file downloaded over D-Bus (TransferChanged to `done`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_and_file_signals_name_the_group_and_carry_no_text() {
    let w = World::new();
    let bus = Bus::start();
    let (_alice_d, mut alice) = alice_on(&bus, &w).await;
    let (_bob_d, mut bob) = w.user("bob").await;
    let (_carol_d, _carol) = w.user("carol").await;
    // Groups, typing and transfers are extension kinds: named to be had.
    let kinds = json!({"events": ["message", "group", "typing"]});
    bob.ok("subscribe", kinds).await.unwrap();
    let mut monitor = bus.monitor();

    let created = bus.busctl_call("GroupCreate", "sas", &["crew", "2", "bob", "carol"]);
    let gid = created["data"][0][0].as_str().unwrap().to_string();
    let line = monitor.line_where("GroupChanged for the new group", |l| {
        l.contains(".GroupChanged") && l.contains(&gid)
    });
    assert!(line.contains("'alice'"), "signed by alice: {line}");
    bob.event_where("the group at bob", |e| {
        e["type"] == "group" && e["group"]["id"] == gid.as_str()
    })
    .await
    .unwrap();

    let secret = "the crew's secret plan";
    let said = bob
        .ok("send", json!({"group": gid, "text": secret}))
        .await
        .unwrap();
    let bobs = said["id"].as_str().unwrap().to_string();
    let line = monitor.line_where("GroupMessageReceived from bob", |l| {
        l.contains(".GroupMessageReceived") && l.contains(&bobs)
    });
    assert!(
        line.contains(&format!("'{gid}', 'bob'")) && line.contains("'in'"),
        "{line}"
    );

    let sent = bus.busctl_call("SendGroup", "ss", &[&gid, "my private answer"]);
    let mine = sent["data"][0].as_str().unwrap().to_string();
    let line = monitor.line_where("a member's receipt of our group message", |l| {
        l.contains(".GroupReceiptUpdated") && l.contains(&mine) && l.contains("'delivered'")
    });
    assert!(line.contains("uint32 2"), "two recipients: {line}");

    // bob's key confirmed by alice's message: he may say he is typing.
    bob.event_where("alice's group message at bob", |e| {
        e["type"] == "message" && e["message"]["id"] == mine.as_str()
    })
    .await
    .unwrap();
    let typed = bob.ok("typing", json!({"group": gid})).await.unwrap();
    assert_eq!(typed, json!({"sent": true}));
    let line = monitor.line_where("UserTyping in the group", |l| {
        l.contains(".UserTyping") && l.contains(&gid)
    });
    assert!(line.contains("'bob'"), "{line}");

    // A file from bob, fetched over D-Bus.
    let path = w.dir.path().join("plan.txt");
    std::fs::write(&path, secret.repeat(100)).unwrap();
    bob.ok(
        "send_file",
        json!({"to": "alice", "path": path.to_str().unwrap()}),
    )
    .await
    .unwrap();
    let file = alice
        .event_where("the file at alice", |e| {
            e["type"] == "message" && e["message"]["file"].is_object()
        })
        .await
        .unwrap();
    let fid = file["message"]["id"].as_str().unwrap().to_string();
    let into = w.dir.path().join("saved.txt");
    let started = bus.busctl_call("Download", "ss", &[&fid, into.to_str().unwrap()]);
    let tid = started["data"][0][0].as_str().unwrap().to_string();
    let line = monitor.line_where("TransferChanged to done", |l| {
        l.contains(".TransferChanged") && l.contains(&tid) && l.contains("'done'")
    });
    assert!(line.contains(&fid) && line.contains("'download'"), "{line}");
    assert_eq!(std::fs::read_to_string(&into).unwrap(), secret.repeat(100));

    for line in &monitor.seen {
        assert!(
            !line.contains("secret plan") && !line.contains("private answer"),
            "a signal carried message text: {line}"
        );
    }
}

/// alice's chatd on `bus`, signed up on `w`'s server, with a client
/// subscribed to the v1 events.
async fn alice_on(bus: &Bus, w: &World) -> (DaemonProcess, RpcClient) {
    let alice_d = chatd_on(bus, &w.dir.path().join("alice"), &w.server).await;
    let mut alice = alice_d.client().await.unwrap();
    wait_state(&mut alice, "connected").await;
    alice
        .ok("signup", json!({"username": "alice", "password": PASSWORD}))
        .await
        .unwrap();
    alice.ok("subscribe", json!({})).await.unwrap();
    (alice_d, alice)
}

/// The next item of a zbus stream.
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    let item = std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx));
    tokio::time::timeout(WAIT, item)
        .await
        .expect("timed out waiting for a D-Bus message")
}

/// A private connection to the test bus.
async fn connect(bus: &Bus) -> zbus::Connection {
    zbus::connection::Builder::address(bus.address.as_str())
        .build()
        .await
        .unwrap()
}

/// Collects our signals from `stream` up to the first method return (the
/// reply to Subscribe, which chatd sends after the replay): (member, seq).
async fn replayed(stream: &mut zbus::MessageStream) -> Vec<(String, u64, Option<String>)> {
    let mut got = Vec::new();
    loop {
        let msg = next(stream).await.unwrap().unwrap();
        let header = msg.header();
        match header.message_type() {
            zbus::message::Type::MethodReturn => return got,
            zbus::message::Type::Signal if header.interface().is_some_and(|i| i == IFACE) => {
                let member = header.member().unwrap().to_string();
                let body = msg.body();
                let seq: u64 = match member.as_str() {
                    "MessageReceived" => {
                        let (seq, ..): (u64, String, String, String, i64, String, bool) =
                            body.deserialize().unwrap();
                        seq
                    }
                    "PresenceChanged" => body.deserialize::<(u64, String, bool)>().unwrap().0,
                    "ConnectionChanged" => body.deserialize::<(u64, String)>().unwrap().0,
                    "TrustChanged" => {
                        body.deserialize::<(u64, String, String, String, i64)>()
                            .unwrap()
                            .0
                    }
                    "SettingsChanged" => {
                        body.deserialize::<(u64, std::collections::HashMap<String, zbus::OwnedVariant>)>()
                            .unwrap()
                            .0
                    }
                    _ => body.deserialize::<(u64, String, String)>().unwrap().0,
                };
                let to = header.destination().map(|d| d.to_string());
                got.push((member, seq, to));
            }
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_replays_to_the_caller_and_focus_follows_the_caller() {
    let w = World::new();
    let bus = Bus::start();
    let (_alice_d, mut alice) = alice_on(&bus, &w).await;
    let (_bob_d, mut bob) = w.user("bob").await;
    for text in ["one", "two"] {
        bob.ok("send", json!({"to": "alice", "text": text}))
            .await
            .unwrap();
        expect_message(&mut alice, "bob", text).await;
    }

    // Replay: every stored event after seq 1, to the caller only, in
    // order, before the reply.
    let x = connect(&bus).await;
    let me = x.unique_name().unwrap().to_string();
    let mut stream = zbus::MessageStream::from(&x);
    let reply = x
        .call_method(
            Some(NAME),
            PATH,
            Some(IFACE),
            "Subscribe",
            &(1u64, Vec::<String>::new()),
        )
        .await
        .unwrap();
    let latest: u64 = reply.body().deserialize().unwrap();
    let got = replayed(&mut stream).await;
    let seqs: Vec<u64> = got.iter().map(|g| g.1).collect();
    assert_eq!(seqs, (2..=latest).collect::<Vec<_>>(), "{got:?}");
    assert!(
        got.iter().all(|g| g.2.as_deref() == Some(me.as_str())),
        "{got:?}"
    );
    assert_eq!(
        got.iter().filter(|g| g.0 == "MessageReceived").count(),
        2,
        "{got:?}"
    );
    // Only the kinds asked for.
    let _ = x
        .call_method(
            Some(NAME),
            PATH,
            Some(IFACE),
            "Subscribe",
            &(1u64, vec!["message".to_string()]),
        )
        .await
        .unwrap();
    let got = replayed(&mut stream).await;
    assert!(
        got.len() == 2 && got.iter().all(|g| g.0 == "MessageReceived"),
        "{got:?}"
    );
    // since 0 means absent: no replay, just the seq.
    let _ = x
        .call_method(
            Some(NAME),
            PATH,
            Some(IFACE),
            "Subscribe",
            &(0u64, Vec::<String>::new()),
        )
        .await
        .unwrap();
    assert!(replayed(&mut stream).await.is_empty());

    // Focus belongs to the caller and ends when it leaves the bus.
    x.call_method(Some(NAME), PATH, Some(IFACE), "Focus", &("bob",))
        .await
        .unwrap();
    bob.ok("send", json!({"to": "alice", "text": "while open"}))
        .await
        .unwrap();
    let e = expect_message(&mut alice, "bob", "while open").await;
    assert_eq!(e["focused"], true, "{e}");
    drop(stream);
    x.close().await.unwrap();
    // Nothing says when chatd has handled the caller's departure, so probe
    // with messages until one arrives unfocused.
    for probe in 1..=PROBES {
        let text = format!("probe {probe}");
        bob.ok("send", json!({"to": "alice", "text": text}))
            .await
            .unwrap();
        let e = expect_message(&mut alice, "bob", &text).await;
        if e.get("focused").is_none() {
            return;
        }
    }
    panic!("the focus outlived its caller for {PROBES} messages");
}

/// Messages sent while waiting for a departed caller's focus to end.
const PROBES: u32 = 50;

/// Kills the chatd the bus activated (it is not our child) on drop.
struct Activated(PathBuf);

impl Drop for Activated {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", pid.trim()])
                .status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_activates_chatd_from_the_packaged_activation_file() {
    let packaged = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../packaging/dbus/org.securechat.Chatd1.service");
    let packaged = std::fs::read_to_string(packaged).unwrap();
    for line in [
        "[D-BUS Service]",
        "Name=org.securechat.Chatd1",
        "Exec=/usr/bin/chatd",
        "SystemdService=chatd.service",
    ] {
        assert!(packaged.lines().any(|l| l == line), "missing {line:?}");
    }
    let w = World::new();
    let bus = Bus::start();
    // The packaged file, with Exec pointing at this build (through a
    // wrapper adding the test's flags, as a unit's ExecStart would).
    let dir = w.dir.path().join("alice");
    std::fs::create_dir_all(&dir).unwrap();
    let chatd = test_support::daemon::binary("chatd").unwrap();
    let wrapper = dir.join("chatd-wrapper");
    let socket = dir.join("run/chatd.sock");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\necho $$ > '{pid}'\nexec '{chatd}' {args} --data-dir '{data}' --config '{data}/chatd.toml' --socket '{socket}' 2>>'{log}'\n",
            pid = dir.join("pid").display(),
            chatd = chatd.display(),
            args = server_args(&w.server).join(" "),
            data = dir.join("data").display(),
            socket = socket.display(),
            log = dir.join("chatd.log").display(),
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .unwrap();
    let activation: String = packaged
        .lines()
        .map(|l| match l.starts_with("Exec=") {
            true => format!("Exec={}\n", wrapper.display()),
            false => format!("{l}\n"),
        })
        .collect();
    std::fs::write(
        bus.services.join("org.securechat.Chatd1.service"),
        activation,
    )
    .unwrap();
    let _guard = Activated(dir.join("pid"));

    assert!(!bus.name_has_owner());
    // The call itself starts chatd (gdbus waits for the activation).
    let status = bus.gdbus_call("Status", &[]).unwrap();
    assert!(status.contains(&w.server.fingerprint), "{status}");
    assert!(bus.name_has_owner());
    let mut c = RpcClient::connect(&socket).await.unwrap();
    wait_state(&mut c, "connected").await;

    // A second chatd on the same bus leaves the name to the first, says so
    // once, and serves its own socket.
    let second = DaemonProcess::start_with_env(
        &w.dir.path().join("second"),
        server_args(&w.server),
        bus.env(),
    )
    .await
    .unwrap();
    let mut c2 = second.client().await.unwrap();
    c2.ok("status", json!({})).await.unwrap();
    let log = second.log_text();
    assert_eq!(warnings(&log), 1, "{log}");
    assert!(log.contains("another process owns"), "{log}");
    let status = bus.busctl_call("Status", "", &[]);
    assert_eq!(status["data"][2], w.server.addr.to_string());
}

/// WARN lines in a chatd log.
fn warnings(log: &str) -> usize {
    log.lines().filter(|l| l.contains("WARN")).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_bus_chatd_serves_the_socket_after_one_warning() {
    let w = World::new();
    let empty = tempfile::tempdir().unwrap();
    let cases = [
        // No address at all, and no bus at $XDG_RUNTIME_DIR/bus.
        DaemonEnv {
            set: vec![("XDG_RUNTIME_DIR".into(), empty.path().display().to_string())],
            remove: vec!["DBUS_SESSION_BUS_ADDRESS".into()],
            dbus: true,
        },
        // An address where nothing listens.
        DaemonEnv {
            set: vec![(
                "DBUS_SESSION_BUS_ADDRESS".into(),
                format!("unix:path={}/gone", empty.path().display()),
            )],
            remove: vec![],
            dbus: true,
        },
    ];
    for (i, env) in cases.into_iter().enumerate() {
        let d = DaemonProcess::start_with_env(
            &w.dir.path().join(format!("d{i}")),
            server_args(&w.server),
            env,
        )
        .await
        .unwrap();
        let mut c = d.client().await.unwrap();
        wait_state(&mut c, "connected").await;
        let log = d.log_text();
        assert_eq!(warnings(&log), 1, "case {i}: {log}");
        assert!(log.contains("D-Bus interface off"), "case {i}: {log}");
    }
}
