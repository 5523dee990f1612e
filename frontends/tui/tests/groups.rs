//! Groups and typing (issue 12): the group list beside the 1:1
//! conversations, a group's timeline with senders, change lines and
//! aggregated receipts, its members line, the slash commands that manage
//! groups, typing indicators both ways; and the rule that only `trust`
//! events (and our own /trust or /verify) settle a key warning. Driven with
//! scripted answers and events, as scenarios.rs; screens as snapshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chat_tui::app::chat::{Overlay, TYPING_MS};
use chat_tui::app::{Answer, Msg, Request};
use chatd_api::{
    Chat, ErrorCode, EventBody, GroupChange, GroupReceipts, MessageStatus, Settings, TrustState,
};
use common::*;
use crossterm::event::KeyCode;
use insta::assert_snapshot;

fn names(app: &chat_tui::app::App) -> Vec<String> {
    app.chat()
        .entries(app.me())
        .into_iter()
        .map(|e| e.name)
        .collect()
}

fn command(app: &mut chat_tui::app::App, line: &str) -> Vec<Request> {
    type_text(app, line);
    calls(&press(app, KeyCode::Enter))
}

#[test]
fn groups_are_listed_beside_conversations_with_their_unread_count() {
    let mut app = logged_in();
    // Logged in: the groups are asked for with the rest.
    app.update(Msg::Attached {
        status: status(chatd_api::ConnectionState::LoggedIn, Some("alice")),
    });
    assert_eq!(names(&app), ["bob", "carol", "dave"]);
    answer(&mut app, Request::Groups, Ok(Answer::Groups(vec![team()])));
    // The group's last message is the newest: it comes first.
    assert_eq!(names(&app), ["team", "bob", "carol", "dave"]);
    let shown = draw(&app);
    assert!(shown.contains("#team"), "{shown}");
    let team_row = shown.lines().find(|l| l.contains("#team")).unwrap();
    assert!(team_row.contains(" 2"), "unread count: {team_row}");
}

#[test]
fn opening_a_group_loads_its_history_and_focuses_it() {
    let mut app = with_groups();
    let effects = ctrl(&mut app, 'n');
    assert_eq!(app.chat().open_chat(), Some(&Chat::group(TEAM)));
    let asked = calls(&effects);
    assert!(asked.contains(&Request::History {
        chat: Chat::group(TEAM),
        before: None
    }));
    assert!(asked.contains(&Request::Focus {
        chat: Some(Chat::group(TEAM))
    }));
    // No key to look up for a group.
    assert!(
        !asked
            .iter()
            .any(|r| matches!(r, Request::Fingerprint { .. }))
    );
    let effects = answer(
        &mut app,
        Request::History {
            chat: Chat::group(TEAM),
            before: None,
        },
        Ok(Answer::Messages(team_history())),
    );
    // What is on screen is read, up to the newest incoming message.
    assert_eq!(
        calls(&effects),
        vec![Request::MarkRead {
            chat: Chat::group(TEAM),
            up_to: Some("g2".into())
        }]
    );
    let shown = draw(&app);
    assert!(shown.contains("bob thanks, reading"), "{shown}");
    assert!(shown.contains("carol and the slides?"), "{shown}");
    assert!(
        shown.contains("✓✓ delivered to 2 of 3 · read by bob"),
        "{shown}"
    );
}

