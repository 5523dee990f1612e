//! Fixtures for driving the app without a terminal or a daemon: a fixed
//! clock in UTC, keys, chatd's answers and events as values, and the
//! screen drawn on ratatui's `TestBackend`.
#![allow(dead_code, missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chat_tui::app::{Answer, App, Effect, Failure, Msg, Options, Request};
use chat_tui::time::Zone;
use chatd_api::{
    Chat, ConnectionState, Conversation, Direction, ErrorCode, Event, EventBody, Fingerprint,
    Group, GroupMember, GroupReceipts, GroupRef, Message, MessageStatus, Status, TrustState, User,
};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// Tue 25 Nov 2025 14:05:00 UTC.
pub const NOW: i64 = 1_764_079_500_000;
pub const MINUTE: i64 = 60_000;
pub const FPR_BOB: &str = "044b36d207b40bd1ea4de5f1afbb218833f3ddf9efc389f106f0cdd65151a97a";
pub const FPR_ALICE: &str = "9e4bfc4634a25a128a40030f44d1c70c72a01d6676d1048365592c90277087d4";

pub fn app() -> App {
    app_sized(80, 24)
}

pub fn app_sized(width: u16, height: u16) -> App {
    App::new(Options {
        peer: None,
        zone: Zone::Utc,
        now_ms: NOW,
        size: (width, height),
        bell: false,
    })
}

/// The screen as text, at the app's size.
pub fn draw(app: &App) -> String {
    let (w, h) = app.size();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| chat_tui::ui::render(f, app)).unwrap();
    terminal.backend().to_string()
}

/// The screen as cells, with their styles.
pub fn draw_buffer(app: &App) -> Buffer {
    let (w, h) = app.size();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| chat_tui::ui::render(f, app)).unwrap();
    terminal.backend().buffer().clone()
}

pub fn status(state: ConnectionState, user: Option<&str>) -> Status {
    Status {
        state,
        username: user.map(str::to_string),
        server: "chat.example.org:9876".into(),
        server_fingerprint: None,
        version: "0.1.0".into(),
        error: None,
        key_changes: vec![],
        resume: false,
    }
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub fn press_with(app: &mut App, code: KeyCode, modifiers: KeyModifiers) -> Vec<Effect> {
    app.update(Msg::Key(KeyEvent::new(code, modifiers)))
}

pub fn ctrl(app: &mut App, c: char) -> Vec<Effect> {
    press_with(app, KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Types `text` key by key; returns every effect.
pub fn type_text(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| press(app, KeyCode::Char(c)))
        .collect()
}

pub fn answer(app: &mut App, request: Request, outcome: Result<Answer, Failure>) -> Vec<Effect> {
    app.update(Msg::Answer { request, outcome })
}

pub fn event(app: &mut App, seq: u64, body: EventBody) -> Vec<Effect> {
    app.update(Msg::Event(Event { seq, body }))
}

pub fn calls(effects: &[Effect]) -> Vec<Request> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Call(r) => Some(r.clone()),
            Effect::Quit | Effect::Bell => None,
        })
        .collect()
}

/// `n` messages from bob, "message 0" (oldest) to "message {n-1}", a
/// minute apart and ending well before now: a page of history.
pub fn page_from_bob(n: i64, status: MessageStatus) -> Vec<Message> {
    (0..n)
        .map(|i| {
            message(
                &format!("p{i:02}"),
                Direction::In,
                "bob",
                &format!("message {i}"),
                NOW - (50 - i) * MINUTE,
                status,
            )
        })
        .collect()
}

pub fn message(
    id: &str,
    direction: Direction,
    peer: &str,
    text: &str,
    ts: i64,
    status: MessageStatus,
) -> Message {
    let (from, to) = match direction {
        Direction::In => (peer, "alice"),
        Direction::Out => ("alice", peer),
    };
    Message {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        text: text.into(),
        ts,
        direction,
        status,
        group: None,
        receipts: None,
        file: None,
    }
}

pub fn conversation(peer: &str, unread: u32, online: bool) -> Conversation {
    Conversation {
        peer: peer.into(),
        last: None,
        unread,
        online,
        trust: None,
    }
}

pub fn fingerprint(user: &str, fpr: &str, state: TrustState) -> Answer {
    Answer::Fingerprint(Fingerprint {
        user: user.into(),
        fingerprint: fpr.into(),
        state,
        safety_number: None,
    })
}

pub fn refused(code: ErrorCode, message: &str) -> Result<Answer, Failure> {
    Err(Failure::api(code, message))
}

/// chatd is up and logged in as alice, with two conversations (bob has
/// two unread) and dave online besides.
pub fn logged_in() -> App {
    logged_in_sized(80, 24)
}

pub fn logged_in_sized(width: u16, height: u16) -> App {
    let mut app = app_sized(width, height);
    app.update(Msg::Attached {
        status: status(ConnectionState::LoggedIn, Some("alice")),
    });
    answer(
        &mut app,
        Request::Conversations,
        Ok(Answer::Conversations(vec![
            conversation("bob", 2, true),
            conversation("carol", 0, false),
        ])),
    );
    answer(
        &mut app,
        Request::OnlineUsers,
        Ok(Answer::Users(vec![
            User {
                username: "alice".into(),
                online: true,
            },
            User {
                username: "bob".into(),
                online: true,
            },
            User {
                username: "dave".into(),
                online: true,
            },
        ])),
    );
    app
}

