//! The model against the orders in which chatd's answers and events can
//! really arrive: duplicates, receipts before history, replays after a
//! reattach, changes made by another frontend.

use chatd_api::{
    Chat, ConnectionState, Conversation, Direction, Event, EventBody, Fingerprint, Message,
    MessageStatus, Notice, NoticeKind, Status, TrustState, User,
};

use super::*;
use crate::backend::{Command, Failure, Link, Update};

fn msg(id: &str, dir: Direction, ts: i64, status: MessageStatus) -> Message {
    let (from, to) = match dir {
        Direction::In => ("bob", "alice"),
        Direction::Out => ("alice", "bob"),
    };
    Message {
        id: id.into(),
        from: from.into(),
        to: to.into(),
        text: format!("text {id}"),
        ts,
        direction: dir,
        status,
        group: None,
        receipts: None,
        file: None,
    }
}

fn event(seq: u64, body: EventBody) -> Update {
    Update::Event(Event { seq, body })
}

fn message_event(seq: u64, m: Message) -> Update {
    event(
        seq,
        serde_json::from_value(serde_json::json!({"type": "message", "message": m}))
            .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn logged_in() -> Model {
    let mut m = Model::default();
    m.apply(Update::Link(Link::Attached));
    m.apply(Update::Status(Status {
        state: ConnectionState::LoggedIn,
        username: Some("alice".into()),
        server: "127.0.0.1:1".into(),
        server_fingerprint: None,
        version: "0".into(),
        error: None,
        key_changes: Vec::new(),
        resume: true,
    }));
    m
}

#[test]
fn the_phase_follows_the_link_and_the_account() {
    let mut m = Model::default();
    assert_eq!(m.phase(), Phase::Detached);
    m.apply(Update::Link(Link::Attached));
    assert_eq!(m.phase(), Phase::Detached, "until chatd's state is known");
    let mut m = logged_in();
    assert_eq!(m.phase(), Phase::SignedIn);
    // The server is unreachable: the account's history is still here.
    m.apply(event(
        1,
        EventBody::Connection {
            state: ConnectionState::Offline,
        },
    ));
    assert_eq!(m.phase(), Phase::SignedIn);
    m.apply(event(
        2,
        EventBody::Connection {
            state: ConnectionState::Connected,
        },
    ));
    assert_eq!(m.phase(), Phase::SignedOut);
    m.apply(Update::Link(Link::NotRunning {
        socket: None,
        message: "x".into(),
    }));
    assert_eq!(m.phase(), Phase::Detached);
}

#[test]
fn messages_merge_without_duplicates_in_time_order() {
    let mut m = logged_in();
    m.apply(message_event(
        1,
        msg("b", Direction::In, 20, MessageStatus::Delivered),
    ));
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: None,
        complete: true,
        notices: Vec::new(),
        messages: vec![
            msg("a", Direction::Out, 10, MessageStatus::Read),
            msg("b", Direction::In, 20, MessageStatus::Delivered),
        ],
    });
    // A replay after a reattach brings "b" again.
    m.apply(message_event(
        1,
        msg("b", Direction::In, 20, MessageStatus::Delivered),
    ));
    let t = &m.threads["bob"];
    let ids: Vec<&str> = t.messages.iter().map(|x| x.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(t.unread, 1, "counted once");
    assert!(t.loaded);
}

#[test]
fn statuses_only_move_forward() {
    let mut m = logged_in();
    m.apply(message_event(
        1,
        msg("a", Direction::Out, 10, MessageStatus::Sending),
    ));
    m.apply(event(
        2,
        EventBody::Receipt {
            id: "a".into(),
            status: MessageStatus::Read,
            receipts: None,
            user: None,
        },
    ));
    m.apply(event(
        3,
        EventBody::Receipt {
            id: "a".into(),
            status: MessageStatus::Delivered,
            receipts: None,
            user: None,
        },
    ));
    // An old snapshot must not undo it either.
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: None,
        complete: true,
        notices: Vec::new(),
        messages: vec![msg("a", Direction::Out, 10, MessageStatus::Sent)],
    });
    assert_eq!(m.threads["bob"].messages[0].status, MessageStatus::Read);
}

#[test]
fn a_read_message_never_turns_failed() {
    // The rule chatd applies too: only a message still sending can fail.
    let mut m = logged_in();
    m.apply(message_event(
        1,
        msg("a", Direction::Out, 10, MessageStatus::Read),
    ));
    m.apply(event(
        2,
        EventBody::Receipt {
            id: "a".into(),
            status: MessageStatus::Failed,
            receipts: None,
            user: None,
        },
    ));
    assert_eq!(m.threads["bob"].messages[0].status, MessageStatus::Read);
}

