//! One line per event for `chat watch` and the demo, prefixed with its seq
//! so a person can resume with `--since`. Group messages read as
//! `[team] alice: hi`; events that name a group only by id (typing,
//! security) take its name from what the watch has seen, and our own group
//! changes say "you" ([`Known`]).

use std::collections::HashMap;

use chatd_api::{ConnectionState, Direction, Event, EventBody, GroupChange};

use super::file::{message_text, transfer_sentence};
use super::fingerprint::grouped;
use super::message::{group_mark, mark};
use super::text::{hang, safe};

/// What the watch knows beyond an event: group names by id (learned from
/// group events, group messages and `groups`), so that an event naming a
/// group by id reads with its name; and who we are, so that our own group
/// changes read "you created team".
#[derive(Debug, Default)]
pub struct Known {
    names: HashMap<String, String>,
    me: Option<String>,
}

impl Known {
    /// Records (or renames) a group.
    pub fn learn(&mut self, id: &str, name: &str) {
        self.names.insert(id.to_string(), name.to_string());
    }

    /// Records who we are (chatd's logged-in user).
    pub fn me(&mut self, user: Option<String>) {
        self.me = user;
    }

    /// Learns the group an event names with its name, if any.
    pub fn learn_from(&mut self, event: &EventBody) {
        match event {
            EventBody::Group { group, .. } => self.learn(&group.id, &group.name),
            EventBody::Message { message, .. } => {
                if let Some(g) = &message.group {
                    self.learn(&g.id, &g.name);
                }
            }
            _ => {}
        }
    }

    /// Whether the name of group `id` is known.
    pub fn knows(&self, id: &str) -> bool {
        self.names.contains_key(id)
    }

    /// The name of group `id` (made safe), or the id itself.
    pub fn name(&self, id: &str) -> String {
        safe(self.names.get(id).map_or(id, String::as_str))
    }

    /// Whether `user` is us.
    fn is_me(&self, user: &str) -> bool {
        self.me.as_deref() == Some(user)
    }
}

/// A group change in a sentence: chatd's, with "you" for us ("you
/// created team; you added bob", "alice removed you") rather than our name.
fn group_change(change: &GroupChange, by: &str, group: &str, known: &Known) -> String {
    if known.is_me(by) && change.removed.len() == 1 && change.removed[0] == by {
        return format!("you left {group}");
    }
    let you = |users: &[String]| -> Vec<String> {
        users
            .iter()
            .map(|u| match known.is_me(u) {
                true => "you".to_string(),
                false => u.clone(),
            })
            .collect()
    };
    let mut said = GroupChange {
        joined: change.joined,
        added: you(&change.added),
        removed: you(&change.removed),
        admins_added: you(&change.admins_added),
        admins_removed: you(&change.admins_removed),
        renamed_from: change.renamed_from.clone(),
    };
    if !known.is_me(by) {
        return said.describe(by, group);
    }
    let created = std::mem::take(&mut said.joined);
    match (created, said == GroupChange::default()) {
        (true, true) => format!("you created {group}"),
        (true, false) => format!("you created {group}; {}", said.describe("you", group)),
        (false, _) => said.describe("you", group),
    }
}

/// The link state in words.
pub fn connection_state(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Offline => "offline",
        ConnectionState::Connecting => "connecting",
        ConnectionState::Connected => "connected, not logged in",
        ConnectionState::LoggedIn => "logged in",
    }
}

