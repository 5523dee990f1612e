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

fn unread(app: &App, peer: &str) -> Option<u32> {
    app.chat()
        .entries(app.me())
        .into_iter()
        .find(|e| e.peer == peer)
        .map(|e| e.unread)
}

/// Issue 11 item 4: bob's messages read in the open conversation leave no
/// badge behind when alice moves to another one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_conversation_keeps_no_badge_after_leaving_it() {
    let world = World::new();
    let (alice, mut a) = world.user("alice").await;
    let (_bob, mut b) = world.user("bob").await;
    let (_carol, _c) = world.user("carol").await;
    b.ok("send", json!({"to": "alice", "text": "hello"}))
        .await
        .unwrap();
    a.ok("subscribe", json!({})).await.unwrap();
    a.event_where("bob's hello", |e| e["type"] == "message")
        .await
        .unwrap();
    a.ok("send", json!({"to": "carol", "text": "hi carol"}))
        .await
        .unwrap();
    let mut tui = Live::start(&alice.socket, Some("bob"));
    tui.until("bob's conversation", |app| {
        app.screen() == Screen::Chat
            && app
                .chat()
                .convo
                .as_ref()
                .is_some_and(|c| c.messages.len() == 1)
    })
    .await;
    // bob writes while it is open and on screen: read at once.
    b.ok("send", json!({"to": "alice", "text": "are you there"}))
        .await
        .unwrap();
    tui.until("bob's second message, read", |app| {
        app.chat().convo.as_ref().is_some_and(|c| {
            c.messages.len() == 2
                && c.messages
                    .iter()
                    .all(|m| m.status == chatd_api::MessageStatus::Read)
        })
    })
    .await;
    // Leave for carol: bob has nothing unread.
    tui.handle(Msg::Key(KeyEvent::new(
        KeyCode::Char('n'),
        KeyModifiers::CONTROL,
    )));
    assert_ne!(tui.app.chat().open_peer(), Some("bob"));
    tui.until("bob's badge to be gone", |app| {
        unread(app, "bob") == Some(0)
    })
    .await;
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
            .any(|e| e.peer == "bob" && e.online)
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