#[test]
fn reading_elsewhere_clears_unread() {
    let mut m = logged_in();
    m.apply(message_event(
        1,
        msg("x", Direction::In, 10, MessageStatus::Delivered),
    ));
    m.apply(message_event(
        2,
        msg("y", Direction::In, 11, MessageStatus::Delivered),
    ));
    assert_eq!(m.threads["bob"].unread, 2);
    // Another frontend marked the conversation read.
    m.apply(event(
        3,
        EventBody::Receipt {
            id: "x".into(),
            status: MessageStatus::Read,
            receipts: None,
            user: None,
        },
    ));
    m.apply(event(
        4,
        EventBody::Receipt {
            id: "y".into(),
            status: MessageStatus::Read,
            receipts: None,
            user: None,
        },
    ));
    assert_eq!(m.threads["bob"].unread, 0);
    // A read receipt for a message we never loaded: reload the counts.
    let follow = m.apply(event(
        5,
        EventBody::Receipt {
            id: "old".into(),
            status: MessageStatus::Read,
            receipts: None,
            user: None,
        },
    ));
    assert_eq!(follow, vec![Command::Conversations, Command::Groups]);
}

#[test]
fn conversations_snapshot_sets_counts_and_presence() {
    let mut m = logged_in();
    m.apply(Update::Conversations(vec![Conversation {
        peer: "bob".into(),
        last: Some(msg("z", Direction::In, 5, MessageStatus::Delivered)),
        unread: 3,
        online: true,
        trust: None,
    }]));
    assert_eq!(m.threads["bob"].unread, 3);
    assert!(m.is_online("bob"));
    m.apply(event(
        1,
        EventBody::Presence {
            user: "bob".into(),
            online: false,
        },
    ));
    assert!(!m.is_online("bob"));
    m.apply(Update::Online(vec![
        User {
            username: "alice".into(),
            online: true,
        },
        User {
            username: "carol".into(),
            online: true,
        },
    ]));
    assert!(
        m.is_online("carol") && !m.is_online("alice"),
        "not ourselves"
    );
}

#[test]
fn a_changed_key_asks_once_and_trust_clears_it() {
    let mut m = logged_in();
    let changed = EventBody::KeyChanged {
        user: "bob".into(),
        fingerprint: "ab".repeat(32),
    };
    m.apply(event(1, changed.clone()));
    // The same news again (a replay, the fingerprint reload) asks once.
    m.apply(Update::Fingerprint {
        own: false,
        fingerprint: Fingerprint {
            user: "bob".into(),
            fingerprint: "ab".repeat(32),
            state: TrustState::Changed,
            safety_number: None,
        },
    });
    assert_eq!(m.key_alerts, ["bob"]);
    assert!(m.changed_keys.contains("bob"));
    // A refused send says so too, without a second alert.
    m.apply(Update::Sent {
        chat: Chat::peer("bob"),
        text: "hi".into(),
        result: Err(Failure {
            code: Some(chatd_api::ErrorCode::KeyChanged),
            message: "key changed".into(),
        }),
    });
    assert_eq!(m.key_alerts.len(), 1);
    assert_eq!(m.threads["bob"].draft_back.as_deref(), Some("hi"));
    m.apply(Update::Trust {
        user: "bob".into(),
        result: Ok(TrustState::Unverified),
    });
    assert!(m.key_alerts.is_empty() && m.changed_keys.is_empty());
}

#[test]
fn another_account_starts_clean() {
    let mut m = logged_in();
    m.apply(message_event(
        1,
        msg("a", Direction::In, 1, MessageStatus::Delivered),
    ));
    m.apply(Update::Status(Status {
        state: ConnectionState::LoggedIn,
        username: Some("zed".into()),
        server: "s".into(),
        server_fingerprint: None,
        version: "0".into(),
        error: None,
        key_changes: Vec::new(),
        resume: true,
    }));
    assert!(m.threads.is_empty());
}

