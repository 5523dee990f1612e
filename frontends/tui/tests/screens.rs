//! Whole-screen snapshots of every screen and state, drawn on ratatui's
//! `TestBackend` and compared with the files under `tests/snapshots/`.
//! With CI=true insta never writes new snapshots, so a changed screen
//! fails until someone reviews it (`cargo insta review`) and commits it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_tui::app::{Answer, Msg, Request, Secret};
use chatd_api::{
    Chat, ConnectionState, Direction, ErrorCode, EventBody, MessageStatus, Sent, TrustState,
};
use common::*;
use crossterm::event::{KeyCode, KeyModifiers};
use insta::assert_snapshot;
use ratatui::style::{Color, Modifier};

#[test]
fn connecting() {
    assert_snapshot!(draw(&app()));
}

#[test]
fn chatd_not_running_at_start() {
    let mut app = app();
    app.update(Msg::Detached {
        reason: "chatd is not running (nothing listens on /run/user/1000/securechat/chatd.sock); \
                 start it with `systemctl --user start chatd` or run `chatd`"
            .into(),
    });
    assert_snapshot!(draw(&app));
}

fn login_screen() -> chat_tui::app::App {
    let mut app = app();
    app.update(Msg::Attached {
        status: status(ConnectionState::Connected, None),
    });
    app
}

#[test]
fn login_empty() {
    assert_snapshot!(draw(&login_screen()));
}

#[test]
fn login_wrong_password() {
    let mut app = login_screen();
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "not the password");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Login {
            username: "alice".into(),
            password: Secret("not the password".into()),
        },
        refused(ErrorCode::BadCredentials, "wrong username or password"),
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn login_busy() {
    let mut app = login_screen();
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "correct horse battery");
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app));
}

#[test]
fn signup_password_too_short() {
    let mut app = login_screen();
    ctrl(&mut app, 'n');
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "hunter2");
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "hunter2");
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app));
}

#[test]
fn signup_refused_by_chatd() {
    let mut app = login_screen();
    ctrl(&mut app, 'n');
    type_text(&mut app, "alice");
    press(&mut app, KeyCode::Enter);
    for _ in 0..2 {
        type_text(&mut app, "alice in wonderland");
        press(&mut app, KeyCode::Enter);
    }
    answer(
        &mut app,
        Request::Signup {
            username: "alice".into(),
            password: Secret("alice in wonderland".into()),
        },
        refused(
            ErrorCode::InvalidInput,
            "password must not contain the username",
        ),
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_nothing_open() {
    assert_snapshot!(draw(&logged_in()));
}

#[test]
fn chat_conversation_unverified() {
    assert_snapshot!(draw(&with_bob(TrustState::Unverified)));
}

#[test]
fn chat_conversation_verified() {
    assert_snapshot!(draw(&with_bob(TrustState::Verified)));
}

fn key_changed() -> chat_tui::app::App {
    let mut app = with_bob(TrustState::Unverified);
    event(
        &mut app,
        40,
        EventBody::KeyChanged {
            user: "bob".into(),
            fingerprint: FPR_ALICE.into(),
        },
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_ALICE, TrustState::Changed)),
    );
    app
}

#[test]
fn chat_key_changed() {
    let app = key_changed();
    assert_snapshot!(draw(&app));
    // The banner stands out in any palette: reversed red, bold.
    let buffer = draw_buffer(&app);
    let cell = &buffer[(21, 1)];
    assert_eq!(cell.symbol(), "⚠");
    assert_eq!(cell.fg, Color::Red);
    assert!(cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD));
}

/// Only the terminal's own palette colours that read on dark and light
/// backgrounds alike: no fixed RGB or index, no white, black or grey.
#[test]
fn colours_read_on_dark_and_light_terminals() {
    let mut help = with_bob(TrustState::Verified);
    press(&mut help, KeyCode::Char('?'));
    let mut signup = login_screen();
    ctrl(&mut signup, 'n');
    type_text(&mut signup, "alice");
    for app in [
        app(),
        login_screen(),
        signup,
        logged_in(),
        with_bob(TrustState::Unverified),
        key_changed(),
        help,
    ] {
        let buffer = draw_buffer(&app);
        for cell in &buffer.content {
            for colour in [cell.fg, cell.bg] {
                assert!(
                    matches!(
                        colour,
                        Color::Reset | Color::Red | Color::Green | Color::Magenta | Color::Cyan
                    ),
                    "{colour:?} at {:?}",
                    cell.symbol()
                );
            }
        }
    }
}

