//! The app against a real chatd, without a terminal: chat-tui's own chatd
//! task (attach, events, calls) feeds the app exactly as the runner does,
//! while another frontend (a second API client on the same chatd) changes
//! the state. What the app shows must follow: one truth everywhere.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chat_tui::app::{App, Effect, Msg, Options, Request, Screen};
use chat_tui::io::daemon::{self, Config};
use chat_tui::time::{Zone, now_ms};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;
use test_support::World;
use test_support::wait::Wait;
use tokio::sync::mpsc;

/// An app wired to chatd at `socket` the way `chat-tui` wires it.
struct Live {
    app: App,
    inbox: mpsc::Receiver<Msg>,
    requests: mpsc::Sender<Request>,
}

impl Live {
    fn start(socket: &std::path::Path, peer: Option<&str>) -> Live {
        let app = App::new(Options {
            peer: peer.map(str::to_string),
            zone: Zone::Utc,
            now_ms: now_ms(),
            size: (80, 24),
            bell: false,
        });
        let (to_app, inbox) = mpsc::channel(1024);
        let (requests, for_daemon) = mpsc::channel(256);
        let config = Config {
            socket: socket.to_path_buf(),
            seq_store: None,
        };
        tokio::spawn(daemon::run(config, for_daemon, to_app));
        Live {
            app,
            inbox,
            requests,
        }
    }

    fn handle(&mut self, msg: Msg) {
        for effect in self.app.update(msg) {
            if let Effect::Call(request) = effect {
                self.requests.try_send(request).unwrap();
            }
        }
    }

    fn key(&mut self, code: KeyCode) {
        self.handle(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Feeds the app what chatd says (and the clock) until `ok` holds.
    async fn until(&mut self, what: &str, ok: impl Fn(&App) -> bool) {
        Wait::new(what)
            .within(Duration::from_secs(40))
            .every(Duration::from_millis(20))
            .until_async(async || {
                self.handle(Msg::Tick { now_ms: now_ms() });
                while let Ok(msg) = self.inbox.try_recv() {
                    self.handle(msg);
                }
                match ok(&self.app) {
                    true => Ok(()),
                    false => Err(format!(
                        "{}\nnotice: {:?}",
                        common::draw(&self.app),
                        self.app.notice()
                    )),
                }
            })
            .await;
    }
}

/// Issue 11 item 4: logging out and in again from another frontend moves
/// the app between its screens, and the "not logged in" notice goes once
/// chatd is logged in again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_and_in_elsewhere_is_followed() {
    let world = World::new();
    let (alice, mut a) = world.user("alice").await;
    let mut tui = Live::start(&alice.socket, None);
    tui.until("the chat", |app| app.screen() == Screen::Chat)
        .await;
    a.ok("logout", json!({})).await.unwrap();
    tui.until("the login form", |app| app.screen() == Screen::Login)
        .await;
    tui.type_text("half a pass");
    assert!(tui.app.login_form().password.is_empty(), "keys held");
    tui.key(KeyCode::Esc);
    test_support::world::wait_state(&mut a, "alice's chatd", &["connected"]).await;
    a.ok(
        "login",
        json!({"username": "alice", "password": test_support::fixtures::PASSWORD}),
    )
    .await
    .unwrap();
    tui.until("the chat again", |app| {
        app.screen() == Screen::Chat && app.me() == Some("alice")
    })
    .await;
    tui.key(KeyCode::Esc);
    assert!(
        tui.app
            .notice()
            .is_none_or(|n| !n.text.contains("not logged in")),
        "{:?}",
        tui.app.notice()
    );
}

/// Issue 11 item 4: while the server is away nobody is shown online, and a
/// message queued meanwhile loses its "waits in the outbox" notice once it
/// went out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presence_and_the_outbox_notice_follow_the_server() {
    let mut world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    b.ok("send", json!({"to": "alice", "text": "hello"}))
        .await
        .unwrap();
    let mut tui = Live::start(&alice.socket, Some("bob"));
    let bob_online = |app: &App| {
        app.chat()
            .entries(app.me())
            .iter()
            .any(|e| e.name == "bob" && e.online)
    };
    tui.until("bob online", bob_online).await;
    world.server.kill9();
    tui.until("bob shown offline", |app| !bob_online(app)).await;
    tui.type_text("queued while away");
    tui.key(KeyCode::Enter);
    tui.until("the outbox notice", |app| {
        app.notice().is_some_and(|n| n.text.contains("outbox"))
    })
    .await;
    world.server.kill9_and_restart().unwrap();
    tui.until("the notice to go", |app| {
        app.notice().is_none_or(|n| !n.text.contains("outbox"))
    })
    .await;
    tui.until("bob online again", bob_online).await;
}