#[test]
fn older_pages_extend_the_history_until_the_first_message() {
    let mut m = logged_in();
    let page = |from: i64| -> Vec<Message> {
        (from..from + 3)
            .map(|i| msg(&format!("m{i}"), Direction::In, i, MessageStatus::Read))
            .collect()
    };
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: None,
        messages: page(10),
        complete: false,
        notices: Vec::new(),
    });
    assert!(m.threads["bob"].has_older);
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: Some(10),
        messages: page(7),
        complete: false,
        notices: Vec::new(),
    });
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: Some(7),
        messages: page(5)[..2].to_vec(),
        complete: true,
        notices: Vec::new(),
    });
    let t = &m.threads["bob"];
    assert!(!t.has_older);
    let ts: Vec<i64> = t.messages.iter().map(|x| x.ts).collect();
    assert_eq!(ts, [5, 6, 7, 8, 9, 10, 11, 12]);
}

fn status(state: ConnectionState, resume: bool) -> Update {
    Update::Status(Status {
        state,
        username: Some("alice".into()),
        server: "127.0.0.1:1".into(),
        server_fingerprint: None,
        version: "0".into(),
        error: None,
        key_changes: Vec::new(),
        resume,
    })
}

#[test]
fn a_logged_out_account_whose_server_drops_still_asks_for_a_password() {
    let mut m = logged_in();
    // `chat logout` elsewhere: chatd keeps the name but no session.
    m.apply(status(ConnectionState::Connected, false));
    assert_eq!(m.phase(), Phase::SignedOut);
    m.apply(event(
        1,
        EventBody::Connection {
            state: ConnectionState::Offline,
        },
    ));
    assert_eq!(m.phase(), Phase::SignedOut, "no session to resume");
    // With a session, an outage keeps the chat (sending queues).
    m.apply(status(ConnectionState::Offline, true));
    assert_eq!(m.phase(), Phase::SignedIn);
}

#[test]
fn presence_is_unknown_unless_chatd_is_logged_in() {
    let mut m = logged_in();
    m.apply(event(
        1,
        EventBody::Presence {
            user: "bob".into(),
            online: true,
        },
    ));
    assert!(m.presence_known() && m.is_online("bob"));
    m.apply(event(
        2,
        EventBody::Connection {
            state: ConnectionState::Offline,
        },
    ));
    assert!(!m.presence_known());
    assert!(!m.is_online("bob"), "nobody is shown online while offline");
    // Back: nobody is online until chatd says so again.
    m.apply(event(
        3,
        EventBody::Connection {
            state: ConnectionState::LoggedIn,
        },
    ));
    assert!(m.presence_known() && !m.is_online("bob"));
    // Losing chatd itself: unknown too.
    m.apply(event(
        4,
        EventBody::Presence {
            user: "bob".into(),
            online: true,
        },
    ));
    m.apply(Update::Link(Link::NotRunning {
        socket: None,
        message: "gone".into(),
    }));
    assert!(!m.presence_known() && !m.is_online("bob"));
}

#[test]
fn a_trust_event_from_elsewhere_settles_a_changed_key_with_a_line_in_the_timeline() {
    let mut m = logged_in();
    m.apply(message_event(
        1,
        msg("a", Direction::In, 10, MessageStatus::Read),
    ));
    let trust = |seq, state, ts| {
        event(
            seq,
            EventBody::Trust {
                user: "bob".into(),
                state,
                fingerprint: "cd".repeat(32),
                ts,
            },
        )
    };
    m.apply(trust(2, TrustState::Changed, 20));
    assert_eq!(m.key_alerts, ["bob"]);
    assert_eq!(m.fingerprints["bob"].state, TrustState::Changed);
    // `chat trust bob` in a terminal: the banner and the question go.
    m.apply(trust(3, TrustState::Unverified, 30));
    assert!(m.key_alerts.is_empty() && m.changed_keys.is_empty());
    assert_eq!(m.fingerprints["bob"].state, TrustState::Unverified);
    m.apply(trust(4, TrustState::Verified, 40));
    // The same notices from `history` are not shown twice.
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: None,
        complete: true,
        notices: vec![Notice {
            ts: 20,
            user: "bob".into(),
            kind: NoticeKind::KeyChanged,
            fingerprint: "cd".repeat(32),
        }],
        messages: vec![msg("a", Direction::In, 10, MessageStatus::Read)],
    });
    let kinds: Vec<NoticeKind> = m.threads["bob"].notices.iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            NoticeKind::KeyChanged,
            NoticeKind::KeyAccepted,
            NoticeKind::Verified
        ]
    );
    // A first pin is no news, and a notice alone opens no conversation.
    let mut m = logged_in();
    m.apply(event(
        1,
        EventBody::Trust {
            user: "carol".into(),
            state: TrustState::Unverified,
            fingerprint: "ef".repeat(32),
            ts: 5,
        },
    ));
    assert!(m.threads.is_empty());
}