/// The conversation with bob, as chatd's history has it.
pub fn bob_history() -> Vec<Message> {
    vec![
        message(
            "m1",
            Direction::In,
            "bob",
            "are we still on for lunch tomorrow?",
            NOW - 26 * 60 * MINUTE,
            MessageStatus::Read,
        ),
        message(
            "m2",
            Direction::Out,
            "bob",
            "yes! the usual place at noon",
            NOW - 25 * 60 * MINUTE,
            MessageStatus::Read,
        ),
        message(
            "m3",
            Direction::In,
            "bob",
            "I found the paper you mentioned; it is long, so here is the gist: the \
             protocol pins keys on first use and warns on any change.",
            NOW - 20 * MINUTE,
            MessageStatus::Delivered,
        ),
        message(
            "m4",
            Direction::Out,
            "bob",
            "thanks, reading it now",
            NOW - 12 * MINUTE,
            MessageStatus::Delivered,
        ),
        message(
            "m5",
            Direction::Out,
            "bob",
            "first line\nsecond line",
            NOW - 3 * MINUTE,
            MessageStatus::Sent,
        ),
        message(
            "m6",
            Direction::Out,
            "bob",
            "still on its way",
            NOW - MINUTE,
            MessageStatus::Sending,
        ),
    ]
}

/// `logged_in()` with bob's conversation opened (Ctrl+N) and loaded, his
/// key in `state`.
pub fn with_bob(state: TrustState) -> App {
    with_bob_sized(state, 80, 24)
}

pub fn with_bob_sized(state: TrustState, width: u16, height: u16) -> App {
    let mut app = logged_in_sized(width, height);
    ctrl(&mut app, 'n');
    load_bob(&mut app, state);
    app
}

pub fn load_bob(app: &mut App, state: TrustState) {
    answer(
        app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(bob_history())),
    );
    answer(
        app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_BOB, state)),
    );
}

/// The id of the group "team".
pub const TEAM: &str = "6f1c2a5e-9b7d-4e0a-8c3f-2d1e0b9a8c7d";

pub fn member(user: &str, admin: bool, online: bool, trust: Option<TrustState>) -> GroupMember {
    GroupMember {
        user: user.into(),
        admin,
        online,
        trust,
    }
}

/// "team": alice (admin, us), bob (online), carol (her key changed),
/// dave; two unread, its last message five minutes ago.
pub fn team() -> Group {
    Group {
        id: TEAM.into(),
        name: "team".into(),
        version: 3,
        members: vec![
            member("alice", true, true, None),
            member("bob", false, true, Some(TrustState::Verified)),
            member("carol", false, false, Some(TrustState::Changed)),
            member("dave", false, false, Some(TrustState::Unverified)),
        ],
        is_member: true,
        last: Some(in_team("g2", "carol", "and the slides?", NOW - 5 * MINUTE)),
        unread: 2,
    }
}

/// A message from `from` in "team".
pub fn in_team(id: &str, from: &str, text: &str, ts: i64) -> Message {
    Message {
        id: id.into(),
        from: from.into(),
        to: TEAM.into(),
        text: text.into(),
        ts,
        direction: Direction::In,
        status: MessageStatus::Delivered,
        group: Some(GroupRef {
            id: TEAM.into(),
            name: "team".into(),
        }),
        receipts: None,
        file: None,
    }
}

/// Our message in "team", with its receipts.
pub fn ours_in_team(id: &str, text: &str, ts: i64, delivered: &[&str], read: &[&str]) -> Message {
    let names = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    Message {
        id: id.into(),
        from: "alice".into(),
        to: TEAM.into(),
        text: text.into(),
        ts,
        direction: Direction::Out,
        status: MessageStatus::Sent,
        group: Some(GroupRef {
            id: TEAM.into(),
            name: "team".into(),
        }),
        receipts: Some(GroupReceipts {
            recipients: 3,
            delivered: names(delivered),
            read: names(read),
        }),
        file: None,
    }
}

/// The history of "team".
pub fn team_history() -> Vec<Message> {
    vec![
        ours_in_team(
            "g0",
            "agenda is in the doc",
            NOW - 30 * MINUTE,
            &["bob", "carol"],
            &["bob"],
        ),
        in_team("g1", "bob", "thanks, reading", NOW - 20 * MINUTE),
        in_team("g2", "carol", "and the slides?", NOW - 5 * MINUTE),
    ]
}

/// `logged_in()` with chatd's groups answered: "team".
pub fn with_groups() -> App {
    let mut app = logged_in();
    answer(&mut app, Request::Groups, Ok(Answer::Groups(vec![team()])));
    app
}

/// `with_groups()` with "team" opened (Ctrl+N: it is the most recent) and
/// its history loaded.
pub fn with_team() -> App {
    let mut app = with_groups();
    ctrl(&mut app, 'n');
    answer(
        &mut app,
        Request::History {
            chat: Chat::group(TEAM),
            before: None,
        },
        Ok(Answer::Messages(team_history())),
    );
    app
}