fn banner(app: &App) -> String {
    app.key_banner().map(|(_, text)| text).unwrap_or_default()
}

fn key_alert(app: &App, peer: &str) -> bool {
    app.chat()
        .entries(app.me())
        .iter()
        .any(|e| e.name == peer && e.key_alert)
}

/// Issue 11 items 4 and 6: bob's key changes while the app is open; `chat
/// trust` and `chat verify` run in another frontend clear the `!key` mark
/// and the banner at once, and every step is a line in the conversation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_and_verify_elsewhere_are_followed() {
    let world = World::new();
    let (alice, mut a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    b.ok("send", json!({"to": "alice", "text": "hello"}))
        .await
        .unwrap();
    let mut tui = Live::start(&alice.socket, Some("bob"));
    tui.until("bob's conversation with his key", |app| {
        app.chat()
            .convo
            .as_ref()
            .is_some_and(|c| c.messages.len() == 1 && c.key.is_some())
    })
    .await;
    // alice's chatd watches bob (his presence reached the app), so it
    // hears of a new key at once.
    tui.until("bob online in chatd's list", |app| {
        app.chat()
            .conversations
            .iter()
            .any(|c| c.peer == "bob" && c.online)
    })
    .await;
    // bob's account shows up with another key.
    let mut other = test_support::WireClient::connect(world.server.addr)
        .await
        .unwrap();
    other
        .login(
            "bob",
            test_support::fixtures::PASSWORD,
            &test_support::fixtures::public_pem("bob"),
        )
        .await
        .unwrap();
    tui.until("the key change", |app| {
        key_alert(app, "bob") && banner(app).contains("CHANGED")
    })
    .await;
    assert!(common::draw(&tui.app).contains("bob's key changed"));
    a.ok("trust", json!({"user": "bob"})).await.unwrap();
    tui.until("the marks to go", |app| {
        !key_alert(app, "bob") && !banner(app).contains("CHANGED")
    })
    .await;
    assert!(
        tui.app
            .notice()
            .is_none_or(|n| !n.text.contains("key changed")),
        "{:?}",
        tui.app.notice()
    );
    let new = a.ok("fingerprint", json!({"user": "bob"})).await.unwrap();
    a.ok(
        "verify",
        json!({"user": "bob", "fingerprint": new["fingerprint"]}),
    )
    .await
    .unwrap();
    tui.until("verified", |app| app.key_banner().is_none())
        .await;
    let shown = common::draw(&tui.app);
    let changed = shown.find("bob's key changed").expect("change line");
    let accepted = shown.find("new key was accepted").expect("accept line");
    let verified = shown.find("key was verified").expect("verify line");
    assert!(changed < accepted && accepted < verified, "{shown}");
}