#[test]
fn pending_key_changes_in_the_status_and_the_list_are_put_to_the_person() {
    let mut m = logged_in();
    m.apply(Update::Status(Status {
        state: ConnectionState::LoggedIn,
        username: Some("alice".into()),
        server: "s".into(),
        server_fingerprint: None,
        version: "0".into(),
        error: None,
        key_changes: vec!["bob".into()],
        resume: true,
    }));
    assert_eq!(m.key_alerts, ["bob"]);
    m.apply(Update::Conversations(vec![Conversation {
        peer: "bob".into(),
        last: None,
        unread: 0,
        online: false,
        trust: Some(TrustState::Verified),
    }]));
    // The list may predate the change: a snapshot never settles a warning
    // (a real race: the list answered before carol's new key, applied after
    // its event, hid the question).
    assert_eq!(m.key_alerts, ["bob"], "a stale list does not hide it");
    // Settled elsewhere: chatd's trust event says so.
    m.apply(event(
        9,
        EventBody::Trust {
            user: "bob".into(),
            state: TrustState::Verified,
            fingerprint: "cd".repeat(32),
            ts: 30,
        },
    ));
    assert!(m.key_alerts.is_empty(), "settled elsewhere meanwhile");
    // A fingerprint answer computed before that event, arriving after it,
    // does not raise the settled key's question again.
    m.apply(Update::Fingerprint {
        own: false,
        fingerprint: Fingerprint {
            user: "bob".into(),
            fingerprint: "cd".repeat(32),
            state: TrustState::Changed,
            safety_number: None,
        },
    });
    assert!(
        m.key_alerts.is_empty() && m.changed_keys.is_empty(),
        "a stale answer does not bring the question back"
    );
}

#[test]
fn only_messages_up_to_the_last_one_shown_are_marked_read() {
    let mut m = logged_in();
    m.apply(Update::History {
        chat: Chat::peer("bob"),
        before: None,
        complete: true,
        notices: Vec::new(),
        messages: vec![
            msg("a", Direction::In, 10, MessageStatus::Delivered),
            msg("b", Direction::Out, 11, MessageStatus::Read),
            msg("c", Direction::In, 12, MessageStatus::Delivered),
        ],
    });
    let t = m.thread_mut("bob");
    assert_eq!(t.unread, 2);
    assert_eq!(t.unread_through("b"), 1);
    t.mark_read_through("b");
    assert_eq!(t.unread, 1);
    assert_eq!(t.messages[2].status, MessageStatus::Delivered);
    assert_eq!(t.unread_through("b"), 0, "nothing more to mark");
    // A `conversations` answer computed before that `mark_read` brings no
    // badge back: every message is here, and statuses only move forward.
    m.apply(Update::Conversations(vec![Conversation {
        peer: "bob".into(),
        last: Some(msg("c", Direction::In, 12, MessageStatus::Delivered)),
        unread: 2,
        online: false,
        trust: None,
    }]));
    assert_eq!(m.threads["bob"].unread, 1);
}

#[test]
fn an_unknown_peer_says_so_instead_of_loading_forever() {
    let mut m = logged_in();
    m.apply(Update::HistoryFailed {
        chat: Chat::peer("ghost"),
        failure: Failure {
            code: Some(chatd_api::ErrorCode::NoSuchUser),
            message: "no user named ghost".into(),
        },
    });
    assert_eq!(
        m.threads["ghost"].load_error.as_deref(),
        Some("no user named ghost")
    );
}

#[test]
fn a_security_refusal_is_told_in_words() {
    let mut m = logged_in();
    m.apply(event(
        1,
        EventBody::Security {
            user: "eve".into(),
            reason: chatd_api::domain::SecurityReason::BadTag,
            group: None,
        },
    ));
    let notice = m.notices.back().cloned().unwrap_or_default();
    assert!(notice.contains("altered"), "{notice}");
    assert!(!notice.contains("bad_tag"), "{notice}");
}

fn member(user: &str, admin: bool, trust: Option<TrustState>) -> chatd_api::GroupMember {
    chatd_api::GroupMember {
        user: user.into(),
        admin,
        online: false,
        trust,
    }
}

fn team(members: &[&str], is_member: bool) -> Group {
    Group {
        id: "g-1".into(),
        name: "team".into(),
        version: 1,
        members: members
            .iter()
            .map(|u| member(u, *u == "alice", None))
            .collect(),
        is_member,
        last: None,
        unread: 0,
    }
}

