//! One line per event for `chat watch` and the demo, prefixed with its seq
//! so a person can resume with `--since`.

use chatd_api::{ConnectionState, Direction, Event, EventBody};

use super::fingerprint::grouped;
use super::message::mark;
use super::text::{hang, safe};

/// The link state in words.
pub fn connection_state(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Offline => "offline",
        ConnectionState::Connecting => "connecting",
        ConnectionState::Connected => "connected, not logged in",
        ConnectionState::LoggedIn => "logged in",
    }
}

/// What an event says, without the seq.
pub fn body(event: &EventBody) -> String {
    match event {
        EventBody::Message { message: m, .. } => {
            let text = safe(&m.text);
            match m.direction {
                Direction::In => format!("{} → you: {}", safe(&m.from), hang(&text, 4)),
                Direction::Out => format!("you → {}: {}", safe(&m.to), hang(&text, 4)),
            }
        }
        EventBody::Receipt { id, status, .. } => {
            format!("message {} {}", short_id(id), mark(*status))
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
        EventBody::Security { user, reason, .. } => {
            format!(
                "security: refused from {}: {}",
                safe(user),
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
            let on = if settings.read_receipts { "on" } else { "off" };
            format!("settings: read receipts {on}")
        }
        EventBody::Group { group, by, change } => {
            format!(
                "[{}] {}",
                safe(&group.name),
                safe(&change.describe(by, &group.name))
            )
        }
        EventBody::Typing { user, .. } => format!("{} is typing...", safe(user)),
    }
}

/// `#seq body`.
pub fn line(event: &Event) -> String {
    format!("#{} {}", event.seq, body(&event.body))
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
        line(&Event { seq, body })
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
            "#6 security: refused from eve: bad_signature"
        );
    }
}
