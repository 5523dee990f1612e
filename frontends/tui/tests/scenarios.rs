//! Key-driven scenarios: what a person does, the calls the app makes to
//! chatd, and what it shows when chatd answers or sends events.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_tui::app::chat::Pane;
use chat_tui::app::{
    Answer, App, Daemon, Effect, Msg, Options, RESUME_CHECK_MS, Request, Screen, Secret,
};
use chat_tui::time::Zone;
use chatd_api::{
    Chat, ConnectionState, Direction, ErrorCode, EventBody, LoggedIn, MessageStatus, Messages,
    Notice, NoticeKind, Sent, Settings, TrustState,
};
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};

#[test]
fn log_in_then_see_the_conversations() {
    let mut app = app();
    let effects = app.update(Msg::Attached {
        status: status(ConnectionState::Connected, None),
    });
    assert!(calls(&effects).is_empty(), "nothing to load before login");
    assert_eq!(app.screen(), Screen::Login);
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "correct horse battery");
    let effects = press(&mut app, KeyCode::Enter);
    let login = Request::Login {
        username: "alice".into(),
        password: Secret("correct horse battery".into()),
    };
    assert_eq!(calls(&effects), vec![login.clone()]);
    // The password never shows in debug output.
    assert!(!format!("{login:?}").contains("horse"));
    let effects = answer(
        &mut app,
        login,
        Ok(Answer::LoggedIn(LoggedIn {
            username: "alice".into(),
        })),
    );
    assert_eq!(app.screen(), Screen::Chat);
    assert_eq!(app.me(), Some("alice"));
    assert_eq!(
        calls(&effects),
        vec![
            Request::Settings,
            Request::Conversations,
            Request::Groups,
            Request::OnlineUsers
        ]
    );
    assert!(app.login_form().password.is_empty(), "password wiped");
    // chatd's own event about it changes nothing more.
    let effects = event(
        &mut app,
        1,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    assert!(calls(&effects).is_empty(), "{effects:?}");
}

#[test]
fn switch_conversations_with_keys() {
    let mut app = logged_in();
    // Ctrl+N opens the first conversation: history, key, focus, and the
    // list again (badges come from chatd).
    let effects = ctrl(&mut app, 'n');
    assert_eq!(
        calls(&effects),
        vec![
            Request::History {
                chat: Chat::peer("bob"),
                before: None
            },
            Request::Fingerprint {
                user: Some("bob".into())
            },
            Request::Focus {
                chat: Some(Chat::peer("bob"))
            },
            Request::Conversations,
        ]
    );
    // bob's unread messages are marked read once they are on screen.
    let effects = answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(bob_history())),
    );
    assert_eq!(
        calls(&effects),
        vec![Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: Some("m3".into())
        }]
    );
    load_bob(&mut app, TrustState::Verified);
    // Tab to the list, down to carol, Enter: carol opens, the input has
    // the keyboard again.
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.chat().pane, Pane::Sidebar);
    press(&mut app, KeyCode::Down);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.chat().open_peer(), Some("carol"));
    assert_eq!(app.chat().pane, Pane::Input);
    assert_eq!(
        calls(&effects),
        vec![
            Request::History {
                chat: Chat::peer("carol"),
                before: None
            },
            Request::Fingerprint {
                user: Some("carol".into())
            },
            Request::Focus {
                chat: Some(Chat::peer("carol"))
            },
        ]
    );
    // A late answer for bob's history does not leak into carol's.
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(bob_history())),
    );
    assert!(app.chat().convo.as_ref().unwrap().messages.is_empty());
    // Ctrl+P goes back up the list, wrapping around.
    ctrl(&mut app, 'p');
    assert_eq!(app.chat().open_peer(), Some("bob"));
}

#[test]
fn send_and_get_the_text_back_when_refused() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "lunch at noon?");
    let effects = press(&mut app, KeyCode::Enter);
    let send = Request::Send {
        chat: Chat::peer("bob"),
        text: "lunch at noon?".into(),
    };
    assert_eq!(calls(&effects), vec![send.clone()]);
    assert_eq!(app.input_text(), "");
    // chatd announces the message; it shows as sending, then delivered.
    let sent = message(
        "m7",
        Direction::Out,
        "bob",
        "lunch at noon?",
        NOW,
        MessageStatus::Sending,
    );
    event(
        &mut app,
        50,
        EventBody::Message {
            message: sent.clone(),
            focused: false,
        },
    );
    event(
        &mut app,
        51,
        EventBody::Receipt {
            id: "m7".into(),
            status: MessageStatus::Delivered,
            receipts: None,
            user: None,
        },
    );
    // A replayed older event cannot move it back.
    event(
        &mut app,
        50,
        EventBody::Message {
            message: sent,
            focused: false,
        },
    );
    let shown = draw(&app);
    assert!(shown.contains("lunch at noon? ✓✓"), "{shown}");
    answer(
        &mut app,
        send,
        Ok(Answer::Sent(Sent {
            id: "m7".into(),
            queued: false,
        })),
    );
    assert!(app.notice().is_none());

    // A refused send puts the text back, before what was typed since.
    type_text(&mut app, "are you there");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "p.s.");
    let effects = answer(
        &mut app,
        Request::Send {
            chat: Chat::peer("bob"),
            text: "are you there".into(),
        },
        refused(ErrorCode::KeyChanged, "bob's key changed"),
    );
    assert_eq!(app.input_text(), "are you there\np.s.");
    assert!(app.notice().unwrap().text.contains("/trust"));
    assert_eq!(
        calls(&effects),
        vec![Request::Fingerprint {
            user: Some("bob".into())
        }]
    );
    // `//` sends a line starting with a slash; an unknown command keeps the text.
    app.update(Msg::Paste(String::new()));
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "//etc/hosts is the file");
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        calls(&effects),
        vec![Request::Send {
            chat: Chat::peer("bob"),
            text: "/etc/hosts is the file".into()
        }]
    );
    type_text(&mut app, "/frobnicate");
    assert!(calls(&press(&mut app, KeyCode::Enter)).is_empty());
    assert_eq!(app.input_text(), "/frobnicate");
}