fn group_msg(id: &str, from: &str, ts: i64, status: MessageStatus) -> Message {
    let out = from == "alice";
    Message {
        id: id.into(),
        from: from.into(),
        to: "g-1".into(),
        text: format!("text {id}"),
        ts,
        direction: if out { Direction::Out } else { Direction::In },
        status,
        group: Some(chatd_api::GroupRef {
            id: "g-1".into(),
            name: "team".into(),
        }),
        receipts: out.then(|| chatd_api::GroupReceipts {
            recipients: 2,
            ..Default::default()
        }),
        file: None,
    }
}

fn group_event(seq: u64, group: Group, by: &str, change: chatd_api::GroupChange) -> Update {
    event(
        seq,
        EventBody::Group {
            group: Box::new(group),
            by: by.into(),
            change,
        },
    )
}

fn team_chat() -> Chat {
    Chat::group("g-1")
}

#[test]
fn groups_are_listed_apart_from_people_with_their_unread_counts() {
    let mut m = logged_in();
    let mut g = team(&["alice", "bob", "carol"], true);
    g.unread = 2;
    g.last = Some(group_msg("x", "bob", 10, MessageStatus::Delivered));
    m.apply(Update::Groups(vec![g]));
    assert_eq!(m.groups["g-1"].name, "team");
    assert_eq!(m.group_threads["g-1"].unread, 2);
    assert!(m.threads.is_empty(), "bob's group message is not a 1:1 one");
    // A new group message counts; a replay does not.
    let next = group_msg("y", "carol", 11, MessageStatus::Delivered);
    m.apply(message_event(1, next.clone()));
    m.apply(message_event(1, next));
    assert_eq!(m.group_threads["g-1"].unread, 3);
    assert_eq!(m.thread(&team_chat()).map(|t| t.messages.len()), Some(2));
    // Its history loaded: the snapshot's count gives way to the messages.
    m.apply(Update::History {
        chat: team_chat(),
        before: None,
        complete: true,
        notices: Vec::new(),
        messages: vec![
            group_msg("x", "bob", 10, MessageStatus::Read),
            group_msg("y", "carol", 11, MessageStatus::Delivered),
        ],
    });
    let mut g = team(&["alice", "bob", "carol"], true);
    g.unread = 2;
    m.apply(Update::Groups(vec![g]));
    assert_eq!(m.group_threads["g-1"].unread, 1);
    // Marked read up to what was shown.
    let t = m.chat_thread_mut(&team_chat());
    assert_eq!(t.unread_through("y"), 1);
    t.mark_read_through("y");
    assert_eq!(t.unread, 0);
}

#[test]
fn a_group_change_replaces_the_group_and_leaves_a_line_after_the_newest_message() {
    let mut m = logged_in();
    m.apply(Update::Groups(vec![team(&["alice", "bob"], true)]));
    m.apply(message_event(
        1,
        group_msg("x", "bob", 10, MessageStatus::Delivered),
    ));
    let added = chatd_api::GroupChange {
        added: vec!["carol".into()],
        ..Default::default()
    };
    m.apply(group_event(
        2,
        team(&["alice", "bob", "carol"], true),
        "alice",
        added,
    ));
    let made_admin = chatd_api::GroupChange {
        admins_added: vec!["bob".into()],
        ..Default::default()
    };
    m.apply(group_event(
        3,
        team(&["alice", "bob", "carol"], true),
        "alice",
        made_admin,
    ));
    assert_eq!(m.groups["g-1"].members.len(), 3);
    let lines: Vec<(i64, &str)> = m.group_threads["g-1"]
        .changes
        .iter()
        .map(|c| (c.ts, c.text.as_str()))
        .collect();
    assert_eq!(lines, [(10, "You added carol"), (10, "You made bob admin")]);
    // Removed by bob: the group stays, read-only, and says so.
    let removed = chatd_api::GroupChange {
        removed: vec!["alice".into()],
        ..Default::default()
    };
    m.apply(group_event(
        4,
        team(&["bob", "carol"], false),
        "bob",
        removed,
    ));
    assert!(!m.groups["g-1"].is_member);
    assert!(!m.is_group_admin("g-1"));
    assert_eq!(
        m.group_threads["g-1"]
            .changes
            .last()
            .map(|c| c.text.as_str()),
        Some("bob removed you")
    );
}