#[test]
fn receipts_and_changes_arrive_as_events() {
    let mut app = with_team();
    event(
        &mut app,
        60,
        EventBody::Receipt {
            id: "g0".into(),
            status: MessageStatus::Delivered,
            user: Some("carol".into()),
            receipts: Some(GroupReceipts {
                recipients: 3,
                delivered: vec!["bob".into(), "carol".into()],
                read: vec!["bob".into(), "carol".into()],
            }),
        },
    );
    // An older receipt replayed afterwards takes no reader away.
    event(
        &mut app,
        58,
        EventBody::Receipt {
            id: "g0".into(),
            status: MessageStatus::Delivered,
            user: Some("bob".into()),
            receipts: Some(GroupReceipts {
                recipients: 3,
                delivered: vec!["bob".into()],
                read: vec!["bob".into()],
            }),
        },
    );
    assert!(
        draw(&app).contains("delivered to 2 of 3 · read by bob, carol"),
        "{}",
        draw(&app)
    );
    // bob (an admin now) adds erin: the members line and the timeline
    // follow, and the list is read again.
    let mut grown = team();
    grown.version = 4;
    grown.members.push(member("erin", false, true, None));
    let effects = event(
        &mut app,
        61,
        EventBody::Group {
            group: Box::new(grown),
            by: "bob".into(),
            change: GroupChange {
                added: vec!["erin".into()],
                ..GroupChange::default()
            },
        },
    );
    assert!(calls(&effects).contains(&Request::Groups));
    let shown = draw(&app);
    assert!(shown.contains("bob added erin"), "{shown}");
    assert!(app.members_line().unwrap().contains("●erin"));
    assert!(app.members_line().unwrap().starts_with("5 members"));
}

#[test]
fn the_members_line_marks_admins_presence_and_changed_keys() {
    let mut app = with_team();
    let line = app.members_line().unwrap();
    assert_eq!(
        line,
        "4 members (★ admin): ●★alice (you)  ●bob  ○carol !key  ○dave"
    );
    // bob goes offline.
    event(
        &mut app,
        70,
        EventBody::Presence {
            user: "bob".into(),
            online: false,
        },
    );
    assert!(app.members_line().unwrap().contains("○bob"));
    // carol's key is accepted elsewhere: her mark goes.
    event(
        &mut app,
        71,
        EventBody::Trust {
            user: "carol".into(),
            state: TrustState::Unverified,
            fingerprint: FPR_BOB.into(),
            ts: NOW,
        },
    );
    assert!(!app.members_line().unwrap().contains("!key"));
    // The group list read afterwards agrees.
    let mut settled = team();
    settled.members[2].trust = Some(TrustState::Unverified);
    answer(&mut app, Request::Groups, Ok(Answer::Groups(vec![settled])));
    assert!(!app.members_line().unwrap().contains("!key"));
}

#[test]
fn sending_in_a_group_and_being_refused() {
    let mut app = with_team();
    let sent = command(&mut app, "see you at 3");
    assert_eq!(
        sent,
        vec![Request::Send {
            chat: Chat::group(TEAM),
            text: "see you at 3".into()
        }]
    );
    answer(
        &mut app,
        sent[0].clone(),
        refused(ErrorCode::NotGroupMember, "you are not a member of team"),
    );
    assert_eq!(app.input_text(), "see you at 3", "the text is back");
    assert!(
        app.notice()
            .unwrap()
            .text
            .contains("no longer a member of #team"),
        "{:?}",
        app.notice()
    );
}