/// Issue 11 item 2: scrolled up, only the messages on screen are read, and
/// bob sees "read" on those and not on the newer ones below.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrolled_up_only_what_is_on_screen_is_read() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    for i in 0..40 {
        b.ok("send", json!({"to": "alice", "text": format!("line {i}")}))
            .await
            .unwrap();
    }
    let mut tui = Live::start(&alice.socket, Some("bob"));
    // In another tmux window: nothing is seen yet.
    tui.handle(Msg::Focus(false));
    tui.until("bob's 40 lines", |app| {
        app.chat()
            .convo
            .as_ref()
            .is_some_and(|c| c.messages.len() == 40)
    })
    .await;
    tui.key(KeyCode::PageUp);
    tui.key(KeyCode::PageUp);
    tui.handle(Msg::Focus(true));
    let shown = common::draw(&tui.app);
    assert!(shown.contains("line 10"), "{shown}");
    assert!(!shown.contains("line 39"), "{shown}");
    let read = |app: &App, text: &str| {
        app.chat().convo.as_ref().is_some_and(|c| {
            c.messages
                .iter()
                .any(|m| m.text == text && m.status == chatd_api::MessageStatus::Read)
        })
    };
    tui.until("what is on screen to be read", |app| read(app, "line 10"))
        .await;
    assert!(!read(&tui.app, "line 39"));
    // bob's side: read up to what alice saw, no further.
    Wait::new("bob to see line 10 read")
        .within(Duration::from_secs(40))
        .every(Duration::from_millis(50))
        .until_async(async || {
            let h = b
                .ok("history", json!({"peer": "alice", "limit": 50}))
                .await
                .unwrap();
            let status = |text: &str| {
                h["messages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["text"] == text)
                    .map(|m| m["status"].clone())
            };
            match status("line 10") {
                Some(s) if s == "read" => {
                    assert_ne!(status("line 39"), Some(json!("read")), "{h}");
                    Ok(())
                }
                other => Err(format!("line 10 is {other:?}")),
            }
        })
        .await;
}

/// The open group's members, as the app holds them.
fn members(app: &App) -> Vec<String> {
    app.chat()
        .open_group()
        .map(|g| g.members.iter().map(|m| m.user.clone()).collect())
        .unwrap_or_default()
}

/// Issue 12: three people in a group made from chat-tui. alice creates
/// it with /group create, bob writes into it (another frontend), alice
/// answers and sees it delivered to both, adds dave and removes carol
/// with slash commands; the members line and the change lines follow, and
/// carol's chatd gets nothing after her removal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_made_and_managed_from_chat_tui() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    let (_carol, mut c) = world.user("carol").await;
    let (_dave, _d) = world.user("dave").await;
    let mut tui = Live::start(&alice.socket, None);
    tui.until("the chat", |app| app.screen() == Screen::Chat)
        .await;
    tui.type_text("/group create team bob carol");
    tui.key(KeyCode::Enter);
    tui.until("team open with three members", |app| {
        members(app) == ["alice", "bob", "carol"]
    })
    .await;
    let id = tui.app.chat().open_group().unwrap().id.clone();
    // bob writes into it from another frontend once his chatd has it.
    Wait::new("bob's chatd to hold team")
        .within(Duration::from_secs(40))
        .every(Duration::from_millis(100))
        .until_async(async || {
            b.ok("send", json!({"group": id, "text": "hi from bob"}))
                .await
                .map(|_| ())
                .map_err(|e| format!("{e:?}"))
        })
        .await;
    tui.until("bob's message, with his name", |app| {
        common::draw(app).contains("bob hi from bob")
    })
    .await;
    tui.type_text("hello both");
    tui.key(KeyCode::Enter);
    tui.until("delivered to both", |app| {
        common::draw(app).contains("delivered to 2 of 2")
    })
    .await;
    tui.type_text("/add dave");
    tui.key(KeyCode::Enter);
    tui.until("dave in the members line", |app| {
        app.members_line().is_some_and(|l| l.contains("dave"))
            && common::draw(app).contains("you added dave")
    })
    .await;
    tui.type_text("/remove carol");
    tui.key(KeyCode::Enter);
    tui.until("carol gone", |app| {
        members(app) == ["alice", "bob", "dave"] && common::draw(app).contains("you removed carol")
    })
    .await;
    // carol's chatd knows she is out, and gets nothing said after.
    Wait::new("carol's chatd to see her removal")
        .within(Duration::from_secs(40))
        .every(Duration::from_millis(100))
        .until_async(async || {
            let info = c.ok("group_info", json!({"group": id})).await.unwrap();
            match info["group"]["is_member"].as_bool() {
                Some(false) => Ok(()),
                other => Err(format!("is_member {other:?}")),
            }
        })
        .await;
    tui.type_text("after carol left");
    tui.key(KeyCode::Enter);
    tui.until("delivered to bob and dave", |app| {
        common::draw(app).contains("after carol left") && common::draw(app).contains("of 2")
    })
    .await;
    let h = c
        .ok("history", json!({"group": id, "limit": 50}))
        .await
        .unwrap();
    assert!(
        !h.to_string().contains("after carol left"),
        "carol got a message after her removal: {h}"
    );
}