#[test]
fn only_admins_are_admins_and_a_members_changed_key_is_put_to_the_person() {
    let mut m = logged_in();
    let mut g = team(&["alice", "bob"], true);
    g.members[1].trust = Some(TrustState::Changed);
    m.apply(Update::Groups(vec![g]));
    assert!(m.is_group_admin("g-1"));
    assert_eq!(m.key_alerts, ["bob"]);
    let mut g = team(&["alice", "bob"], true);
    g.members[0].admin = false;
    g.members[1].trust = Some(TrustState::Verified);
    m.apply(Update::Groups(vec![g]));
    assert!(!m.is_group_admin("g-1"));
    assert_eq!(m.key_alerts, ["bob"], "a snapshot never settles a warning");
}

#[test]
fn group_receipts_only_grow_and_the_status_is_the_aggregate() {
    let mut m = logged_in();
    m.apply(message_event(
        1,
        group_msg("o", "alice", 10, MessageStatus::Sent),
    ));
    let receipts = |delivered: &[&str], read: &[&str]| chatd_api::GroupReceipts {
        recipients: 2,
        delivered: delivered.iter().map(|s| s.to_string()).collect(),
        read: read.iter().map(|s| s.to_string()).collect(),
    };
    let receipt = |seq, status, user: &str, r| {
        event(
            seq,
            EventBody::Receipt {
                id: "o".into(),
                status,
                user: Some(user.into()),
                receipts: Some(r),
            },
        )
    };
    m.apply(receipt(
        2,
        MessageStatus::Sent,
        "bob",
        receipts(&["bob"], &["bob"]),
    ));
    m.apply(receipt(
        3,
        MessageStatus::Delivered,
        "carol",
        receipts(&["bob", "carol"], &["bob"]),
    ));
    // A report from before, applied late, takes nothing away.
    m.apply(receipt(
        2,
        MessageStatus::Sent,
        "bob",
        receipts(&["bob"], &[]),
    ));
    let o = &m.group_threads["g-1"].messages[0];
    assert_eq!(o.status, MessageStatus::Delivered);
    assert_eq!(o.receipts, Some(receipts(&["bob", "carol"], &["bob"])));
    // The history's older copy of it neither.
    m.apply(Update::History {
        chat: team_chat(),
        before: None,
        complete: true,
        notices: Vec::new(),
        messages: vec![group_msg("o", "alice", 10, MessageStatus::Sent)],
    });
    let o = &m.group_threads["g-1"].messages[0];
    assert_eq!(o.status, MessageStatus::Delivered);
    assert_eq!(o.receipts, Some(receipts(&["bob", "carol"], &["bob"])));
}

#[test]
fn typing_shows_for_six_seconds_or_until_the_typists_message() {
    let mut m = logged_in();
    let t = std::time::Instant::now();
    let typing = |seq, user: &str, group: Option<&str>| {
        event(
            seq,
            EventBody::Typing {
                user: user.into(),
                group: group.map(str::to_string),
            },
        )
    };
    m.apply_at(typing(1, "bob", None), t);
    m.apply_at(typing(1, "bob", Some("g-1")), t);
    m.apply_at(typing(1, "carol", Some("g-1")), t);
    assert_eq!(m.typing.in_chat(&Chat::peer("bob"), t), ["bob"]);
    assert_eq!(m.typing.in_chat(&team_chat(), t), ["bob", "carol"]);
    // bob's group message ends his indicator there only.
    m.apply_at(
        message_event(2, group_msg("x", "bob", 10, MessageStatus::Delivered)),
        t,
    );
    assert_eq!(m.typing.in_chat(&team_chat(), t), ["carol"]);
    assert_eq!(m.typing.in_chat(&Chat::peer("bob"), t), ["bob"]);
    // His 1:1 message ends the other.
    m.apply_at(
        message_event(3, msg("y", Direction::In, 11, MessageStatus::Delivered)),
        t,
    );
    assert!(m.typing.in_chat(&Chat::peer("bob"), t).is_empty());
    // carol's expires.
    assert!(
        m.typing
            .in_chat(&team_chat(), t + std::time::Duration::from_secs(6))
            .is_empty()
    );
    // Losing chatd forgets everyone.
    m.apply_at(typing(4, "dave", None), t);
    m.apply_at(
        Update::Link(Link::NotRunning {
            socket: None,
            message: "gone".into(),
        }),
        t,
    );
    assert!(m.typing.in_chat(&Chat::peer("dave"), t).is_empty());
}

