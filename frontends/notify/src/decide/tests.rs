//! The rules of [`Decider`], one scenario each, with a hand-driven clock.

use super::*;
use chatd_api::{ConnectionState, MessageStatus};

fn message(seq: u64, from: &str, text: &str, focused: bool) -> Event {
    Event {
        seq,
        body: EventBody::Message {
            message: Message {
                id: format!("id-{seq}"),
                from: from.to_string(),
                to: "alice".to_string(),
                text: text.to_string(),
                ts: 0,
                direction: Direction::In,
                status: MessageStatus::Delivered,
                group: None,
                receipts: None,
                file: None,
            },
            focused,
        },
    }
}

fn shown(actions: &[Action]) -> Vec<(String, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Show(n) => Some((n.summary.clone(), n.body.clone())),
            Action::Close(_) => None,
        })
        .collect()
}

fn show(summary: &str, body: &str) -> Vec<(String, String)> {
    vec![(summary.to_string(), body.to_string())]
}

#[test]
fn an_incoming_message_shows_sender_and_preview() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    let a = d.on_event(&message(1, "bob", "hello\nalice", false), t);
    assert_eq!(shown(&a), show("New message from bob", "hello alice"));
    let Action::Show(note) = &a[0] else {
        panic!("not a show")
    };
    assert_eq!(note.slot, Slot::Messages("bob".into()));
    assert_eq!(note.urgency, Urgency::Normal);
    assert_eq!(d.last_seq(), Some(1));
}

#[test]
fn without_preview_only_the_sender_is_named() {
    let rules = Rules {
        preview: false,
        ..Rules::default()
    };
    let mut d = Decider::new(rules);
    let t = Instant::now();
    let a = d.on_event(&message(1, "bob", "the secret plan", false), t);
    assert_eq!(shown(&a), show("New message from bob", ""));
    let a = d.on_event(&message(2, "bob", "more secrets", false), t);
    assert_eq!(shown(&a), show("2 new messages from bob", ""));
}

#[test]
fn a_burst_from_one_sender_is_one_growing_note() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    for (i, text) in ["one", "two", "three", "four"].iter().enumerate() {
        let seq = i as u64 + 1;
        let a = d.on_event(
            &message(seq, "bob", text, false),
            t + Duration::from_secs(seq * 10),
        );
        assert_eq!(a.len(), 1);
    }
    let a = d.on_event(
        &message(5, "bob", "five", false),
        t + Duration::from_secs(50),
    );
    // Only the newest previews, oldest of them first.
    assert_eq!(
        shown(&a),
        show("5 new messages from bob", "three\nfour\nfive")
    );
    // Another sender has a note of their own.
    let a = d.on_event(
        &message(6, "carol", "hi", false),
        t + Duration::from_secs(51),
    );
    assert_eq!(shown(&a), show("New message from carol", "hi"));
}

#[test]
fn a_quiet_spell_longer_than_the_window_starts_a_new_burst() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    d.on_event(&message(1, "bob", "one", false), t);
    d.on_event(
        &message(2, "bob", "two", false),
        t + Duration::from_secs(59),
    );
    let a = d.on_event(
        &message(3, "bob", "three", false),
        t + Duration::from_secs(59 + 60),
    );
    assert_eq!(shown(&a), show("New message from bob", "three"));
}

#[test]
fn a_focused_conversation_stays_quiet_and_clears_its_note() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    d.on_event(&message(1, "bob", "one", false), t);
    let a = d.on_event(&message(2, "bob", "two", true), t);
    assert_eq!(a, vec![Action::Close(Slot::Messages("bob".into()))]);
    assert_eq!(d.on_event(&message(3, "bob", "three", true), t), vec![]);
    // Once the person looks away, counting starts afresh.
    let a = d.on_event(&message(4, "bob", "four", false), t);
    assert_eq!(shown(&a), show("New message from bob", "four"));
}

#[test]
fn reading_a_message_elsewhere_closes_its_note() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    d.on_event(&message(1, "bob", "one", false), t);
    d.on_event(&message(2, "carol", "hey", false), t);
    let read = |seq, id: &str, status| Event {
        seq,
        body: EventBody::Receipt {
            id: id.to_string(),
            status,
            receipts: None,
            user: None,
        },
    };
    // A delivery receipt (of our own message) means nothing here.
    assert_eq!(
        d.on_event(&read(3, "id-1", MessageStatus::Delivered), t),
        vec![]
    );
    assert_eq!(
        d.on_event(&read(4, "unknown", MessageStatus::Read), t),
        vec![]
    );
    assert_eq!(
        d.on_event(&read(5, "id-1", MessageStatus::Read), t),
        vec![Action::Close(Slot::Messages("bob".into()))]
    );
    let a = d.on_event(&message(6, "bob", "again", false), t);
    assert_eq!(shown(&a), show("New message from bob", "again"));
}