/// Issue 12: bob typing in another frontend shows in chat-tui as "bob is
/// typing..." and goes with his message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_typing_elsewhere_shows_until_their_message() {
    let world = World::new();
    let (alice, mut a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    // Keys confirmed both ways (indicators go only under those).
    b.ok("send", json!({"to": "alice", "text": "hello"}))
        .await
        .unwrap();
    a.ok("send", json!({"to": "bob", "text": "hi bob"}))
        .await
        .unwrap();
    let mut tui = Live::start(&alice.socket, Some("bob"));
    tui.until("both messages, ours delivered", |app| {
        app.chat().convo.as_ref().is_some_and(|c| {
            c.messages.len() == 2
                && c.messages
                    .iter()
                    .all(|m| m.status >= chatd_api::MessageStatus::Delivered)
        })
    })
    .await;
    Wait::new("bob's chatd to send an indicator")
        .within(Duration::from_secs(40))
        .every(Duration::from_millis(200))
        .until_async(async || {
            let r = b.ok("typing", json!({"peer": "alice"})).await.unwrap();
            match r["sent"].as_bool() {
                Some(true) => Ok(()),
                _ => Err(format!("{r}")),
            }
        })
        .await;
    tui.until("bob typing", |app| {
        app.typing_line().as_deref() == Some("bob is typing...")
            && common::draw(app).contains("bob is typing...")
    })
    .await;
    b.ok("send", json!({"to": "alice", "text": "there"}))
        .await
        .unwrap();
    tui.until("his message, and no more typing", |app| {
        common::draw(app).contains("bob there") && app.typing_line().is_none()
    })
    .await;
}

/// Issue 13: a file sent with /send-file (path in quotes, then a
/// caption) in alice's chat-tui shows in bob's with its name, size and
/// caption; bob's /download saves the same bytes,
/// and his timeline marks it saved (test-support gives each chatd its
/// own downloads directory).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_from_one_chat_tui_is_downloaded_in_another() {
    let world = World::new();
    let (alice, _a) = world.user("alice").await;
    let (bob, _b) = world.user("bob").await;

    let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    let path = world.dir.path().join("notes.bin");
    std::fs::write(&path, &bytes).unwrap();

    let mut sender = Live::start(&alice.socket, Some("bob"));
    let mut receiver = Live::start(&bob.socket, Some("alice"));
    sender
        .until("alice's chat", |app| app.screen() == Screen::Chat)
        .await;
    receiver
        .until("bob's chat", |app| app.screen() == Screen::Chat)
        .await;
    sender.type_text(&format!("/send-file \"{}\" the minutes", path.display()));
    sender.key(KeyCode::Enter);
    sender
        .until("the file in alice's timeline, sent", |app| {
            common::draw(app).contains("📎 notes.bin (200 kB)")
                && app.transfer_gauge().is_none()
                && app.chat().convo.as_ref().is_some_and(|c| {
                    c.messages
                        .iter()
                        .any(|m| m.file.is_some() && m.status != chatd_api::MessageStatus::Sending)
                })
        })
        .await;
    receiver
        .until("the file in bob's timeline", |app| {
            let drawn = common::draw(app);
            drawn.contains("alice 📎 notes.bin (200 kB)") && drawn.contains("the minutes")
        })
        .await;
    receiver.type_text("/download");
    receiver.key(KeyCode::Enter);
    receiver
        .until("bob's copy saved", |app| {
            common::draw(app).contains("📎 notes.bin (200 kB) · saved")
        })
        .await;
    let saved = receiver
        .app
        .chat()
        .convo
        .as_ref()
        .and_then(|c| c.nth_file(1))
        .and_then(|m| m.file.as_ref())
        .and_then(|f| f.path.clone())
        .expect("the saved path");
    assert_eq!(std::fs::read(&saved).unwrap(), bytes);
}