#[test]
fn a_group_action_says_what_chatd_refused_and_a_created_group_opens() {
    let mut m = logged_in();
    m.group_action.busy = true;
    m.apply(Update::GroupDone {
        created: false,
        result: Err(Failure {
            code: Some(ErrorCode::InvalidInput),
            message: "make another member admin first".into(),
        }),
    });
    assert!(!m.group_action.busy);
    assert_eq!(
        m.group_action.error.as_deref(),
        Some("make another member admin first")
    );
    m.apply(Update::GroupDone {
        created: true,
        result: Ok(team(&["alice", "bob"], true)),
    });
    assert_eq!(m.group_action.error, None);
    assert_eq!(m.created.as_deref(), Some("g-1"));
    assert!(m.groups.contains_key("g-1"));
    // Not for an add or a remove.
    m.created = None;
    m.apply(Update::GroupDone {
        created: false,
        result: Ok(team(&["alice"], true)),
    });
    assert_eq!(m.created, None);
    // A failed group send comes back into its composer.
    m.apply(Update::Sent {
        chat: team_chat(),
        text: "hi all".into(),
        result: Err(Failure {
            code: Some(ErrorCode::NotGroupMember),
            message: "you are not a member of team".into(),
        }),
    });
    let t = &m.group_threads["g-1"];
    assert_eq!(t.draft_back.as_deref(), Some("hi all"));
    assert_eq!(
        t.send_error.as_deref(),
        Some("you are not a member of team")
    );
}

#[test]
fn another_account_drops_the_groups_too() {
    let mut m = logged_in();
    m.apply(Update::Groups(vec![team(&["alice", "bob"], true)]));
    m.apply(Update::Status(Status {
        state: ConnectionState::LoggedIn,
        username: Some("zed".into()),
        server: "s".into(),
        server_fingerprint: None,
        version: "0".into(),
        error: None,
        key_changes: Vec::new(),
        resume: true,
    }));
    assert!(m.groups.is_empty() && m.group_threads.is_empty());
}

#[test]
fn a_refused_group_change_names_the_group() {
    let mut m = logged_in();
    m.apply(Update::Groups(vec![team(&["alice", "bob"], true)]));
    m.apply(event(
        1,
        EventBody::Security {
            user: "mallory".into(),
            reason: chatd_api::domain::SecurityReason::GroupNotAdmin,
            group: Some("g-1".into()),
        },
    ));
    let notice = m.notices.back().cloned().unwrap_or_default();
    assert!(
        notice.contains("team") && notice.contains("mallory"),
        "{notice}"
    );
}

fn file_msg(id: &str, dir: Direction, path: Option<&str>) -> Message {
    let mut m = msg(id, dir, 10, MessageStatus::Delivered);
    m.text = String::new();
    m.file = Some(chatd_api::FileInfo {
        name: "photo.jpg".into(),
        size: 2048,
        mime: "image/jpeg".into(),
        thumbnail: None,
        path: path.map(str::to_string),
        transfer: None,
    });
    m
}

fn transfer(
    id: &str,
    message: &str,
    state: chatd_api::TransferState,
    bytes: u64,
) -> chatd_api::Transfer {
    chatd_api::Transfer {
        id: id.into(),
        message: message.into(),
        direction: chatd_api::TransferDirection::Download,
        peer: Some("bob".into()),
        group: None,
        name: "photo.jpg".into(),
        size: 2048,
        bytes,
        total: 4096,
        state,
        error: None,
        path: None,
        created: 1,
        updated: 1,
    }
}

fn transfer_event(seq: u64, t: chatd_api::Transfer, progress: bool) -> Update {
    event(
        seq,
        EventBody::Transfer {
            transfer: Box::new(t),
            progress,
        },
    )
}