#[test]
fn receive_in_the_open_conversation_and_elsewhere() {
    let mut app = with_bob(TrustState::Verified);
    // mark_read for the unread ones at opening is still in flight.
    let incoming = message(
        "m8",
        Direction::In,
        "bob",
        "here now",
        NOW + MINUTE,
        MessageStatus::Delivered,
    );
    let effects = event(
        &mut app,
        60,
        EventBody::Message {
            message: incoming,
            focused: true,
        },
    );
    assert!(draw(&app).contains("14:06   bob here now"));
    // The new one is marked read once the first mark_read is answered
    // (never two at once); then the list is read again.
    assert!(!marks_read(&effects), "{effects:?}");
    let effects = answer(
        &mut app,
        Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: None,
        },
        Ok(Answer::Done),
    );
    assert!(marks_read(&effects), "{effects:?}");
    // A message from carol only refreshes the list, where her count shows.
    let from_carol = message(
        "c9",
        Direction::In,
        "carol",
        "ping",
        NOW + MINUTE,
        MessageStatus::Delivered,
    );
    event(
        &mut app,
        61,
        EventBody::Message {
            message: from_carol,
            focused: false,
        },
    );
    answer(
        &mut app,
        Request::Conversations,
        Ok(Answer::Conversations(vec![
            conversation("carol", 1, false),
            conversation("bob", 1, true),
        ])),
    );
    let shown = draw(&app);
    assert!(shown.contains("│ ○ carol         1│"), "{shown}");
    assert!(shown.contains("│▸● bob            │"), "{shown}");
    assert!(!shown.contains("ping"));
    // While the terminal is not focused nothing is marked read, and the
    // notifiers are told no conversation is in view.
    let effects = app.update(Msg::Focus(false));
    assert_eq!(calls(&effects), vec![Request::Focus { chat: None }]);
}

#[test]
fn key_change_shows_a_banner_until_trusted() {
    let mut app = with_bob(TrustState::Verified);
    assert!(app.key_banner().is_none());
    let effects = event(
        &mut app,
        70,
        EventBody::KeyChanged {
            user: "bob".into(),
            fingerprint: FPR_ALICE.into(),
        },
    );
    assert_eq!(
        calls(&effects),
        vec![Request::Fingerprint {
            user: Some("bob".into())
        }]
    );
    // chatd's extension event for the same change comes too.
    event(
        &mut app,
        71,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Changed,
            fingerprint: FPR_ALICE.into(),
            ts: NOW,
        },
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_ALICE, TrustState::Changed)),
    );
    assert!(
        app.notice()
            .is_some_and(|n| n.text.contains("nothing goes to or comes from bob")),
        "{:?}",
        app.notice()
    );
    let shown = draw(&app);
    assert!(shown.contains("⚠ bob's key has CHANGED"), "{shown}");
    assert!(shown.contains("!key"), "{shown}");
    // /verify with the wrong fingerprint says so; /trust accepts.
    type_text(&mut app, "/verify 0000");
    let effects = press(&mut app, KeyCode::Enter);
    let verify = Request::Verify {
        user: "bob".into(),
        fingerprint: "0000".into(),
    };
    assert_eq!(calls(&effects), vec![verify.clone()]);
    answer(
        &mut app,
        verify,
        refused(ErrorCode::FingerprintMismatch, "not bob's key"),
    );
    assert!(app.notice().unwrap().text.contains("not bob's fingerprint"));
    type_text(&mut app, "/trust");
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(calls(&effects), vec![Request::Trust { user: "bob".into() }]);
    let effects = answer(
        &mut app,
        Request::Trust { user: "bob".into() },
        Ok(Answer::Trust(chatd_api::TrustResult {
            state: TrustState::Unverified,
            unchanged: false,
        })),
    );
    assert_eq!(
        calls(&effects),
        vec![Request::Fingerprint {
            user: Some("bob".into())
        }]
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_ALICE, TrustState::Unverified)),
    );
    let shown = draw(&app);
    assert!(
        !shown.contains("CHANGED") && !shown.contains("!key"),
        "{shown}"
    );
    assert!(shown.contains("bob's key is unverified"), "{shown}");
}