#[test]
fn replayed_and_outgoing_events_are_ignored() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    d.set_last_seq(10);
    assert_eq!(d.on_event(&message(9, "bob", "old", false), t), vec![]);
    assert_eq!(d.on_event(&message(10, "bob", "old", false), t), vec![]);
    assert_eq!(d.last_seq(), Some(10));
    let mut out = message(11, "alice", "mine", false);
    if let EventBody::Message { message, .. } = &mut out.body {
        message.direction = Direction::Out;
    }
    assert_eq!(d.on_event(&out, t), vec![]);
    let presence = Event {
        seq: 12,
        body: EventBody::Connection {
            state: ConnectionState::Offline,
        },
    };
    assert_eq!(d.on_event(&presence, t), vec![]);
    assert_eq!(d.last_seq(), Some(12));
    let a = d.on_event(&message(13, "bob", "new", false), t);
    assert_eq!(shown(&a), show("New message from bob", "new"));
}

#[test]
fn changed_keys_and_security_alerts_are_critical() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    let changed = Event {
        seq: 1,
        body: EventBody::KeyChanged {
            user: "bob".into(),
            fingerprint: "ab".repeat(32),
        },
    };
    let a = d.on_event(&changed, t);
    let [Action::Show(note)] = a.as_slice() else {
        panic!("expected one note, got {a:?}")
    };
    assert_eq!(note.summary, "bob's key changed");
    assert!(note.body.contains("chat trust bob"));
    assert_eq!(note.urgency, Urgency::Critical);
    assert_eq!(note.slot, Slot::KeyChanged("bob".into()));
    let alert = |seq| Event {
        seq,
        body: EventBody::Security {
            user: "eve".into(),
            reason: "bad_signature".into(),
            group: None,
        },
    };
    d.on_event(&alert(2), t);
    let a = d.on_event(&alert(3), t);
    let [Action::Show(note)] = a.as_slice() else {
        panic!("expected one note, got {a:?}")
    };
    assert_eq!(note.summary, "2 security alerts about eve");
    assert!(note.body.contains("signature"));
    assert_eq!(note.urgency, Urgency::Critical);
}

#[test]
fn bursts_are_bounded() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    for i in 0..(BURSTS_KEPT as u64 + 10) {
        d.on_event(
            &message(i + 1, &format!("user{i}"), "hi", false),
            t + Duration::from_millis(i),
        );
    }
    assert_eq!(d.bursts.len(), BURSTS_KEPT);
    // The stalest went first.
    assert!(!d.bursts.contains_key(&Slot::Messages("user0".into())));
}

fn group_message(seq: u64, from: &str, text: &str, focused: bool) -> Event {
    let mut e = message(seq, from, text, focused);
    if let EventBody::Message { message, .. } = &mut e.body {
        message.to = "g-1".into();
        message.group = Some(chatd_api::GroupRef {
            id: "g-1".into(),
            name: "team".into(),
        });
    }
    e
}

fn group_event(seq: u64, by: &str, is_member: bool, change: GroupChange) -> Event {
    let member = |user: &str| chatd_api::GroupMember {
        user: user.into(),
        admin: user == "bob",
        online: false,
        trust: None,
    };
    Event {
        seq,
        body: EventBody::Group {
            group: Box::new(Group {
                id: "g-1".into(),
                name: "team".into(),
                version: seq,
                members: vec![member("alice"), member("bob")],
                is_member,
                last: None,
                unread: 0,
            }),
            by: by.into(),
            change,
        },
    }
}

#[test]
fn a_group_message_names_the_group_and_its_burst_says_who_wrote_what() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    let a = d.on_event(&group_message(1, "bob", "hi all", false), t);
    assert_eq!(shown(&a), show("bob in team", "bob: hi all"));
    let Action::Show(note) = &a[0] else {
        panic!("not a show")
    };
    assert_eq!(note.slot, Slot::GroupMessages("g-1".into()));
    let a = d.on_event(&group_message(2, "carol", "hello", false), t);
    assert_eq!(
        shown(&a),
        show("2 new messages in team", "bob: hi all\ncarol: hello")
    );
    // bob's 1:1 messages are a note of their own.
    let a = d.on_event(&message(3, "bob", "psst", false), t);
    assert_eq!(shown(&a), show("New message from bob", "psst"));
    // Without previews, nobody's words.
    let mut quiet = Decider::new(Rules {
        preview: false,
        ..Rules::default()
    });
    let a = quiet.on_event(&group_message(1, "bob", "secret", false), t);
    assert_eq!(shown(&a), show("bob in team", ""));
}

#[test]
fn a_focused_group_stays_quiet_and_reading_it_closes_the_note() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    d.on_event(&group_message(1, "bob", "one", false), t);
    let slot = Slot::GroupMessages("g-1".into());
    assert_eq!(
        d.on_event(&group_message(2, "bob", "two", true), t),
        vec![Action::Close(slot.clone())]
    );
    assert_eq!(
        d.on_event(&group_message(3, "bob", "three", true), t),
        vec![]
    );
    d.on_event(&group_message(4, "carol", "four", false), t);
    let read = Event {
        seq: 5,
        body: EventBody::Receipt {
            id: "id-4".into(),
            status: MessageStatus::Read,
            receipts: None,
            user: None,
        },
    };
    assert_eq!(d.on_event(&read, t), vec![Action::Close(slot)]);
}