#[test]
fn a_download_moves_from_remote_through_progress_to_a_local_file() {
    use chatd_api::TransferState::{Active, Done, Waiting};
    let mut m = logged_in();
    m.apply(message_event(1, file_msg("f1", Direction::In, None)));
    let status = |m: &Model| {
        let thread = m
            .thread(&Chat::peer("bob"))
            .unwrap_or_else(|| panic!("no thread"));
        let message = thread.messages[0].clone();
        format!("{:?}", m.transfers.status(&message))
    };
    assert_eq!(status(&m), "Some(Remote { ended: None })");
    // The answer to `download`, then chatd's events.
    m.apply(Update::Transfer(transfer("t1", "f1", Waiting, 0)));
    assert!(status(&m).contains("Moving"), "{}", status(&m));
    m.apply(transfer_event(2, transfer("t1", "f1", Active, 0), false));
    m.apply(transfer_event(2, transfer("t1", "f1", Active, 1024), true));
    assert_eq!(m.transfers.of("f1").map(fraction), Some(0.25));
    // Progress never goes back.
    m.apply(transfer_event(2, transfer("t1", "f1", Active, 512), true));
    assert_eq!(m.transfers.of("f1").map(|t| t.bytes), Some(1024));
    let mut done = transfer("t1", "f1", Done, 4096);
    done.path = Some("/home/alice/Downloads/photo.jpg".into());
    m.apply(transfer_event(3, done, false));
    assert_eq!(
        status(&m),
        "Some(Local { path: \"/home/alice/Downloads/photo.jpg\", ended: None })"
    );
    // A late progress report or a replayed older state moves nothing.
    m.apply(transfer_event(3, transfer("t1", "f1", Active, 2048), true));
    m.apply(transfer_event(2, transfer("t1", "f1", Active, 0), false));
    assert!(status(&m).contains("Local"), "{}", status(&m));
    // The message itself says where the file is once re-read.
    m.apply(message_event(
        4,
        file_msg("f1", Direction::In, Some("/tmp/p.jpg")),
    ));
    assert_eq!(
        status(&m),
        "Some(Local { path: \"/tmp/p.jpg\", ended: None })"
    );
}

#[test]
fn a_failed_download_says_why_and_a_retry_is_a_newer_transfer() {
    use chatd_api::TransferState::{Active, Failed};
    let mut m = logged_in();
    let file = file_msg("f1", Direction::In, None);
    m.apply(message_event(1, file.clone()));
    let mut failed = transfer("t1", "f1", Failed, 100);
    failed.error = Some("the file was tampered with".into());
    m.apply(transfer_event(2, failed, false));
    match m.transfers.status(&file) {
        Some(FileStatus::Remote { ended: Some(t) }) => {
            assert_eq!(t.error.as_deref(), Some("the file was tampered with"));
        }
        other => panic!("{other:?}"),
    }
    let mut retry = transfer("t2", "f1", Active, 0);
    retry.created = 5;
    m.apply(transfer_event(3, retry, false));
    assert!(matches!(
        m.transfers.status(&file),
        Some(FileStatus::Moving { .. })
    ));
    // The old transfer's events, late, do not take over again.
    m.apply(transfer_event(3, transfer("t1", "f1", Failed, 100), false));
    assert_eq!(m.transfers.of("f1").map(|t| t.id.as_str()), Some("t2"));
    // An upload that failed: the sender's copy is here, and why it
    // failed is told.
    let mut mine = file_msg("f2", Direction::Out, Some("/home/alice/big.iso"));
    mine.status = MessageStatus::Failed;
    m.apply(message_event(4, mine.clone()));
    let mut upload = transfer("t3", "f2", Failed, 0);
    upload.direction = chatd_api::TransferDirection::Upload;
    m.apply(transfer_event(5, upload, false));
    match m.transfers.status(&mine) {
        Some(FileStatus::Local {
            path,
            ended: Some(t),
        }) => {
            assert_eq!(path, "/home/alice/big.iso");
            assert_eq!(t.state, chatd_api::TransferState::Failed);
        }
        other => panic!("{other:?}"),
    }
    // Not a file message: no status.
    assert_eq!(
        m.transfers
            .status(&msg("x", Direction::In, 1, MessageStatus::Read)),
        None
    );
}

#[test]
fn a_refused_file_is_a_notice_and_its_caption_goes_back_to_the_composer() {
    let mut m = logged_in();
    m.apply(Update::FileFailed {
        chat: Chat::peer("bob"),
        name: "big.iso".into(),
        caption: Some("the image".into()),
        failure: Failure {
            code: Some(chatd_api::ErrorCode::FileTooLarge),
            message: "file too large (max 100 MiB)".into(),
        },
    });
    assert_eq!(
        m.notices.back().map(String::as_str),
        Some("big.iso was not sent: file too large (max 100 MiB)")
    );
    assert_eq!(
        m.thread(&Chat::peer("bob"))
            .and_then(|t| t.draft_back.clone()),
        Some("the image".to_string())
    );
    // The file dialog closes either way.
    m.picking = true;
    m.apply(Update::Picked {
        chat: Chat::peer("bob"),
        path: None,
    });
    assert!(!m.picking);
}

#[test]
fn names_from_peers_are_shown_defused() {
    assert_eq!(shown_name("photo.jpg"), "photo.jpg");
    assert_eq!(shown_name("evil\u{202e}gpj.exe"), "evil_gpj.exe");
    assert_eq!(shown_name("a\nb"), "a_b");
    assert_eq!(shown_name(" "), "file");
}
