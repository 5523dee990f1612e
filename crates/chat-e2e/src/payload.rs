//! The plaintext inside a `msg` envelope. Peers in other languages format
//! JSON their own way and version 2 adds types, so decoding accepts any
//! valid JSON and maps types it does not know to [`Payload::Unknown`]
//! (receivers ignore them) instead of failing.

use chat_proto::crypto::{self, CryptoError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// What a payload failed on.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The bytes are not a JSON object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// A field of a known type is missing or has the wrong type or value.
    #[error("payload field `{0}` is missing or invalid")]
    BadField(&'static str),
    /// Only text and receipts can be sent.
    #[error("a payload of unknown type `{0}` cannot be sent")]
    Unsendable(String),
    /// No randomness for a fresh message id.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}

/// `"delivered"` or `"read"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReceiptStatus {
    /// The recipient's daemon stored the messages.
    Delivered,
    /// A person saw them.
    Read,
}

/// A text message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// Message id chosen by the sender; receipts refer to it.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The text.
    pub text: String,
}

/// A delivery or read receipt for messages the receipt's sender received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// Id of the receipt itself.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// What happened to the messages.
    pub status: ReceiptStatus,
    /// Ids of the messages concerned.
    pub ids: Vec<Uuid>,
}

/// A decoded plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `"type":"text"`.
    Text(Text),
    /// `"type":"receipt"`.
    Receipt(Receipt),
    /// A type this version does not know (files and groups are reserved for
    /// version 2): authentic, but to be ignored.
    Unknown {
        /// The `type` field as received.
        kind: String,
    },
}

#[derive(Serialize)]
struct TextWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct ReceiptWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    status: ReceiptStatus,
    ids: &'a [Uuid],
}

/// A fresh RFC 4122 version 4 id from the system RNG; fallible instead of
/// panicking when the RNG is unavailable.
pub fn new_id() -> Result<Uuid, CryptoError> {
    Ok(uuid::Builder::from_random_bytes(crypto::random_bytes::<16>()?).into_uuid())
}

impl Payload {
    /// A text message with a fresh id.
    pub fn text(text: impl Into<String>, ts: i64) -> Result<Self, PayloadError> {
        Ok(Self::Text(Text {
            id: new_id()?,
            ts,
            text: text.into(),
        }))
    }

    /// A receipt with a fresh id.
    pub fn receipt(status: ReceiptStatus, ids: Vec<Uuid>, ts: i64) -> Result<Self, PayloadError> {
        Ok(Self::Receipt(Receipt {
            id: new_id()?,
            ts,
            status,
            ids,
        }))
    }

    /// The payload's id, when its type is known.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Self::Text(t) => Some(t.id),
            Self::Receipt(r) => Some(r.id),
            Self::Unknown { .. } => None,
        }
    }

    /// Compact JSON, fields in the order PROTOCOL.md lists them.
    pub fn to_bytes(&self) -> Result<Vec<u8>, PayloadError> {
        let encoded = match self {
            Self::Text(t) => serde_json::to_vec(&TextWire {
                id: &t.id,
                ts: t.ts,
                kind: "text",
                text: &t.text,
            }),
            Self::Receipt(r) => serde_json::to_vec(&ReceiptWire {
                id: &r.id,
                ts: r.ts,
                kind: "receipt",
                status: r.status,
                ids: &r.ids,
            }),
            Self::Unknown { kind } => return Err(PayloadError::Unsendable(kind.clone())),
        };
        // Serialising these plain structs cannot fail; map it anyway.
        encoded.map_err(|_| PayloadError::NotAnObject)
    }

    /// Decodes any valid JSON formatting. Unknown fields are ignored; ids
    /// are accepted in any RFC 4122 text form and normalised.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PayloadError> {
        let value: Value = serde_json::from_slice(bytes).map_err(|_| PayloadError::NotAnObject)?;
        let Value::Object(map) = &value else {
            return Err(PayloadError::NotAnObject);
        };
        let kind = map
            .get("type")
            .and_then(Value::as_str)
            .ok_or(PayloadError::BadField("type"))?
            .to_string();
        match kind.as_str() {
            "text" => decode::<Text>(value, "text").map(Self::Text),
            "receipt" => decode::<Receipt>(value, "receipt").map(Self::Receipt),
            _ => Ok(Self::Unknown { kind }),
        }
    }
}