#[test]
fn chat_new_conversation_is_empty() {
    let mut app = logged_in();
    type_text(&mut app, "/msg dave");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("dave"),
            before: None,
        },
        Ok(Answer::Messages(vec![])),
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_multiline_input() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "a first line");
    press_with(&mut app, KeyCode::Enter, KeyModifiers::ALT);
    type_text(
        &mut app,
        "and a second, with a word long enough to need wrapping when the terminal is only eighty columns wide",
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_chatd_went_away() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "half a thought");
    app.update(Msg::Detached {
        reason: "chatd is not running (nothing listens on /run/user/1000/securechat/chatd.sock); \
                 start it with `systemctl --user start chatd` or run `chatd`"
            .into(),
    });
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_server_offline_message_queued() {
    let mut app = with_bob(TrustState::Verified);
    event(
        &mut app,
        41,
        EventBody::Connection {
            state: ConnectionState::Offline,
        },
    );
    answer(
        &mut app,
        Request::Send {
            chat: Chat::peer("bob"),
            text: "see you".into(),
        },
        Ok(Answer::Sent(Sent {
            id: "m7".into(),
            queued: true,
        })),
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_scrolled_up() {
    let mut app = with_bob_sized(TrustState::Verified, 80, 14);
    press(&mut app, KeyCode::PageUp);
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_sidebar_focused() {
    let mut app = with_bob(TrustState::Verified);
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_security_notice() {
    let mut app = with_bob(TrustState::Verified);
    event(
        &mut app,
        42,
        EventBody::Security {
            user: "mallory".into(),
            reason: "bad_signature".into(),
            group: None,
        },
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn help_overlay() {
    let mut app = with_bob(TrustState::Verified);
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Enter);
    assert_snapshot!(draw(&app));
}

#[test]
fn search_overlay() {
    let mut app = with_bob(TrustState::Verified);
    type_text(&mut app, "/search lunch");
    press(&mut app, KeyCode::Enter);
    let found = vec![
        message(
            "m1",
            Direction::In,
            "bob",
            "are we still on for lunch tomorrow?",
            NOW - 26 * 60 * MINUTE,
            MessageStatus::Read,
        ),
        message(
            "c1",
            Direction::Out,
            "carol",
            "lunch was great, thanks again for organising it all so well",
            NOW - 3 * 24 * 60 * MINUTE,
            MessageStatus::Read,
        ),
    ];
    answer(
        &mut app,
        Request::Search {
            query: "lunch".into(),
        },
        Ok(Answer::Messages(found)),
    );
    press(&mut app, KeyCode::Down);
    assert_snapshot!(draw(&app));
}

#[test]
fn fingerprint_overlay() {
    let mut app = with_bob(TrustState::Unverified);
    type_text(&mut app, "/fingerprint");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Fingerprint { user: None },
        Ok(fingerprint("alice", FPR_ALICE, TrustState::Verified)),
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_BOB, TrustState::Unverified)),
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn chat_large_terminal() {
    assert_snapshot!(draw(&with_bob_sized(TrustState::Unverified, 120, 32)));
}

#[test]
fn terminal_too_small() {
    assert_snapshot!(draw(&with_bob_sized(TrustState::Unverified, 36, 8)));
}

fn groups(fpr: &str) -> Vec<String> {
    fpr.as_bytes()
        .chunks(4)
        .map(|g| String::from_utf8(g.to_vec()).unwrap())
        .collect()
}

/// Issue 11 item 9: at 40x12 the fingerprints are wrapped, never cut; what
/// does not fit is marked and reached by scrolling.
#[test]
fn fingerprints_are_never_cut_in_a_small_window() {
    let mut app = with_bob_sized(TrustState::Unverified, 40, 12);
    type_text(&mut app, "/fingerprint");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Fingerprint { user: None },
        Ok(fingerprint("alice", FPR_ALICE, TrustState::Verified)),
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_BOB, TrustState::Unverified)),
    );
    let first = draw(&app);
    assert!(first.contains("more below"), "{first}");
    let mut seen = first.clone();
    for _ in 0..30 {
        press(&mut app, KeyCode::Down);
        seen.push_str(&draw(&app));
    }
    let last = draw(&app);
    assert!(last.contains("more above"), "{last}");
    for group in groups(FPR_ALICE).into_iter().chain(groups(FPR_BOB)) {
        assert!(seen.contains(&group), "{group} never shown:\n{seen}");
    }
    // Every row of a fingerprint is whole groups of four.
    let all: Vec<String> = groups(FPR_ALICE)
        .into_iter()
        .chain(groups(FPR_BOB))
        .collect();
    for line in seen.lines() {
        for cell in line.split('│') {
            let tokens: Vec<&str> = cell
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|t| !t.is_empty())
                .collect();
            if tokens.iter().any(|t| all.iter().any(|g| g == t)) {
                for t in tokens {
                    assert_eq!(t.len(), 4, "a cut group {t:?} in {line}");
                }
            }
        }
    }
}

