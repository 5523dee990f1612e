//! Translation between D-Bus values and the local API's types: arguments
//! become the very params structs the socket layer parses, a method runs as
//! a typed [`Request`](chatd_api::Request) ([`run`]), and its typed result
//! is laid out as D-Bus structs. D-Bus has no null, so an absent optional
//! argument is an empty string or 0, and an absent optional result is an
//! empty string (or an empty array for a missing message);
//! docs/dbus/README.md lists them.

use std::sync::Arc;

use std::collections::HashMap;

use chatd_api::{
    ApiError, ErrorCode, EventKind, Group, GroupMember, Message, Method, Settings, SettingsPatch,
};
use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zbus::OwnedVariant;
use zbus::Type;

use super::Error;
use crate::core::Core;
use crate::core::api::{self, Caller};

/// Runs the method `M` for `caller` and unwraps its typed result.
pub async fn run<M: Method>(
    core: &Arc<Core>,
    caller: Caller,
    params: M::Params,
) -> Result<M::Result, ApiError> {
    let reply = api::handle(core, caller, M::request(params)).await?;
    M::result(reply).map_err(|other| {
        ApiError::new(
            ErrorCode::InternalError,
            format!("`{}` was answered as `{}`", M::NAME, other.name()),
        )
    })
}

/// A message: `(id, from, to, text, ts, direction, status)`, signature
/// `(ssssxss)`. `direction` is `in` or `out`; `status` one of `sending`,
/// `sent`, `delivered`, `read`, `failed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DbusMessage {
    /// uuid.
    pub id: String,
    /// Sender.
    pub from: String,
    /// Recipient.
    pub to: String,
    /// The text.
    pub text: String,
    /// Sender's timestamp, Unix ms.
    pub ts: i64,
    /// `in` or `out`.
    pub direction: String,
    /// Delivery state.
    pub status: String,
}

impl From<Message> for DbusMessage {
    fn from(m: Message) -> Self {
        Self {
            id: m.id,
            from: m.from,
            to: m.to,
            text: m.text,
            ts: m.ts,
            direction: enum_name(&m.direction),
            status: enum_name(&m.status),
        }
    }
}

/// A conversation: `(peer, last, unread, online)`, signature
/// `(sa(ssssxss)ub)`; `last` holds the newest message, or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DbusConversation {
    /// The other side.
    pub peer: String,
    /// Zero or one message.
    pub last: Vec<DbusMessage>,
    /// Incoming messages not yet read.
    pub unread: u32,
    /// The peer is online.
    pub online: bool,
}

/// A file transfer: `(id, message, direction, peer, group, name, size,
/// bytes, total, state, error, path, created, updated)`, signature
/// `(ssssssttsssxx)`; `direction` is `upload` or `download`, `state` one
/// of `waiting`, `active`, `done`, `failed`, `cancelled`; absent texts
/// are "".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DbusTransfer {
    /// The transfer's id.
    pub id: String,
    /// The file's message.
    pub message: String,
    /// `upload` or `download`.
    pub direction: String,
    /// The other side of a 1:1 conversation, or "".
    pub peer: String,
    /// The group, or "".
    pub group: String,
    /// The file's name.
    pub name: String,
    /// The file's size.
    pub size: u64,
    /// Blob bytes moved.
    pub bytes: u64,
    /// Blob bytes in all.
    pub total: u64,
    /// Where it is.
    pub state: String,
    /// Why it failed or waits, or "".
    pub error: String,
    /// The local file, or "".
    pub path: String,
    /// Started, Unix ms.
    pub created: i64,
    /// Last change of state, Unix ms.
    pub updated: i64,
}

impl From<chatd_api::Transfer> for DbusTransfer {
    fn from(t: chatd_api::Transfer) -> Self {
        Self {
            id: t.id,
            message: t.message,
            direction: enum_name(&t.direction),
            peer: t.peer.unwrap_or_default(),
            group: t.group.unwrap_or_default(),
            name: t.name,
            size: t.size,
            bytes: t.bytes,
            total: t.total,
            state: enum_name(&t.state),
            error: t.error.unwrap_or_default(),
            path: t.path.unwrap_or_default(),
            created: t.created,
            updated: t.updated,
        }
    }
}

/// A member of a group: `(user, admin, online, trust)`, signature
/// `(sbbs)`; `trust` is `unverified`, `verified`, `changed`, or `""`
/// before a key is pinned (and for ourselves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DbusGroupMember {
    /// Account name.
    pub user: String,
    /// An admin of the group.
    pub admin: bool,
    /// Online now.
    pub online: bool,
    /// Trust state of the member's key, or "".
    pub trust: String,
}

impl From<GroupMember> for DbusGroupMember {
    fn from(m: GroupMember) -> Self {
        Self {
            user: m.user,
            admin: m.admin,
            online: m.online,
            trust: m.trust.as_ref().map(enum_name).unwrap_or_default(),
        }
    }
}