#[test]
fn a_replayed_key_change_that_was_accepted_since_raises_no_alarm() {
    let mut app = with_bob(TrustState::Verified);
    let effects = event(
        &mut app,
        71,
        EventBody::KeyChanged {
            user: "carol".into(),
            fingerprint: FPR_ALICE.into(),
        },
    );
    let ask = Request::Fingerprint {
        user: Some("carol".into()),
    };
    assert_eq!(calls(&effects), vec![ask.clone()]);
    answer(
        &mut app,
        ask,
        Ok(fingerprint("carol", FPR_ALICE, TrustState::Unverified)),
    );
    assert!(app.notice().is_none());
    assert!(!draw(&app).contains("!key"));
}

#[test]
fn chatd_going_away_keeps_the_typed_text_and_reloads_on_return() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "typed before");
    app.update(Msg::Detached {
        reason: "chatd is not running".into(),
    });
    assert!(matches!(app.daemon(), Daemon::Down { .. }));
    type_text(&mut app, " and after");
    assert!(calls(&press(&mut app, KeyCode::Enter)).is_empty());
    assert_eq!(app.input_text(), "typed before and after");
    // Back: everything shown is asked for again, focus included.
    let effects = app.update(Msg::Attached {
        status: status(ConnectionState::LoggedIn, Some("alice")),
    });
    let requests = calls(&effects);
    for wanted in [
        Request::Conversations,
        Request::OnlineUsers,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Request::Focus {
            chat: Some(Chat::peer("bob")),
        },
    ] {
        assert!(requests.contains(&wanted), "{wanted:?} in {requests:?}");
    }
    assert_eq!(app.input_text(), "typed before and after");
    assert!(app.notice().is_none());
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        calls(&effects),
        vec![Request::Send {
            chat: Chat::peer("bob"),
            text: "typed before and after".into()
        }]
    );
}

#[test]
fn opening_with_a_peer_goes_straight_to_that_conversation() {
    let mut app = App::new(Options {
        peer: Some("dave".into()),
        zone: Zone::Utc,
        now_ms: NOW,
        size: (80, 24),
        bell: false,
    });
    let effects = app.update(Msg::Attached {
        status: status(ConnectionState::Offline, Some("alice")),
    });
    assert_eq!(app.screen(), Screen::Chat, "known account, server away");
    assert_eq!(app.chat().open_peer(), Some("dave"));
    // No online users to ask for while the server is away.
    assert_eq!(
        calls(&effects),
        vec![
            Request::Settings,
            Request::Conversations,
            Request::Groups,
            Request::History {
                chat: Chat::peer("dave"),
                before: None
            },
            Request::Fingerprint {
                user: Some("dave".into())
            },
            Request::Focus {
                chat: Some(Chat::peer("dave"))
            },
        ]
    );
    assert!(draw(&app).contains("server unreachable"));
}

/// chatd says whether it will log in by itself (`status.resume`): when it
/// will not, the login form shows at once; when it will, the chat shows
/// with a "resuming" line until it has, or until chatd gives up.
#[test]
fn a_session_that_is_not_resumed_leads_to_the_login_form() {
    let mut app = app();
    app.update(Msg::Attached {
        status: status(ConnectionState::Connected, Some("alice")),
    });
    assert_eq!(app.screen(), Screen::Login, "no session to resume");
    assert_eq!(app.login_form().username.text(), "alice");
    // Logging in elsewhere (another frontend) brings the chat back.
    event(
        &mut app,
        3,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    assert_eq!(app.screen(), Screen::Chat);

    let mut app = app_sized(80, 24);
    let mut resuming = status(ConnectionState::Connected, Some("alice"));
    resuming.resume = true;
    app.update(Msg::Attached {
        status: resuming.clone(),
    });
    assert_eq!(app.screen(), Screen::Chat);
    let shown = draw(&app);
    assert!(shown.contains("resuming the session"), "{shown}");
    // Still resuming a while later: chatd is asked again, the chat stays.
    let effects = app.update(Msg::Tick {
        now_ms: NOW + 10 * RESUME_CHECK_MS,
    });
    assert_eq!(calls(&effects), vec![Request::Status]);
    answer(&mut app, Request::Status, Ok(Answer::Status(resuming)));
    assert_eq!(app.screen(), Screen::Chat);
    // The server refused the session: chatd holds none any more.
    answer(
        &mut app,
        Request::Status,
        Ok(Answer::Status(status(
            ConnectionState::Connected,
            Some("alice"),
        ))),
    );
    assert_eq!(app.screen(), Screen::Login);
}

#[test]
fn paging_up_asks_for_older_history() {
    let mut app = logged_in_sized(80, 14);
    ctrl(&mut app, 'n');
    // A full page of history means there may be more.
    let page = page_from_bob(50, MessageStatus::Read);
    let oldest = page[0].ts;
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(page)),
    );
    let mut asked = Vec::new();
    for _ in 0..20 {
        asked.extend(calls(&press(&mut app, KeyCode::PageUp)));
    }
    assert_eq!(
        asked,
        vec![Request::History {
            chat: Chat::peer("bob"),
            before: Some(oldest)
        }],
        "asked once, at the top"
    );
    assert!(draw(&app).contains("message 0"));
    // PgDn all the way returns to the newest.
    for _ in 0..20 {
        press(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.chat().convo.as_ref().unwrap().scroll, 0);
    assert!(draw(&app).contains("message 49"));
}