#[test]
fn being_added_to_or_removed_from_a_group_is_news_unless_we_did_it() {
    let mut d = Decider::new(Rules::default());
    d.set_me(Some("alice".into()));
    let t = Instant::now();
    let joined = GroupChange {
        joined: true,
        added: vec!["alice".into()],
        ..GroupChange::default()
    };
    let a = d.on_event(&group_event(1, "bob", true, joined.clone()), t);
    assert_eq!(
        shown(&a),
        show(
            "bob added you to team",
            "You are a member of team now: you get its messages and can write to it."
        )
    );
    let Action::Show(note) = &a[0] else {
        panic!("not a show")
    };
    assert_eq!(note.slot, Slot::Membership("g-1".into()));
    // Others coming and going, admins changing: not news.
    let others = GroupChange {
        added: vec!["carol".into()],
        removed: vec!["dave".into()],
        admins_added: vec!["carol".into()],
        ..GroupChange::default()
    };
    assert_eq!(d.on_event(&group_event(2, "bob", true, others), t), vec![]);
    let removed = GroupChange {
        removed: vec!["alice".into()],
        ..GroupChange::default()
    };
    let a = d.on_event(&group_event(3, "bob", false, removed.clone()), t);
    assert_eq!(
        shown(&a),
        show(
            "bob removed you from team",
            "You get nothing more from team; its history stays readable."
        )
    );
    // What we did ourselves (created a group, left one) we know.
    assert_eq!(
        d.on_event(&group_event(4, "alice", true, joined), t),
        vec![]
    );
    assert_eq!(
        d.on_event(&group_event(5, "alice", false, removed), t),
        vec![]
    );
}

#[test]
fn removal_is_told_even_before_our_name_is_known() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    let removed = GroupChange {
        removed: vec!["alice".into()],
        ..GroupChange::default()
    };
    let a = d.on_event(&group_event(1, "bob", false, removed), t);
    assert_eq!(shown(&a)[0].0, "bob removed you from team");
}

/// `event` made a file message named `name` (its text is the caption).
fn with_file(mut event: Event, name: &str) -> Event {
    if let EventBody::Message { message, .. } = &mut event.body {
        message.file = Some(chatd_api::FileInfo {
            name: name.into(),
            size: 2048,
            mime: "image/jpeg".into(),
            thumbnail: None,
            path: None,
            transfer: None,
        });
    }
    event
}

#[test]
fn a_received_file_says_who_sent_what_with_the_caption_as_body() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    let a = d.on_event(
        &with_file(message(1, "bob", "our cat", false), "photo.jpg"),
        t,
    );
    assert_eq!(shown(&a), show("bob sent photo.jpg", "our cat"));
    // Without a caption there is no body.
    let a = d.on_event(
        &with_file(group_message(2, "bob", "", false), "photo.jpg"),
        t,
    );
    assert_eq!(shown(&a), show("bob in team sent photo.jpg", ""));
    // In a burst, the file is a line of its own among the others.
    let a = d.on_event(&message(3, "bob", "did you see it?", false), t);
    assert_eq!(
        shown(&a),
        show(
            "2 new messages from bob",
            "sent photo.jpg: our cat\ndid you see it?"
        )
    );
    let a = d.on_event(&with_file(group_message(4, "carol", "", false), "b.pdf"), t);
    assert_eq!(
        shown(&a),
        show(
            "2 new messages in team",
            "bob: sent photo.jpg\ncarol: sent b.pdf"
        )
    );
}

#[test]
fn a_file_name_from_the_network_is_one_safe_line_and_private_without_previews() {
    let mut d = Decider::new(Rules::default());
    let t = Instant::now();
    let name = format!("evil\n\u{1b}[31mname{}.jpg", "x".repeat(200));
    let a = d.on_event(
        &with_file(message(1, "bo\nb", "cap\ttion", false), &name),
        t,
    );
    let [(summary, body)] = &shown(&a)[..] else {
        panic!("one note: {a:?}")
    };
    assert!(
        summary.starts_with("bo b sent evil [31mnamexxx"),
        "{summary}"
    );
    assert!(summary.ends_with('…'), "{summary}");
    assert!(!summary.contains(|c: char| c.is_control()), "{summary:?}");
    assert_eq!(body, "cap tion");
    // An empty name still says something.
    let a = d.on_event(&with_file(message(2, "carol", "", false), " \n"), t);
    assert_eq!(shown(&a), show("carol sent a file", ""));

    let mut quiet = Decider::new(Rules {
        preview: false,
        ..Rules::default()
    });
    let a = quiet.on_event(
        &with_file(message(1, "bob", "secret", false), "plan.pdf"),
        t,
    );
    assert_eq!(shown(&a), show("bob sent a file", ""));
    let a = quiet.on_event(
        &with_file(group_message(2, "bob", "", false), "plan.pdf"),
        t,
    );
    assert_eq!(shown(&a), show("bob in team sent a file", ""));
}