/// A group: `(id, name, version, members, is_member, last, unread)`,
/// signature `(ssta(sbbs)ba(ssssxss)u)`; `last` holds the newest message,
/// or nothing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct DbusGroup {
    /// The group id (uuid).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Version of the state held.
    pub version: u64,
    /// Members, sorted by name.
    pub members: Vec<DbusGroupMember>,
    /// We are a member (false after leaving or being removed).
    pub is_member: bool,
    /// Zero or one message.
    pub last: Vec<DbusMessage>,
    /// Incoming messages not yet read.
    pub unread: u32,
}

impl From<Group> for DbusGroup {
    fn from(g: Group) -> Self {
        Self {
            id: g.id,
            name: g.name,
            version: g.version,
            members: g.members.into_iter().map(DbusGroupMember::from).collect(),
            is_member: g.is_member,
            last: g.last.into_iter().map(DbusMessage::from).collect(),
            unread: g.unread,
        }
    }
}

/// The snake_case name a local-API enum serialises to (`logged_in`).
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Event kinds by name; none means all.
pub fn event_kinds(names: Vec<String>) -> Result<Option<Vec<EventKind>>, Error> {
    if names.is_empty() {
        return Ok(None);
    }
    names
        .iter()
        .map(|n| {
            EventKind::deserialize(n.as_str().into_deserializer()).map_err(
                |e: serde::de::value::Error| {
                    Error::InvalidParams(format!(
                        "bad events: {e}; use message, receipt, presence, connection, \
                         key_changed, security, trust, settings, group or typing"
                    ))
                },
            )
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The settings as a D-Bus dictionary (`a{sv}`), by the names of the
/// socket API, so that a new setting is a new key and not a new signature.
pub fn settings_dict(s: &Settings) -> HashMap<String, OwnedVariant> {
    HashMap::from([
        (
            "read_receipts".to_string(),
            OwnedVariant::from(s.read_receipts),
        ),
        (
            "typing_indicators".to_string(),
            OwnedVariant::from(s.typing_indicators),
        ),
    ])
}

/// A `SetSettings` dictionary as the socket API's patch: known names with
/// values of their type, anything else refused naming it.
pub fn settings_patch(dict: HashMap<String, OwnedVariant>) -> Result<SettingsPatch, Error> {
    let mut patch = SettingsPatch::default();
    for (name, value) in dict {
        let flag = || {
            bool::try_from(&value)
                .map_err(|_| Error::InvalidParams(format!("{name} must be a boolean (b)")))
        };
        match name.as_str() {
            "read_receipts" => patch.read_receipts = Some(flag()?),
            "typing_indicators" => patch.typing_indicators = Some(flag()?),
            other => {
                return Err(Error::InvalidParams(format!(
                    "no setting {other:?}; the settings are: read_receipts, typing_indicators"
                )));
            }
        }
    }
    Ok(patch)
}

/// "" means absent.
pub fn text_opt(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

/// 0 means absent.
pub fn nonzero<T: Default + PartialEq>(n: T) -> Option<T> {
    (n != T::default()).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::ConnectionState;

    #[test]
    fn signatures_are_the_documented_ones() {
        assert_eq!(DbusMessage::SIGNATURE.to_string(), "(ssssxss)");
        assert_eq!(DbusConversation::SIGNATURE.to_string(), "(sa(ssssxss)ub)");
        assert_eq!(DbusGroupMember::SIGNATURE.to_string(), "(sbbs)");
        assert_eq!(DbusGroup::SIGNATURE.to_string(), "(ssta(sbbs)ba(ssssxss)u)");
    }

    #[test]
    fn zero_and_empty_mean_absent() {
        assert_eq!(nonzero(0u32), None);
        assert_eq!(nonzero(0i64), None);
        assert_eq!(text_opt(String::new()), None);
        assert_eq!(nonzero(7u32), Some(7));
        assert_eq!(enum_name(&ConnectionState::LoggedIn), "logged_in");
    }

    #[test]
    fn event_kinds_are_read_by_name() {
        assert_eq!(event_kinds(vec![]).unwrap(), None);
        assert_eq!(
            event_kinds(vec!["key_changed".into()]).unwrap(),
            Some(vec![EventKind::KeyChanged])
        );
        let e = event_kinds(vec!["nonsense".into()]).unwrap_err();
        assert!(matches!(e, Error::InvalidParams(_)), "{e:?}");
    }

    #[test]
    fn settings_go_both_ways_and_unknown_names_are_refused() {
        let dict = settings_dict(&Settings {
            read_receipts: false,
            typing_indicators: true,
        });
        assert_eq!(
            settings_patch(dict).unwrap(),
            SettingsPatch {
                read_receipts: Some(false),
                typing_indicators: Some(true),
            }
        );
        let bad = HashMap::from([("colour".to_string(), OwnedVariant::from(true))]);
        let e = settings_patch(bad).unwrap_err();
        assert!(
            matches!(&e, Error::InvalidParams(m) if m.contains("colour")),
            "{e:?}"
        );
        let wrong_type = HashMap::from([("read_receipts".to_string(), OwnedVariant::from(1u32))]);
        assert!(settings_patch(wrong_type).is_err());
    }
}