#[test]
fn quitting() {
    let mut app = logged_in();
    type_text(&mut app, "/quit");
    assert_eq!(press(&mut app, KeyCode::Enter), vec![Effect::Quit]);
    assert_eq!(
        press_with(&mut app, KeyCode::Char('c'), KeyModifiers::CONTROL),
        vec![Effect::Quit]
    );
}

/// Random keys, pastes, resizes, answers and events on every screen, at
/// every size from tiny to large: nothing panics.
#[test]
fn no_key_panics() {
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let codes = [
        KeyCode::Enter,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Esc,
        KeyCode::F(1),
        KeyCode::F(2),
        KeyCode::Insert,
        KeyCode::Null,
    ];
    let chars = [
        'a', 'é', '語', '/', '?', ' ', 'n', 'p', 'j', 'k', 'w', 'u', 'q', '\t', '\n',
    ];
    let mods = [
        KeyModifiers::NONE,
        KeyModifiers::CONTROL,
        KeyModifiers::ALT,
        KeyModifiers::SHIFT,
    ];
    let starts: Vec<fn() -> App> = vec![
        app,
        || {
            let mut a = app();
            a.update(Msg::Attached {
                status: status(ConnectionState::Connected, None),
            });
            a
        },
        logged_in,
        || with_bob(TrustState::Changed),
    ];
    for start in starts {
        let mut app = start();
        for step in 0..3_000 {
            let msg = match next(20) {
                0 => Msg::Resize {
                    width: next(130) as u16,
                    height: next(50) as u16,
                },
                1 => Msg::Paste("pasted\r\ntext\twith\u{7}controls 日本".into()),
                2 => Msg::Detached {
                    reason: "gone".into(),
                },
                3 => Msg::Attached {
                    status: status(ConnectionState::LoggedIn, Some("alice")),
                },
                4 => Msg::Tick {
                    now_ms: NOW + step * 1_000,
                },
                5..=11 => Msg::Key(crossterm::event::KeyEvent::new(
                    KeyCode::Char(chars[next(chars.len() as u64) as usize]),
                    mods[next(4) as usize],
                )),
                _ => Msg::Key(crossterm::event::KeyEvent::new(
                    codes[next(codes.len() as u64) as usize],
                    mods[next(4) as usize],
                )),
            };
            app.update(msg);
            if step % 50 == 0 {
                draw_buffer(&app);
            }
        }
    }
}

/// Issue 11 item 1: another program logs chatd in while a password is
/// half typed. The rest of the password and its Enter must not go out as
/// a message to the open conversation, and nothing of it may stay.
#[test]
fn logging_in_elsewhere_drops_the_half_typed_password() {
    let mut app = App::new(Options {
        peer: Some("bob".into()),
        zone: Zone::Utc,
        now_ms: NOW,
        size: (80, 24),
        bell: false,
    });
    app.update(Msg::Attached {
        status: status(ConnectionState::Connected, None),
    });
    assert_eq!(app.screen(), Screen::Login);
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "password ");
    // `chat login` in another terminal.
    event(
        &mut app,
        1,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    assert_eq!(app.screen(), Screen::Chat);
    assert_eq!(app.chat().open_peer(), Some("bob"));
    assert!(app.login_form().password.is_empty(), "password wiped");
    assert!(app.switched().is_some());
    let shown = draw(&app);
    assert!(shown.contains("Logged in elsewhere"), "{shown}");
    // The rest of the password, then Enter, then a paste: all dropped.
    let mut effects = type_text(&mut app, "77");
    effects.extend(press(&mut app, KeyCode::Enter));
    effects.extend(app.update(Msg::Paste("password 77".into())));
    assert!(calls(&effects).is_empty(), "{effects:?}");
    assert_eq!(app.input_text(), "");
    // Esc shows the chat; from then on keys are the person's.
    press(&mut app, KeyCode::Esc);
    assert!(app.switched().is_none());
    assert!(!draw(&app).contains("Logged in elsewhere"));
    type_text(&mut app, "hi");
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        calls(&effects),
        vec![Request::Send {
            chat: Chat::peer("bob"),
            text: "hi".into()
        }]
    );
}

