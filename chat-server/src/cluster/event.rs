//! What travels on the bus, and under which subject. Only wake-ups: every
//! event either points at state already committed to PostgreSQL (mail,
//! presence rows, keys, tokens revoked) or is an ephemeral envelope that
//! is never stored anyway, so a lost event costs latency, never data.
//!
//! Subjects carry the user name hex-encoded (after a `u`): `.` separates tokens in NATS
//! and `*`, `>` and white space are special, and user names may hold some
//! of them; hex has none and keeps names of any alphabet apart.

use serde::{Deserialize, Serialize};

/// The subject prefix every node publishes under and subscribes to.
pub(crate) const PREFIX: &str = "securechat";

/// One wake-up, tagged with the node that sent it (a node ignores its
/// own: it acted locally before publishing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Event {
    /// Mail for `user` is committed: wake their delivery loops.
    Mail { node: String, user: String },
    /// `user`'s first session on `node` came up or its last went down; the
    /// sessions table is already written, so receivers re-read it.
    Presence { node: String, user: String },
    /// `user` registered the key with this fingerprint.
    KeyChanged {
        node: String,
        user: String,
        fingerprint: String,
    },
    /// End every session of `user` (the session that asked is on `node`,
    /// which has already ended its other local sessions).
    EndSessions {
        node: String,
        user: String,
        reason: String,
    },
    /// An ephemeral frame (typing and the like) for `user`'s sessions, as
    /// the wire encodes it.
    PassOn {
        node: String,
        user: String,
        frame: String,
    },
}

impl Event {
    /// The node that published it.
    pub(crate) fn node(&self) -> &str {
        match self {
            Event::Mail { node, .. }
            | Event::Presence { node, .. }
            | Event::KeyChanged { node, .. }
            | Event::EndSessions { node, .. }
            | Event::PassOn { node, .. } => node,
        }
    }

    /// `securechat.<kind>.<hex of the user name>`.
    pub(crate) fn subject(&self) -> String {
        let (kind, user) = match self {
            Event::Mail { user, .. } => ("mail", user),
            Event::Presence { user, .. } => ("presence", user),
            Event::KeyChanged { user, .. } => ("key", user),
            Event::EndSessions { user, .. } => ("end", user),
            Event::PassOn { user, .. } => ("pass", user),
        };
        format!("{PREFIX}.{kind}.{}", user_token(user))
    }
}

/// A user name as one NATS subject token: `u` and the lowercase hex of
/// its UTF-8 (the `u` keeps the token non-empty whatever the name).
pub(crate) fn user_token(user: &str) -> String {
    format!("u{}", hex::encode(user.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_hold_no_special_characters_whatever_the_name() {
        for name in ["a.b", "*", ">", "x y", "ünï", "a\tb", ""] {
            let e = Event::Mail {
                node: "n".into(),
                user: name.into(),
            };
            let subject = e.subject();
            let token = subject.strip_prefix("securechat.mail.u").unwrap();
            assert!(
                token.bytes().all(|b| b.is_ascii_hexdigit()),
                "{name:?} gave {subject}"
            );
            assert_eq!(hex::decode(token).unwrap(), name.as_bytes());
        }
    }

    #[test]
    fn events_round_trip_as_json() {
        let e = Event::EndSessions {
            node: "n1".into(),
            user: "al.ice".into(),
            reason: "password changed".into(),
        };
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), e);
        assert_eq!(e.node(), "n1");
    }
}