fn decode<T: serde::de::DeserializeOwned>(
    value: Value,
    what: &'static str,
) -> Result<T, PayloadError> {
    serde_json::from_value(value).map_err(|_| PayloadError::BadField(what))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_encodes_compactly_in_protocol_order() {
        let id = Uuid::parse_str("6c5d130e-8708-4887-80c3-5c82d334a3e7").unwrap();
        let p = Payload::Text(Text {
            id,
            ts: 5,
            text: "hi \u{2713}".into(),
        });
        assert_eq!(
            String::from_utf8(p.to_bytes().unwrap()).unwrap(),
            "{\"id\":\"6c5d130e-8708-4887-80c3-5c82d334a3e7\",\"ts\":5,\"type\":\"text\",\"text\":\"hi \u{2713}\"}"
        );
        assert_eq!(Payload::from_bytes(&p.to_bytes().unwrap()).unwrap(), p);
    }

    #[test]
    fn python_formatting_and_escapes_decode() {
        let raw = br#"{"id": "6C5D130E-8708-4887-80C3-5C82D334A3E7", "ts": 1764100000000, "type": "text", "text": "hello bob \u2713", "extra": [1]}"#;
        let Payload::Text(t) = Payload::from_bytes(raw).unwrap() else {
            panic!("not text")
        };
        assert_eq!(t.text, "hello bob \u{2713}");
        assert_eq!(t.id.to_string(), "6c5d130e-8708-4887-80c3-5c82d334a3e7");
    }

    #[test]
    fn receipts_round_trip() {
        let ids = vec![new_id().unwrap(), new_id().unwrap()];
        let p = Payload::receipt(ReceiptStatus::Read, ids.clone(), 9).unwrap();
        let text = String::from_utf8(p.to_bytes().unwrap()).unwrap();
        assert!(text.contains("\"type\":\"receipt\",\"status\":\"read\",\"ids\":["));
        let Payload::Receipt(r) = Payload::from_bytes(text.as_bytes()).unwrap() else {
            panic!("not a receipt")
        };
        assert_eq!((r.status, r.ids), (ReceiptStatus::Read, ids));
    }

    #[test]
    fn unknown_types_are_kept_apart_and_unsendable() {
        let p = Payload::from_bytes(br#"{"type": "file", "whatever": 1}"#).unwrap();
        assert_eq!(
            p,
            Payload::Unknown {
                kind: "file".into()
            }
        );
        assert_eq!(p.id(), None);
        assert!(matches!(p.to_bytes(), Err(PayloadError::Unsendable(_))));
    }

    #[test]
    fn malformed_known_types_are_errors() {
        for raw in [
            &b"[]"[..],
            b"not json",
            b"{\"id\":\"x\"}",
            b"{\"type\":7}",
            b"{\"type\":\"text\",\"id\":\"nope\",\"ts\":1,\"text\":\"a\"}",
            b"{\"type\":\"text\",\"id\":\"6c5d130e-8708-4887-80c3-5c82d334a3e7\",\"ts\":1.5,\"text\":\"a\"}",
            b"{\"type\":\"receipt\",\"id\":\"6c5d130e-8708-4887-80c3-5c82d334a3e7\",\"ts\":1,\"status\":\"seen\",\"ids\":[]}",
        ] {
            assert!(Payload::from_bytes(raw).is_err(), "{}", String::from_utf8_lossy(raw));
        }
    }

    #[test]
    fn fresh_ids_are_version_4() {
        let id = new_id().unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_ne!(id, new_id().unwrap());
    }
}