/// Issue 11 item 9: the help scrolls in a small window.
#[test]
fn help_scrolls_in_a_small_window() {
    let mut app = with_bob_sized(TrustState::Verified, 40, 12);
    press(&mut app, KeyCode::F(1));
    let top = draw(&app);
    assert!(top.contains("more below"), "{top}");
    assert!(!top.contains("/quit"), "{top}");
    for _ in 0..20 {
        press(&mut app, KeyCode::PageDown);
    }
    let bottom = draw(&app);
    assert!(bottom.contains("/quit"), "{bottom}");
    assert!(bottom.contains("more above"), "{bottom}");
}

/// Issue 11 item 3: the safety number shows whole in the fingerprint
/// window, wrapped by groups of five in a small one, never cut.
#[test]
fn the_safety_number_is_never_cut_in_a_small_window() {
    let number = chatd_api::domain::safety_number("alice", FPR_ALICE, "bob", FPR_BOB);
    let mut app = with_bob_sized(TrustState::Unverified, 40, 12);
    type_text(&mut app, "/fingerprint");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Fingerprint { user: None },
        Ok(fingerprint("alice", FPR_ALICE, TrustState::Verified)),
    );
    let Answer::Fingerprint(mut theirs) = fingerprint("bob", FPR_BOB, TrustState::Unverified)
    else {
        unreachable!()
    };
    theirs.safety_number = Some(number.clone());
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(Answer::Fingerprint(theirs)),
    );
    let mut seen = draw(&app);
    for _ in 0..30 {
        press(&mut app, KeyCode::Down);
        seen.push_str(&draw(&app));
    }
    assert!(seen.contains("Safety number"), "{seen}");
    let groups: Vec<&str> = number.split_whitespace().collect();
    assert_eq!(groups.len(), 12);
    for group in &groups {
        assert!(seen.contains(group), "{group} never shown:\n{seen}");
    }
    // Rows of the number are whole groups of five digits.
    for line in seen.lines() {
        let digits: Vec<&str> = line
            .split(|c: char| !c.is_ascii_digit())
            .filter(|t| t.len() > 2)
            .collect();
        if digits.iter().any(|t| groups.contains(t)) {
            for t in digits {
                assert_eq!(t.len(), 5, "a cut group {t:?} in {line}");
            }
        }
    }
}

/// weechat/gomuks habits: the conversation with yourself looks like notes,
/// not like a chat with a stranger who shares your name.
#[test]
fn a_conversation_with_yourself_is_notes() {
    let mut app = logged_in();
    type_text(&mut app, "/msg alice");
    press(&mut app, KeyCode::Enter);
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("alice".into()),
        },
        Ok(fingerprint("alice", FPR_ALICE, TrustState::Verified)),
    );
    answer(
        &mut app,
        Request::History {
            chat: Chat::peer("alice"),
            before: None,
        },
        Ok(Answer::Messages(vec![])),
    );
    let shown = draw(&app);
    assert!(shown.contains("✎ notes"), "{shown}");
    assert!(shown.contains("Note to yourself"), "{shown}");
    assert!(shown.contains("Your notes"), "{shown}");
    assert!(!shown.contains("Message alice"), "{shown}");
    assert!(!shown.contains("offline"), "{shown}");
}