/// Issue 11 item 1, the other way: `chat logout` elsewhere while a chat
/// line is typed. The line is not submitted as a password, and nothing
/// typed before survives into the login form.
#[test]
fn logging_out_elsewhere_drops_the_chat_line() {
    let mut app = with_bob(TrustState::Verified);
    event(
        &mut app,
        1,
        EventBody::Connection {
            state: ConnectionState::Connected,
        },
    );
    type_text(&mut app, "see you at ");
    app.update(Msg::Tick {
        now_ms: NOW + RESUME_CHECK_MS,
    });
    assert_eq!(app.screen(), Screen::Login);
    assert_eq!(app.input_text(), "", "the chat line is gone");
    assert_eq!(app.login_form().username.text(), "alice");
    let mut effects = type_text(&mut app, "noon");
    effects.extend(press(&mut app, KeyCode::Enter));
    assert!(calls(&effects).is_empty(), "{effects:?}");
    assert!(app.login_form().password.is_empty());
    let shown = draw(&app);
    assert!(shown.contains("Logged out"), "{shown}");
    assert!(!shown.contains("••••"), "{shown}");
    press(&mut app, KeyCode::Esc);
    // Half a password, then a login elsewhere and a logout again: the
    // next form starts empty.
    type_text(&mut app, "correct ho");
    event(
        &mut app,
        2,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    press(&mut app, KeyCode::Esc);
    event(
        &mut app,
        3,
        EventBody::Connection {
            state: ConnectionState::Connected,
        },
    );
    app.update(Msg::Tick {
        now_ms: NOW + 2 * RESUME_CHECK_MS,
    });
    assert_eq!(app.screen(), Screen::Login);
    assert!(app.login_form().password.is_empty());
    assert!(app.login_form().repeat.is_empty());
}

/// Our own login switches at once, whichever of chatd's answer and its
/// event comes first, and holds no keys.
#[test]
fn our_own_login_holds_no_keys() {
    let mut app = app();
    app.update(Msg::Attached {
        status: status(ConnectionState::Connected, None),
    });
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "correct horse battery");
    press(&mut app, KeyCode::Enter);
    event(
        &mut app,
        1,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    assert_eq!(app.screen(), Screen::Chat);
    assert!(app.switched().is_none());
    assert!(app.login_form().password.is_empty());
    answer(
        &mut app,
        Request::Login {
            username: "alice".into(),
            password: Secret("correct horse battery".into()),
        },
        Ok(Answer::LoggedIn(LoggedIn {
            username: "alice".into(),
        })),
    );
    assert!(app.switched().is_none());
    assert_eq!(app.me(), Some("alice"));
}

fn incoming(id: &str, text: &str, ts: i64) -> EventBody {
    EventBody::Message {
        message: message(id, Direction::In, "bob", text, ts, MessageStatus::Delivered),
        focused: true,
    }
}

fn marks_read(effects: &[Effect]) -> bool {
    calls(effects)
        .iter()
        .any(|r| matches!(r, Request::MarkRead { .. }))
}

/// Issue 11 item 2: a message is read only once it is on screen while the
/// terminal has focus. Scrolled up, unfocused or behind an overlay, it
/// stays unread (its sender sees no "read") until the person sees it.
#[test]
fn only_messages_on_screen_in_a_focused_terminal_are_marked_read() {
    let mut app = logged_in_sized(80, 14);
    let effects = ctrl(&mut app, 'n');
    assert!(!marks_read(&effects), "nothing shown yet: {effects:?}");
    let page = page_from_bob(30, MessageStatus::Read);
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(page)),
    );
    // Scrolled far up: a new message arrives below, unseen.
    press(&mut app, KeyCode::PageUp);
    press(&mut app, KeyCode::PageUp);
    let effects = event(&mut app, 80, incoming("n1", "while scrolled up", NOW));
    assert!(!marks_read(&effects), "{effects:?}");
    for _ in 0..3 {
        assert!(!marks_read(&app.update(Msg::Tick { now_ms: NOW })));
    }
    // Back at the bottom it is on screen: read.
    let mut effects = Vec::new();
    for _ in 0..4 {
        effects.extend(press(&mut app, KeyCode::PageDown));
    }
    assert!(draw(&app).contains("while scrolled up"));
    assert_eq!(
        calls(&effects)
            .into_iter()
            .filter(|r| matches!(r, Request::MarkRead { .. }))
            .collect::<Vec<_>>(),
        vec![Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: Some("n1".into())
        }]
    );
    answer(
        &mut app,
        Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: None,
        },
        Ok(Answer::Done),
    );
    event(
        &mut app,
        81,
        EventBody::Receipt {
            id: "n1".into(),
            status: MessageStatus::Read,
            receipts: None,
            user: None,
        },
    );
    // The terminal loses focus (another tmux window): nothing is read.
    app.update(Msg::Focus(false));
    let effects = event(&mut app, 82, incoming("n2", "while away", NOW + 1));
    assert!(!marks_read(&effects), "{effects:?}");
    let effects = app.update(Msg::Focus(true));
    assert!(marks_read(&effects), "{effects:?}");
    answer(
        &mut app,
        Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: None,
        },
        Ok(Answer::Done),
    );
    // Behind the help, the same.
    press(&mut app, KeyCode::F(1));
    let effects = event(&mut app, 83, incoming("n3", "behind the help", NOW + 2));
    assert!(!marks_read(&effects), "{effects:?}");
    let effects = press(&mut app, KeyCode::Esc);
    assert!(marks_read(&effects), "{effects:?}");
}