/// What an event says, without the seq; groups named by id only are
/// named from `names`.
pub fn body(event: &EventBody, known: &Known) -> String {
    let names = known;
    match event {
        EventBody::Message { message: m, .. } => {
            let text = message_text(m);
            match (&m.group, m.direction) {
                (Some(g), direction) => {
                    let who = match direction {
                        Direction::In => safe(&m.from),
                        Direction::Out => "you".to_string(),
                    };
                    format!("[{}] {who}: {}", safe(&g.name), hang(&text, 4))
                }
                (None, Direction::In) => {
                    format!("{} → you: {}", safe(&m.from), hang(&text, 4))
                }
                (None, Direction::Out) => format!("you → {}: {}", safe(&m.to), hang(&text, 4)),
            }
        }
        EventBody::Receipt {
            id,
            status,
            receipts,
            ..
        } => {
            let mark = match receipts {
                Some(r) => group_mark(*status, r),
                None => mark(*status).to_string(),
            };
            format!("message {} {mark}", short_id(id))
        }
        EventBody::Presence { user, online } => {
            let state = if *online { "online" } else { "offline" };
            format!("{} is {state}", safe(user))
        }
        EventBody::Connection { state } => format!("chatd is {}", connection_state(*state)),
        EventBody::KeyChanged { user, fingerprint } => {
            let user = safe(user);
            format!(
                "WARNING: {user}'s key changed, new fingerprint {}; nothing is sent to {user} \
                 until you compare it and run `chat trust {user}`",
                grouped(&safe(fingerprint))
            )
        }
        EventBody::Security {
            user,
            reason,
            group,
        } => {
            let place = match group {
                Some(id) => format!(" in group {}", names.name(id)),
                None => String::new(),
            };
            format!(
                "security: refused from {}{place}: {} ({})",
                safe(user),
                safe(&reason.describe()),
                safe(reason.as_str())
            )
        }
        EventBody::Trust {
            user,
            state,
            fingerprint,
            ..
        } => {
            let state = match state {
                chatd_api::TrustState::Unverified => "unverified",
                chatd_api::TrustState::Verified => "verified",
                chatd_api::TrustState::Changed => "changed (waiting for `chat trust`)",
            };
            format!(
                "{}'s key {} is {state}",
                safe(user),
                grouped(&safe(fingerprint))
            )
        }
        EventBody::Settings { settings } => {
            let on = |b: bool| if b { "on" } else { "off" };
            format!(
                "settings: read receipts {}, typing indicators {}",
                on(settings.read_receipts),
                on(settings.typing_indicators)
            )
        }
        EventBody::Group { group, by, change } => {
            format!(
                "[{}] {}",
                safe(&group.name),
                safe(&group_change(change, by, &group.name, known))
            )
        }
        EventBody::Typing { user, group } => match group {
            Some(id) => format!("[{}] {} is typing...", names.name(id), safe(user)),
            None => format!("{} is typing...", safe(user)),
        },
        EventBody::Transfer { transfer: t, .. } => transfer_sentence(t, names),
    }
}

/// `#seq body`.
pub fn line(event: &Event, names: &Known) -> String {
    format!("#{} {}", event.seq, body(&event.body, names))
}