#[test]
fn groups_are_managed_with_slash_commands() {
    let mut app = logged_in();
    // Outside a group, the group commands say what to do.
    for line in [
        "/add dave",
        "/remove dave",
        "/leave",
        "/admin dave",
        "/info",
    ] {
        assert!(command(&mut app, line).is_empty(), "{line}");
        assert!(
            app.notice().unwrap().text.contains("open a group first"),
            "{line}: {:?}",
            app.notice()
        );
    }
    let create = Request::GroupCreate {
        name: "team".into(),
        members: vec!["bob".into(), "carol".into()],
    };
    assert_eq!(
        command(&mut app, "/group create team bob carol"),
        vec![create.clone()]
    );
    // Created: it opens, with its (empty) history asked for.
    let effects = answer(&mut app, create, Ok(Answer::Group(team())));
    assert_eq!(app.chat().open_chat(), Some(&Chat::group(TEAM)));
    assert!(calls(&effects).contains(&Request::History {
        chat: Chat::group(TEAM),
        before: None
    }));
    assert!(app.notice().unwrap().text.contains("#team is created"));
    assert_eq!(
        command(&mut app, "/add erin frank"),
        vec![Request::GroupAdd {
            group: TEAM.into(),
            users: vec!["erin".into(), "frank".into()]
        }]
    );
    assert_eq!(
        command(&mut app, "/remove dave"),
        vec![Request::GroupRemove {
            group: TEAM.into(),
            users: vec!["dave".into()]
        }]
    );
    // chatd's refusal is shown in its words.
    answer(
        &mut app,
        Request::GroupRemove {
            group: TEAM.into(),
            users: vec!["dave".into()],
        },
        refused(
            ErrorCode::NotGroupAdmin,
            "only an admin of team may remove members",
        ),
    );
    let notice = app.notice().unwrap().text.clone();
    assert!(
        notice.contains("cannot remove from #team: only an admin of team may remove members"),
        "{notice}"
    );
    assert_eq!(
        command(&mut app, "/admin bob"),
        vec![Request::GroupAdmin {
            group: TEAM.into(),
            user: "bob".into(),
            admin: true
        }]
    );
    assert_eq!(
        command(&mut app, "/admin bob off"),
        vec![Request::GroupAdmin {
            group: TEAM.into(),
            user: "bob".into(),
            admin: false
        }]
    );
    assert_eq!(
        command(&mut app, "/info"),
        vec![Request::GroupInfo { group: TEAM.into() }]
    );
    assert_eq!(app.chat().overlay, Some(Overlay::Group(TEAM.into())));
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        command(&mut app, "/leave"),
        vec![Request::GroupLeave { group: TEAM.into() }]
    );
    let mut left = team();
    left.is_member = false;
    left.members.remove(0);
    answer(
        &mut app,
        Request::GroupLeave { group: TEAM.into() },
        Ok(Answer::Group(left)),
    );
    assert!(app.notice().unwrap().text.contains("you left #team"));
    assert!(app.members_line().unwrap().contains("no longer a member"));
    // Nothing more goes out as typing in a group we left.
    assert!(
        !calls(&type_text(&mut app, "hello?"))
            .iter()
            .any(|r| matches!(r, Request::Typing { .. }))
    );
}

#[test]
fn msg_with_a_hash_opens_a_group_by_name() {
    let mut app = with_groups();
    let effects = command(&mut app, "/msg #team");
    assert_eq!(app.chat().open_chat(), Some(&Chat::group(TEAM)));
    assert!(effects.contains(&Request::History {
        chat: Chat::group(TEAM),
        before: None
    }));
    assert!(command(&mut app, "/msg #nope").is_empty());
    assert!(app.notice().unwrap().text.contains("no group called #nope"));
}

#[test]
fn being_added_or_removed_elsewhere_is_said() {
    let mut app = logged_in();
    event(
        &mut app,
        80,
        EventBody::Group {
            group: Box::new(team()),
            by: "bob".into(),
            change: GroupChange {
                joined: true,
                ..GroupChange::default()
            },
        },
    );
    assert!(names(&app).contains(&"team".to_string()));
    assert_eq!(
        app.notice().unwrap().text,
        "#team: bob made you a member of team"
    );
    let mut gone = team();
    gone.is_member = false;
    event(
        &mut app,
        81,
        EventBody::Group {
            group: Box::new(gone),
            by: "bob".into(),
            change: GroupChange {
                removed: vec!["alice".into()],
                ..GroupChange::default()
            },
        },
    );
    assert_eq!(app.notice().unwrap().text, "#team: bob removed alice");
    assert!(app.chat().entries(app.me())[0].left);
}

fn typing_calls(effects: &[chat_tui::app::Effect]) -> usize {
    calls(effects)
        .iter()
        .filter(|r| matches!(r, Request::Typing { .. }))
        .count()
}