/// Issue 11 item 8: `/msg ghost` and `chat-tui ghost` say there is no such
/// user and leave no conversation with nobody open.
#[test]
fn a_user_who_does_not_exist_opens_nothing() {
    let mut app = logged_in();
    type_text(&mut app, "/msg ghost");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.chat().open_peer(), Some("ghost"));
    let ask = Request::Fingerprint {
        user: Some("ghost".into()),
    };
    let effects = answer(
        &mut app,
        ask.clone(),
        refused(ErrorCode::NoSuchUser, "no user named ghost"),
    );
    assert_eq!(app.chat().open_peer(), None);
    assert_eq!(calls(&effects), vec![Request::Focus { chat: None }]);
    assert!(app.notice().unwrap().text.contains("no user named ghost"));
    let shown = draw(&app);
    assert!(!shown.contains("│ ○ ghost"), "{shown}");
    assert!(shown.contains("No conversation open"), "{shown}");

    let mut app = App::new(Options {
        peer: Some("nosuchuser".into()),
        zone: Zone::Utc,
        now_ms: NOW,
        size: (80, 24),
        bell: false,
    });
    app.update(Msg::Attached {
        status: status(ConnectionState::LoggedIn, Some("alice")),
    });
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("nosuchuser".into()),
        },
        refused(ErrorCode::NoSuchUser, "no user named nosuchuser"),
    );
    assert_eq!(app.chat().open_peer(), None);
    assert!(
        app.notice()
            .unwrap()
            .text
            .contains("no user named nosuchuser")
    );
}

/// Issue 11 item 6: a send blocked by a changed key gives the draft back;
/// commands typed next run beside it instead of being glued to its end.
#[test]
fn commands_work_with_a_returned_draft() {
    let mut app = with_bob(TrustState::Changed);
    type_text(&mut app, "attempt while key changed");
    let send = calls(&press(&mut app, KeyCode::Enter));
    answer(
        &mut app,
        send[0].clone(),
        refused(ErrorCode::KeyChanged, "bob's key changed"),
    );
    assert_eq!(app.input_text(), "attempt while key changed");
    type_text(&mut app, "/fingerprint");
    assert_eq!(app.input_text(), "/fingerprint");
    assert_eq!(app.draft_aside(), Some("attempt while key changed"));
    assert!(draw(&app).contains("draft"), "{}", draw(&app));
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(
        calls(&effects),
        vec![
            Request::Fingerprint { user: None },
            Request::Fingerprint {
                user: Some("bob".into())
            }
        ]
    );
    assert_eq!(app.input_text(), "attempt while key changed");
    press(&mut app, KeyCode::Esc);
    // Edited since: a / is part of the message again.
    type_text(&mut app, " and/or");
    assert_eq!(app.input_text(), "attempt while key changed and/or");
}

/// Issue 11 item 4: a notice goes as soon as it stops being true.
#[test]
fn notices_go_when_they_stop_being_true() {
    let mut app = with_bob(TrustState::Verified);
    // A usage error, then the command done right.
    type_text(&mut app, "/msg");
    press(&mut app, KeyCode::Enter);
    assert!(app.notice().unwrap().text.contains("usage: /msg NAME"));
    press_with(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "/msg carol");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.chat().open_peer(), Some("carol"));
    assert!(app.notice().is_none(), "{:?}", app.notice());
    // "waits in its outbox" until it left.
    type_text(&mut app, "are you there");
    let send = calls(&press(&mut app, KeyCode::Enter));
    answer(
        &mut app,
        send[0].clone(),
        Ok(Answer::Sent(Sent {
            id: "q1".into(),
            queued: true,
        })),
    );
    assert!(app.notice().unwrap().text.contains("outbox"));
    event(
        &mut app,
        90,
        EventBody::Receipt {
            id: "q1".into(),
            status: MessageStatus::Sent,
            receipts: None,
            user: None,
        },
    );
    assert!(app.notice().is_none(), "{:?}", app.notice());
    // "not logged in" until logged in.
    event(
        &mut app,
        91,
        EventBody::Connection {
            state: ConnectionState::Connected,
        },
    );
    app.update(Msg::Tick {
        now_ms: NOW + RESUME_CHECK_MS,
    });
    assert!(app.notice().unwrap().text.contains("not logged in"));
    press(&mut app, KeyCode::Esc);
    event(
        &mut app,
        92,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    assert!(app.notice().is_none(), "{:?}", app.notice());
}

