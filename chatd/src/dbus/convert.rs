//! Translation between D-Bus values and the local API's JSON: arguments
//! become the very params structs the socket layer parses, results are read
//! back with the result structs and laid out as D-Bus structs. D-Bus has no
//! null, so an absent optional argument is an empty string or 0, and an
//! absent optional result is an empty string (or an empty array for a
//! missing message); docs/dbus/README.md lists them.

use chatd_api::Message;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zbus::Type;

use super::Error;

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

/// The snake_case name a local-API enum serialises to (`logged_in`).
pub fn enum_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Params for `core::api::call` from one of the local API's params structs.
pub fn params<T: Serialize>(p: &T) -> Result<Map<String, Value>, Error> {
    match serde_json::to_value(p) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(Error::internal(format!("cannot encode params: {e}"))),
    }
}

/// A result of `core::api::call` read as the local API's result struct.
pub fn result<T: DeserializeOwned>(v: Value) -> Result<T, Error> {
    serde_json::from_value(v).map_err(|e| Error::internal(format!("unexpected result: {e}")))
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
    use chatd_api::{ConnectionState, HistoryParams};

    #[test]
    fn signatures_are_the_documented_ones() {
        assert_eq!(DbusMessage::SIGNATURE.to_string(), "(ssssxss)");
        assert_eq!(DbusConversation::SIGNATURE.to_string(), "(sa(ssssxss)ub)");
    }

    #[test]
    fn zero_and_empty_mean_absent() {
        let p = HistoryParams {
            peer: "bob".into(),
            limit: nonzero(0u32),
            before: nonzero(0i64),
        };
        assert_eq!(
            Value::Object(params(&p).unwrap_or_default()),
            serde_json::json!({"peer": "bob"})
        );
        assert_eq!(text_opt(String::new()), None);
        assert_eq!(nonzero(7u32), Some(7));
        assert_eq!(enum_name(&ConnectionState::LoggedIn), "logged_in");
    }
}