/// The first 8 characters of a message id, enough to tell messages apart.
pub fn short_id(id: &str) -> String {
    safe(&id.chars().take(8).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::{Message, MessageStatus};

    fn ev(seq: u64, body: EventBody) -> String {
        line(&Event { seq, body }, &Known::default())
    }

    #[test]
    fn every_kind_reads_as_a_sentence() {
        let m = Message {
            id: "0f8a3c2e-1111-4222-8333-444455556666".into(),
            from: "bob".into(),
            to: "alice".into(),
            text: "hi\x1b[2J".into(),
            ts: 0,
            direction: Direction::In,
            status: MessageStatus::Delivered,
            group: None,
            receipts: None,
            file: None,
        };
        assert_eq!(
            ev(
                1,
                EventBody::Message {
                    message: m,
                    focused: false
                }
            ),
            "#1 bob → you: hi\\u{1b}[2J"
        );
        assert_eq!(
            ev(
                2,
                EventBody::Receipt {
                    id: "0f8a3c2e-1111".into(),
                    status: MessageStatus::Read,
                    receipts: None,
                    user: None,
                }
            ),
            "#2 message 0f8a3c2e ✓✓ read"
        );
        assert_eq!(
            ev(
                3,
                EventBody::Presence {
                    user: "carol".into(),
                    online: false
                }
            ),
            "#3 carol is offline"
        );
        assert_eq!(
            ev(
                4,
                EventBody::Connection {
                    state: ConnectionState::LoggedIn
                }
            ),
            "#4 chatd is logged in"
        );
        let changed = ev(
            5,
            EventBody::KeyChanged {
                user: "bob".into(),
                fingerprint: "aaaabbbb".into(),
            },
        );
        assert!(changed.contains("aaaa bbbb") && changed.contains("chat trust bob"));
        assert_eq!(
            ev(
                6,
                EventBody::Security {
                    user: "eve".into(),
                    reason: "bad_signature".into(),
                    group: None,
                }
            ),
            format!(
                "#6 security: refused from eve: {} (bad_signature)",
                chatd_api::SecurityReason::BadSignature.describe()
            )
        );
    }

    #[test]
    fn group_events_name_the_group() {
        use chatd_api::{Group, GroupChange, GroupReceipts, GroupRef};
        let id = "6b1f0c3e-0000-4000-8000-000000000001";
        let m = Message {
            id: "0f8a3c2e-1111".into(),
            from: "bob".into(),
            to: id.into(),
            text: "hi".into(),
            ts: 0,
            direction: Direction::In,
            status: MessageStatus::Delivered,
            group: Some(GroupRef {
                id: id.into(),
                name: "team".into(),
            }),
            receipts: None,
            file: None,
        };
        let mut names = Known::default();
        let typing = EventBody::Typing {
            user: "carol".into(),
            group: Some(id.into()),
        };
        assert_eq!(body(&typing, &names), format!("[{id}] carol is typing..."));
        let message = EventBody::Message {
            message: m,
            focused: false,
        };
        names.learn_from(&message);
        assert_eq!(body(&message, &names), "[team] bob: hi");
        assert_eq!(body(&typing, &names), "[team] carol is typing...");
        let receipt = EventBody::Receipt {
            id: "0f8a3c2e-1111".into(),
            status: MessageStatus::Delivered,
            user: Some("bob".into()),
            receipts: Some(GroupReceipts {
                recipients: 3,
                delivered: vec!["bob".into(), "carol".into()],
                read: vec!["bob".into()],
            }),
        };
        assert_eq!(
            body(&receipt, &names),
            "message 0f8a3c2e ✓ delivered to 2 of 3 · read by bob"
        );
        let change = EventBody::Group {
            group: Box::new(Group {
                id: id.into(),
                name: "team".into(),
                version: 2,
                members: vec![],
                is_member: true,
                last: None,
                unread: 0,
            }),
            by: "alice".into(),
            change: GroupChange {
                added: vec!["dave".into()],
                ..Default::default()
            },
        };
        assert_eq!(body(&change, &names), "[team] alice added dave");
        // Our own changes say "you".
        names.me(Some("alice".into()));
        assert_eq!(body(&change, &names), "[team] you added dave");
        let EventBody::Group { group, .. } = &change else {
            unreachable!()
        };
        let ours = |c: GroupChange| EventBody::Group {
            group: group.clone(),
            by: "alice".into(),
            change: c,
        };
        let created = ours(GroupChange {
            joined: true,
            added: vec!["bob".into()],
            ..Default::default()
        });
        assert_eq!(
            body(&created, &names),
            "[team] you created team; you added bob"
        );
        let left = ours(GroupChange {
            removed: vec!["alice".into()],
            ..Default::default()
        });
        assert_eq!(body(&left, &names), "[team] you left team");
        let removed = EventBody::Group {
            group: group.clone(),
            by: "carol".into(),
            change: GroupChange {
                removed: vec!["alice".into()],
                ..Default::default()
            },
        };
        assert_eq!(body(&removed, &names), "[team] carol removed you");
    }
}