/// Issue 11 item 4: presence is the server's; while chatd is not logged in
/// (or not running) nobody is shown online.
#[test]
fn nobody_is_online_while_chatd_is_not_logged_in() {
    let mut app = logged_in();
    let shown = draw(&app);
    assert!(
        shown.contains("● bob") && shown.contains("● dave"),
        "{shown}"
    );
    event(
        &mut app,
        1,
        EventBody::Connection {
            state: ConnectionState::Connecting,
        },
    );
    let shown = draw(&app);
    assert!(shown.contains("○ bob"), "{shown}");
    assert!(!shown.contains("dave"), "{shown}");
    // Back: everything is read again, presence included.
    let effects = event(
        &mut app,
        2,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    );
    let asked = calls(&effects);
    assert!(asked.contains(&Request::Conversations), "{asked:?}");
    assert!(asked.contains(&Request::OnlineUsers), "{asked:?}");
    app.update(Msg::Detached {
        reason: "chatd is not running".into(),
    });
    assert!(!draw(&app).contains("● bob"));
}

/// Issue 11 item 2: scrolled up, what is on screen is read up to its
/// newest incoming message; what is below stays unread.
#[test]
fn scrolled_up_reads_up_to_the_newest_message_on_screen() {
    let mut app = logged_in_sized(80, 14);
    // In another tmux window while the conversation loads.
    app.update(Msg::Focus(false));
    ctrl(&mut app, 'n');
    let page = page_from_bob(30, MessageStatus::Delivered);
    let effects = answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(page)),
    );
    assert!(!marks_read(&effects), "{effects:?}");
    press(&mut app, KeyCode::PageUp);
    press(&mut app, KeyCode::PageUp);
    let shown = draw(&app);
    assert!(!shown.contains("message 29"), "{shown}");
    let newest_shown = (0..30)
        .rev()
        .find(|i| {
            shown.contains(&format!("message {i} ")) || shown.contains(&format!("message {i}│"))
        })
        .unwrap();
    let effects = app.update(Msg::Focus(true));
    let read: Vec<_> = calls(&effects)
        .into_iter()
        .filter(|r| matches!(r, Request::MarkRead { .. }))
        .collect();
    assert_eq!(
        read,
        vec![Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: Some(format!("p{newest_shown:02}")),
        }],
        "{shown}"
    );
}

/// Issue 11 item 6: key changes, accepted keys and verifications are
/// lines in the conversation in time order, from `history` (chatd's
/// notices) and from live `trust` events made by any frontend.
#[test]
fn key_notices_and_trust_events_are_lines_in_time_order() {
    let mut app = logged_in();
    ctrl(&mut app, 'n');
    let notice = |ts: i64, kind: NoticeKind| Notice {
        ts,
        user: "bob".into(),
        kind,
        fingerprint: FPR_BOB.into(),
    };
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::History(Messages {
            messages: vec![
                message(
                    "a",
                    Direction::In,
                    "bob",
                    "before the change",
                    NOW - 10 * MINUTE,
                    MessageStatus::Read,
                ),
                message(
                    "b",
                    Direction::In,
                    "bob",
                    "after the change",
                    NOW - 5 * MINUTE,
                    MessageStatus::Read,
                ),
            ],
            notices: vec![notice(NOW - 7 * MINUTE, NoticeKind::KeyChanged)],
        })),
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_BOB, TrustState::Changed)),
    );
    // `chat trust bob` in another terminal.
    event(
        &mut app,
        5,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Unverified,
            fingerprint: FPR_BOB.into(),
            ts: NOW - MINUTE,
        },
    );
    let shown = draw(&app);
    let at = |text: &str| {
        shown
            .find(text)
            .unwrap_or_else(|| panic!("{text} missing:\n{shown}"))
    };
    assert!(at("before the change") < at("bob's key changed"), "{shown}");
    assert!(at("bob's key changed") < at("after the change"), "{shown}");
    assert!(
        at("after the change") < at("new key was accepted"),
        "{shown}"
    );
    assert!(!shown.contains("CHANGED"), "the banner follows: {shown}");
}

/// Issue 11 item 2: `/receipts off` asks chatd to send no read receipts
/// (for every frontend); the status line says so until they are on again,
/// whichever frontend turns them on.
#[test]
fn read_receipts_can_be_turned_off() {
    let mut app = logged_in();
    answer(
        &mut app,
        Request::Settings,
        Ok(Answer::Settings(Settings {
            read_receipts: true,
            typing_indicators: true,
        })),
    );
    assert!(!draw(&app).contains("receipts off"));
    type_text(&mut app, "/receipts off");
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(calls(&effects), vec![Request::SetReceipts { on: false }]);
    answer(
        &mut app,
        Request::SetReceipts { on: false },
        Ok(Answer::Settings(Settings {
            read_receipts: false,
            typing_indicators: true,
        })),
    );
    press(&mut app, KeyCode::Esc);
    let shown = draw(&app);
    assert!(shown.contains("read receipts off"), "{shown}");
    event(
        &mut app,
        9,
        EventBody::Settings {
            settings: Settings {
                read_receipts: true,
                typing_indicators: true,
            },
        },
    );
    assert!(!draw(&app).contains("receipts off"));
    type_text(&mut app, "/receipts maybe");
    press(&mut app, KeyCode::Enter);
    assert!(app.notice().unwrap().text.contains("/receipts on|off"));
}