#[test]
fn typing_is_sent_at_most_once_a_second_and_never_for_commands() {
    let mut app = with_bob(TrustState::Verified);
    let effects = type_text(&mut app, "hel");
    assert_eq!(
        calls(&effects),
        vec![Request::Typing {
            chat: Chat::peer("bob")
        }]
    );
    assert_eq!(typing_calls(&type_text(&mut app, "lo")), 0, "same second");
    app.update(Msg::Tick {
        now_ms: NOW + 1_000,
    });
    assert_eq!(typing_calls(&type_text(&mut app, "!")), 1);
    // Sent: the next keystroke may say so again at once.
    press(&mut app, KeyCode::Enter);
    assert_eq!(typing_calls(&type_text(&mut app, "x")), 1);
    press_with(
        &mut app,
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    app.update(Msg::Tick {
        now_ms: NOW + 5_000,
    });
    // A command is not typing to anyone.
    assert_eq!(typing_calls(&type_text(&mut app, "/fingerprint")), 0);
    press_with(
        &mut app,
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    // Off: nothing is asked of chatd.
    app.update(Msg::Event(chatd_api::Event {
        seq: 90,
        body: EventBody::Settings {
            settings: Settings {
                read_receipts: true,
                typing_indicators: false,
            },
        },
    }));
    assert_eq!(typing_calls(&type_text(&mut app, "quiet")), 0);
}

#[test]
fn typing_in_a_group_goes_to_the_group() {
    let mut app = with_team();
    assert_eq!(
        calls(&type_text(&mut app, "o")),
        vec![Request::Typing {
            chat: Chat::group(TEAM)
        }]
    );
}

#[test]
fn typing_shows_for_six_seconds_or_until_the_message() {
    let mut app = with_bob(TrustState::Verified);
    let typing = |who: &str| EventBody::Typing {
        user: who.into(),
        group: None,
    };
    event(&mut app, 100, typing("bob"));
    assert_eq!(app.typing_line().as_deref(), Some("bob is typing..."));
    assert!(draw(&app).contains("bob is typing..."));
    // Someone typing elsewhere does not show here, but in the list.
    event(&mut app, 100, typing("carol"));
    assert_eq!(app.typing_line().as_deref(), Some("bob is typing..."));
    let carol = draw(&app)
        .lines()
        .find(|l| l.contains("carol"))
        .unwrap()
        .to_string();
    assert!(carol.contains('…'), "{carol}");
    app.update(Msg::Tick {
        now_ms: NOW + TYPING_MS - 1,
    });
    assert!(app.typing_line().is_some());
    app.update(Msg::Tick {
        now_ms: NOW + TYPING_MS,
    });
    assert_eq!(app.typing_line(), None, "gone after 6 s");
    event(&mut app, 100, typing("bob"));
    event(
        &mut app,
        101,
        EventBody::Message {
            message: message(
                "m9",
                chatd_api::Direction::In,
                "bob",
                "here it is",
                NOW + TYPING_MS,
                MessageStatus::Delivered,
            ),
            focused: true,
        },
    );
    assert_eq!(app.typing_line(), None, "gone with his message");
}

#[test]
fn several_typing_in_a_group() {
    let mut app = with_team();
    for who in ["bob", "carol"] {
        event(
            &mut app,
            110,
            EventBody::Typing {
                user: who.into(),
                group: Some(TEAM.into()),
            },
        );
    }
    assert_eq!(
        app.typing_line().as_deref(),
        Some("bob, carol are typing...")
    );
    // bob's 1:1 typing is not the group's.
    event(
        &mut app,
        111,
        EventBody::Message {
            message: in_team("g3", "bob", "done", NOW),
            focused: true,
        },
    );
    assert_eq!(app.typing_line().as_deref(), Some("carol is typing..."));
}

#[test]
fn typing_indicators_can_be_turned_off() {
    let mut app = logged_in();
    assert_eq!(
        command(&mut app, "/typing off"),
        vec![Request::SetTyping { on: false }]
    );
    answer(
        &mut app,
        Request::SetTyping { on: false },
        Ok(Answer::Settings(Settings {
            read_receipts: true,
            typing_indicators: false,
        })),
    );
    assert!(
        app.notice()
            .unwrap()
            .text
            .contains("typing indicators are off")
    );
    assert!(!app.settings().unwrap().typing_indicators);
}

/// A conversation list or a key answer made before bob's key changed,
/// arriving after the event that said so, no longer hides the warning:
/// only a `trust` event (or our own /trust) settles it.
#[test]
fn a_stale_list_or_key_answer_cannot_hide_a_key_change() {
    let mut app = with_bob(TrustState::Unverified);
    event(
        &mut app,
        120,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Changed,
            fingerprint: FPR_ALICE.into(),
            ts: NOW,
        },
    );
    assert!(app.key_banner().unwrap().1.contains("CHANGED"));
    let mut stale = conversation("bob", 0, true);
    stale.trust = Some(TrustState::Unverified);
    answer(
        &mut app,
        Request::Conversations,
        Ok(Answer::Conversations(vec![stale])),
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_BOB, TrustState::Unverified)),
    );
    assert!(app.key_banner().unwrap().1.contains("CHANGED"), "still");
    assert!(app.chat().entries(app.me())[0].key_alert);
    // Accepted elsewhere: chatd's trust event settles it.
    event(
        &mut app,
        121,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Unverified,
            fingerprint: FPR_ALICE.into(),
            ts: NOW + 1,
        },
    );
    assert!(!app.key_banner().unwrap().1.contains("CHANGED"));
    assert!(!app.chat().entries(app.me())[0].key_alert);
}