/// Issue 11 item 8: offline, chatd cannot tell whether an unknown name
/// exists; the app says that, not that there is no such user.
#[test]
fn an_unknown_name_while_offline_is_not_called_missing() {
    let mut app = logged_in();
    event(
        &mut app,
        3,
        EventBody::Connection {
            state: ConnectionState::Offline,
        },
    );
    type_text(&mut app, "/msg newcomer");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("newcomer".into()),
        },
        refused(
            ErrorCode::Offline,
            "chatd is not connected, so it cannot check whether newcomer exists",
        ),
    );
    let text = &app.notice().unwrap().text;
    assert!(!text.contains("no user named"), "{text}");
    assert!(
        text.contains("cannot check whether newcomer exists"),
        "{text}"
    );
    assert_eq!(app.chat().open_peer(), Some("newcomer"), "kept open");
}

/// weechat habits: a message nobody can see rings the bell (and gets the
/// "unread" line above it); one read as it arrives does not.
#[test]
fn unseen_messages_ring_the_bell_and_get_an_unread_line() {
    let mut app = App::new(Options {
        peer: None,
        zone: Zone::Utc,
        now_ms: NOW,
        size: (80, 24),
        bell: true,
    });
    app.update(Msg::Attached {
        status: status(ConnectionState::LoggedIn, Some("alice")),
    });
    answer(
        &mut app,
        Request::Conversations,
        Ok(Answer::Conversations(vec![conversation("bob", 0, true)])),
    );
    ctrl(&mut app, 'n');
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(vec![message(
            "old",
            Direction::In,
            "bob",
            "seen before",
            NOW - MINUTE,
            MessageStatus::Read,
        )])),
    );
    let bells = |effects: &[Effect]| effects.iter().filter(|e| **e == Effect::Bell).count();
    let effects = event(&mut app, 10, incoming("seen", "read as it came", NOW));
    assert_eq!(bells(&effects), 0);
    assert!(!draw(&app).contains(" unread "));
    app.update(Msg::Focus(false));
    let effects = event(&mut app, 11, incoming("away", "while away", NOW + 1));
    assert_eq!(bells(&effects), 1);
    // The same event replayed rings nothing.
    let effects = event(&mut app, 11, incoming("away", "while away", NOW + 1));
    assert_eq!(bells(&effects), 0);
    app.update(Msg::Focus(true));
    let shown = draw(&app);
    let line = shown.find(" unread ").expect(&shown);
    assert!(shown.find("read as it came").unwrap() < line, "{shown}");
    assert!(line < shown.find("while away").unwrap(), "{shown}");
    // Without --no-bell's opposite: nothing rings.
    let mut quiet = logged_in();
    let effects = event(&mut quiet, 12, incoming("x", "elsewhere", NOW));
    assert_eq!(bells(&effects), 0);
}

/// Issue 11 item 4: the badge that came back after leaving a conversation.
/// chatd answers the list (bob: 1 unread) before it has marked bob's new
/// message read; after leaving bob's conversation the badge must be
/// chatd's count by then (0), not the stale one.
#[test]
fn a_conversation_read_before_leaving_it_shows_no_badge() {
    let list = |unread| {
        Ok(Answer::Conversations(vec![
            conversation("bob", unread, true),
            conversation("carol", 0, false),
        ]))
    };
    let mut app = logged_in();
    ctrl(&mut app, 'n');
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("bob"),
            before: None,
        },
        Ok(Answer::Messages(vec![])),
    );
    answer(&mut app, Request::Conversations, list(0));
    let effects = event(&mut app, 20, incoming("n1", "new", NOW));
    let asked = calls(&effects);
    assert!(asked.contains(&Request::Conversations), "{asked:?}");
    assert!(
        asked.iter().any(|r| matches!(r, Request::MarkRead { .. })),
        "{asked:?}"
    );
    let mut lists = calls(&answer(&mut app, Request::Conversations, list(1)));
    lists.extend(calls(&answer(
        &mut app,
        Request::MarkRead {
            chat: Chat::peer("bob"),
            up_to: Some("n1".into()),
        },
        Ok(Answer::Done),
    )));
    // Leave for carol; chatd answers every list asked for from now on
    // with its count (0).
    lists.extend(calls(&ctrl(&mut app, 'n')));
    assert_eq!(app.chat().open_peer(), Some("carol"));
    while lists.contains(&Request::Conversations) {
        lists = calls(&answer(&mut app, Request::Conversations, list(0)));
    }
    let badge = app
        .chat()
        .entries(app.me())
        .into_iter()
        .find(|e| e.name == "bob")
        .unwrap()
        .unread;
    assert_eq!(badge, 0, "{}", draw(&app));
}

/// Issue 11 item 5: `/trust` on a key that did not change says so, and
/// never claims a new key was accepted.
#[test]
fn trust_on_an_unchanged_key_says_nothing_changed() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "/trust");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Trust { user: "bob".into() },
        Ok(Answer::Trust(chatd_api::TrustResult {
            state: TrustState::Verified,
            unchanged: true,
        })),
    );
    let text = &app.notice().unwrap().text;
    assert!(text.contains("has not changed"), "{text}");
    assert!(!text.contains("accepted"), "{text}");
}