/// The other way round: the answer to a key lookup asked for before
/// the change was accepted elsewhere, arriving after the `trust` event
/// that settled it, does not raise the warning again (a race seen in the
/// live trust test under load), nor does a list asked for before.
#[test]
fn an_answer_older_than_the_acceptance_does_not_raise_it_again() {
    let mut app = with_bob(TrustState::Unverified);
    let effects = event(
        &mut app,
        130,
        EventBody::KeyChanged {
            user: "bob".into(),
            fingerprint: FPR_ALICE.into(),
        },
    );
    assert!(calls(&effects).contains(&Request::Fingerprint {
        user: Some("bob".into())
    }));
    event(
        &mut app,
        131,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Changed,
            fingerprint: FPR_ALICE.into(),
            ts: NOW,
        },
    );
    // (The conversation list asked for on opening is on its way too.)
    event(
        &mut app,
        132,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Unverified,
            fingerprint: FPR_ALICE.into(),
            ts: NOW + 1,
        },
    );
    assert!(
        app.key_banner()
            .is_some_and(|(_, t)| !t.contains("CHANGED"))
    );
    answer(
        &mut app,
        Request::Fingerprint {
            user: Some("bob".into()),
        },
        Ok(fingerprint("bob", FPR_ALICE, TrustState::Changed)),
    );
    let mut old = conversation("bob", 0, true);
    old.trust = Some(TrustState::Changed);
    answer(
        &mut app,
        Request::Conversations,
        Ok(Answer::Conversations(vec![old])),
    );
    assert!(
        app.key_banner()
            .is_some_and(|(_, t)| !t.contains("CHANGED")),
        "{:?}",
        app.key_banner()
    );
    assert!(!app.chat().entries(app.me())[0].key_alert);
    assert!(app.notice().is_none_or(|n| !n.text.contains("key changed")));
}

#[test]
fn screen_group_conversation() {
    let mut app = with_team();
    let mut grown = team();
    grown.members.push(member("erin", false, true, None));
    event(
        &mut app,
        61,
        EventBody::Group {
            group: Box::new(grown),
            by: "alice".into(),
            change: GroupChange {
                added: vec!["erin".into()],
                ..GroupChange::default()
            },
        },
    );
    event(
        &mut app,
        62,
        EventBody::Typing {
            user: "bob".into(),
            group: Some(TEAM.into()),
        },
    );
    assert_snapshot!(draw(&app));
}

#[test]
fn screen_group_info() {
    let mut app = with_team();
    command(&mut app, "/info");
    assert_snapshot!(draw(&app));
}
