//! The plaintext inside a `msg` envelope: §2's `text` and `receipt`,
//! §4.1's `group_text`, `group_state`, `group_state_request` and `typing`,
//! and §5.1's `file` and `group_file` (their file fields in
//! [`crate::file::FileAttachment`]).
//! Peers in other languages format JSON their own way and later versions
//! add types, so decoding accepts any valid JSON, ignores unknown fields
//! and maps types it does not know to [`Payload::Unknown`] (receivers
//! ignore them) instead of failing. Encoding is compact JSON with the
//! fields in the order PROTOCOL.md lists them.
//!
//! The group types are checked strictly on decoding (canonical `group_id`,
//! versions in range, text within the limits of `send`), so a daemon never
//! acts on a value a peer spelled two ways. The signed state inside a
//! `group_state` is parsed here too, but its refusal is kept in the payload
//! rather than failing it: §4.4 reports a bad state as `group_malformed`
//! (or `group_too_large`), not as `malformed_payload`.
//!
//! A file sent to a group is its own type, `group_file`, beside
//! `group_text`, rather than `file` with a group field: a receiver that
//! ignores unknown fields could otherwise take a group's file for a 1:1
//! one, and the type alone says which rules (§4.1 membership and version)
//! apply. The receiver's limits on files are enforced here, on decoding.

use chat_proto::crypto::{self, CryptoError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::file::{FileAttachment, FileLimits, FileWire};
use crate::group::signed::canonical_uuid;
use crate::group::{GroupError, MAX_VERSION, SignedGroupState};

/// The longest `text` of a `group_text`, in bytes of UTF-8: the limit of
/// §3 `send` (64 KiB), which §4.1 applies to group messages.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// What a payload failed on.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The bytes are not a JSON object.
    #[error("payload is not a JSON object")]
    NotAnObject,
    /// A field of a known type is missing or has the wrong type or value.
    #[error("payload field `{0}` is missing or invalid")]
    BadField(&'static str),
    /// A payload of a type this version does not know cannot be sent.
    #[error("a payload of unknown type `{0}` cannot be sent")]
    Unsendable(String),
    /// A `group_state` whose state was refused on receipt cannot be sent
    /// on: only a well-formed state has a canonical form.
    #[error("a group_state whose state is malformed cannot be sent")]
    MalformedState,
    /// A `file` or `group_file` whose true size is above what this
    /// receiver accepts ([`FileLimits`]; 100 MiB unless told otherwise).
    #[error("a file of {size} bytes is larger than the {max} bytes accepted")]
    FileTooLarge {
        /// The payload's `size`.
        size: u64,
        /// The receiver's limit.
        max: u64,
    },
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

/// A message to a group (§4.1 `group_text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupText {
    /// Message id chosen by the sender; receipts refer to it.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The group.
    pub group_id: Uuid,
    /// The version of the group's state the sender held when it sent
    /// (1 to [`MAX_VERSION`]).
    pub version: u64,
    /// The text: non-empty, at most [`MAX_TEXT_BYTES`].
    pub text: String,
}

/// A new or current state of a group (§4.1 `group_state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStatePayload {
    /// Id of this payload.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The signed state, parsed and checked against §4.2 (step 1 of §4.4)
    /// but not yet verified: `Err` holds the `group_malformed` or
    /// `group_too_large` refusal to report. Verify and accept it with
    /// [`crate::group::accept`].
    pub state: Result<SignedGroupState, GroupError>,
}

/// A request for the states of a group after version `have` (§4.1
/// `group_state_request`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupStateRequest {
    /// Id of this payload.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The group.
    pub group_id: Uuid,
    /// The version the sender holds, 0 when none (0 to [`MAX_VERSION`]).
    pub have: u64,
}

/// The sender is typing (§4.1 `typing`, sent ephemeral).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    /// Id of this payload.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The group typed in; `None` in a 1:1 conversation (the field is
    /// absent on the wire).
    pub group_id: Option<Uuid>,
}

/// A file (§5.1 `file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePayload {
    /// Message id chosen by the sender; receipts refer to it.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The file: its blob, key, digest, size, name, type, preview, caption.
    pub file: FileAttachment,
}

/// A file to a group (§5.1 `group_file`): a `group_text` whose content is
/// a file, under the same rules of §4.1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupFilePayload {
    /// Message id chosen by the sender; receipts refer to it.
    pub id: Uuid,
    /// Sender's clock, Unix milliseconds.
    pub ts: i64,
    /// The group.
    pub group_id: Uuid,
    /// The version of the group's state the sender held when it sent.
    pub version: u64,
    /// The file.
    pub file: FileAttachment,
}

/// A decoded plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// `"type":"text"`.
    Text(Text),
    /// `"type":"receipt"`.
    Receipt(Receipt),
    /// `"type":"group_text"`.
    GroupText(GroupText),
    /// `"type":"group_state"`.
    GroupState(GroupStatePayload),
    /// `"type":"group_state_request"`.
    GroupStateRequest(GroupStateRequest),
    /// `"type":"typing"`.
    Typing(Typing),
    /// `"type":"file"`.
    File(FilePayload),
    /// `"type":"group_file"`.
    GroupFile(GroupFilePayload),
    /// A type this version does not know: authentic, but to be ignored.
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

#[derive(Serialize)]
struct GroupTextWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    group_id: &'a Uuid,
    version: u64,
    text: &'a str,
}

#[derive(Serialize)]
struct GroupStateWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    state: &'a SignedGroupState,
}

#[derive(Serialize)]
struct GroupStateRequestWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    group_id: &'a Uuid,
    have: u64,
}

#[derive(Serialize)]
struct TypingWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<&'a Uuid>,
}

#[derive(Serialize)]
struct FilePayloadWire<'a> {
    id: &'a Uuid,
    ts: i64,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<&'a Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<u64>,
    #[serde(flatten)]
    file: FileWire<'a>,
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

    /// A message to a group with a fresh id. The text is checked as on
    /// receipt (non-empty, at most [`MAX_TEXT_BYTES`]), and so is `version`.
    pub fn group_text(
        group_id: Uuid,
        version: u64,
        text: impl Into<String>,
        ts: i64,
    ) -> Result<Self, PayloadError> {
        let text = text.into();
        check_text(&text)?;
        check_version(version, 1, "version")?;
        Ok(Self::GroupText(GroupText {
            id: new_id()?,
            ts,
            group_id,
            version,
            text,
        }))
    }

    /// A signed state to send, with a fresh id.
    pub fn group_state(state: SignedGroupState, ts: i64) -> Result<Self, PayloadError> {
        Ok(Self::GroupState(GroupStatePayload {
            id: new_id()?,
            ts,
            state: Ok(state),
        }))
    }

    /// A request for the states after `have`, with a fresh id.
    pub fn group_state_request(group_id: Uuid, have: u64, ts: i64) -> Result<Self, PayloadError> {
        check_version(have, 0, "have")?;
        Ok(Self::GroupStateRequest(GroupStateRequest {
            id: new_id()?,
            ts,
            group_id,
            have,
        }))
    }

    /// A typing indicator with a fresh id; `group_id` is `None` in a 1:1
    /// conversation.
    pub fn typing(group_id: Option<Uuid>, ts: i64) -> Result<Self, PayloadError> {
        Ok(Self::Typing(Typing {
            id: new_id()?,
            ts,
            group_id,
        }))
    }

    /// A file with a fresh id; its fields are checked as a receiver with
    /// the default [`FileLimits`] checks them.
    pub fn file(file: FileAttachment, ts: i64) -> Result<Self, PayloadError> {
        file.check(&FileLimits::default())?;
        Ok(Self::File(FilePayload {
            id: new_id()?,
            ts,
            file,
        }))
    }

    /// A file to a group with a fresh id, checked as [`Self::file`] and
    /// [`Self::group_text`] are.
    pub fn group_file(
        group_id: Uuid,
        version: u64,
        file: FileAttachment,
        ts: i64,
    ) -> Result<Self, PayloadError> {
        file.check(&FileLimits::default())?;
        check_version(version, 1, "version")?;
        Ok(Self::GroupFile(GroupFilePayload {
            id: new_id()?,
            ts,
            group_id,
            version,
            file,
        }))
    }

    /// The payload's id, when its type is known.
    pub fn id(&self) -> Option<Uuid> {
        match self {
            Self::Text(t) => Some(t.id),
            Self::Receipt(r) => Some(r.id),
            Self::GroupText(g) => Some(g.id),
            Self::GroupState(g) => Some(g.id),
            Self::GroupStateRequest(g) => Some(g.id),
            Self::Typing(t) => Some(t.id),
            Self::File(f) => Some(f.id),
            Self::GroupFile(f) => Some(f.id),
            Self::Unknown { .. } => None,
        }
    }

    /// The `type` field: what the payload is on the wire.
    pub fn kind(&self) -> &str {
        match self {
            Self::Text(_) => "text",
            Self::Receipt(_) => "receipt",
            Self::GroupText(_) => "group_text",
            Self::GroupState(_) => "group_state",
            Self::GroupStateRequest(_) => "group_state_request",
            Self::Typing(_) => "typing",
            Self::File(_) => "file",
            Self::GroupFile(_) => "group_file",
            Self::Unknown { kind } => kind,
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
            Self::GroupText(g) => serde_json::to_vec(&GroupTextWire {
                id: &g.id,
                ts: g.ts,
                kind: "group_text",
                group_id: &g.group_id,
                version: g.version,
                text: &g.text,
            }),
            Self::GroupState(g) => {
                let Ok(state) = &g.state else {
                    return Err(PayloadError::MalformedState);
                };
                serde_json::to_vec(&GroupStateWire {
                    id: &g.id,
                    ts: g.ts,
                    kind: "group_state",
                    state,
                })
            }
            Self::GroupStateRequest(r) => serde_json::to_vec(&GroupStateRequestWire {
                id: &r.id,
                ts: r.ts,
                kind: "group_state_request",
                group_id: &r.group_id,
                have: r.have,
            }),
            Self::Typing(t) => serde_json::to_vec(&TypingWire {
                id: &t.id,
                ts: t.ts,
                kind: "typing",
                group_id: t.group_id.as_ref(),
            }),
            Self::File(f) => serde_json::to_vec(&FilePayloadWire {
                id: &f.id,
                ts: f.ts,
                kind: "file",
                group_id: None,
                version: None,
                file: f.file.wire(),
            }),
            Self::GroupFile(f) => serde_json::to_vec(&FilePayloadWire {
                id: &f.id,
                ts: f.ts,
                kind: "group_file",
                group_id: Some(&f.group_id),
                version: Some(f.version),
                file: f.file.wire(),
            }),
            Self::Unknown { kind } => return Err(PayloadError::Unsendable(kind.clone())),
        };
        // Serialising these plain structs cannot fail; map it anyway.
        encoded.map_err(|_| PayloadError::NotAnObject)
    }

    /// Decodes any valid JSON formatting. Unknown fields are ignored;
    /// payload ids are accepted in any RFC 4122 text form and normalised
    /// (D5), while a `group_id` must be canonical (lowercase, hyphenated),
    /// as in the group's states. Files are held to the default
    /// [`FileLimits`] (100 MiB).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PayloadError> {
        Self::from_bytes_with(bytes, &FileLimits::default())
    }

    /// As [`Self::from_bytes`], with a receiver's own file limits.
    pub fn from_bytes_with(bytes: &[u8], limits: &FileLimits) -> Result<Self, PayloadError> {
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
            "group_text" => {
                let text = str_field(map, "text")?;
                check_text(text)?;
                Ok(Self::GroupText(GroupText {
                    id: id_field(map)?,
                    ts: ts_field(map)?,
                    group_id: group_id_field(map)?,
                    version: version_field(map, "version", 1)?,
                    text: text.to_string(),
                }))
            }
            "group_state" => {
                let state = map
                    .get("state")
                    .and_then(Value::as_object)
                    .ok_or(PayloadError::BadField("state"))?;
                Ok(Self::GroupState(GroupStatePayload {
                    id: id_field(map)?,
                    ts: ts_field(map)?,
                    state: SignedGroupState::from_json(state),
                }))
            }
            "group_state_request" => Ok(Self::GroupStateRequest(GroupStateRequest {
                id: id_field(map)?,
                ts: ts_field(map)?,
                group_id: group_id_field(map)?,
                have: version_field(map, "have", 0)?,
            })),
            "typing" => Ok(Self::Typing(Typing {
                id: id_field(map)?,
                ts: ts_field(map)?,
                group_id: match map.get("group_id") {
                    None => None,
                    Some(_) => Some(group_id_field(map)?),
                },
            })),
            "file" => Ok(Self::File(FilePayload {
                id: id_field(map)?,
                ts: ts_field(map)?,
                file: FileAttachment::from_json(map, limits)?,
            })),
            "group_file" => Ok(Self::GroupFile(GroupFilePayload {
                id: id_field(map)?,
                ts: ts_field(map)?,
                group_id: group_id_field(map)?,
                version: version_field(map, "version", 1)?,
                file: FileAttachment::from_json(map, limits)?,
            })),
            _ => Ok(Self::Unknown { kind }),
        }
    }
}

fn str_field<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, PayloadError> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or(PayloadError::BadField(name))
}

/// `id`, as §2 payload ids: any RFC 4122 text form, normalised (D5).
fn id_field(map: &Map<String, Value>) -> Result<Uuid, PayloadError> {
    Uuid::try_parse(str_field(map, "id")?).map_err(|_| PayloadError::BadField("id"))
}

/// `ts`: an integer (no fraction, no string) that fits an i64.
fn ts_field(map: &Map<String, Value>) -> Result<i64, PayloadError> {
    map.get("ts")
        .and_then(Value::as_i64)
        .ok_or(PayloadError::BadField("ts"))
}

/// `group_id`: canonical only, so a group is never named two ways.
fn group_id_field(map: &Map<String, Value>) -> Result<Uuid, PayloadError> {
    canonical_uuid(str_field(map, "group_id")?).ok_or(PayloadError::BadField("group_id"))
}

/// An integer from `min` to [`MAX_VERSION`].
fn version_field(
    map: &Map<String, Value>,
    name: &'static str,
    min: u64,
) -> Result<u64, PayloadError> {
    let n = map
        .get(name)
        .and_then(Value::as_u64)
        .ok_or(PayloadError::BadField(name))?;
    check_version(n, min, name)?;
    Ok(n)
}

fn check_version(n: u64, min: u64, name: &'static str) -> Result<(), PayloadError> {
    if (min..=MAX_VERSION).contains(&n) {
        Ok(())
    } else {
        Err(PayloadError::BadField(name))
    }
}

fn check_text(text: &str) -> Result<(), PayloadError> {
    if text.is_empty() || text.len() > MAX_TEXT_BYTES {
        return Err(PayloadError::BadField("text"));
    }
    Ok(())
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
        let p = Payload::from_bytes(br#"{"type": "video_call", "whatever": 1}"#).unwrap();
        assert_eq!(
            p,
            Payload::Unknown {
                kind: "video_call".into()
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

    const ID: &str = "6c5d130e-8708-4887-80c3-5c82d334a3e7";
    const GID: &str = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
    const FPR: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn uuid(text: &str) -> Uuid {
        Uuid::parse_str(text).unwrap()
    }

    fn encoded(p: &Payload) -> String {
        let bytes = p.to_bytes().unwrap();
        assert_eq!(&Payload::from_bytes(&bytes).unwrap(), p, "round trip");
        String::from_utf8(bytes).unwrap()
    }

    /// A state with a made-up signature: parsing does not verify.
    fn state() -> SignedGroupState {
        use crate::group::{GroupState, Membership};
        let m = Membership::new("friends", ["bob", "alice"], ["alice"]);
        let s = GroupState::genesis(uuid(GID), m, "alice", FPR).unwrap();
        SignedGroupState::from_parts(s, vec![1, 2, 3])
    }

    #[test]
    fn group_types_encode_compactly_in_protocol_order() {
        let (id, gid) = (uuid(ID), uuid(GID));
        let text = Payload::GroupText(GroupText {
            id,
            ts: 5,
            group_id: gid,
            version: 3,
            text: "hi \u{2713}".into(),
        });
        assert_eq!(
            encoded(&text),
            format!(
                "{{\"id\":\"{ID}\",\"ts\":5,\"type\":\"group_text\",\"group_id\":\"{GID}\",\"version\":3,\"text\":\"hi \u{2713}\"}}"
            )
        );
        let request = Payload::GroupStateRequest(GroupStateRequest {
            id,
            ts: 6,
            group_id: gid,
            have: 0,
        });
        assert_eq!(
            encoded(&request),
            format!(
                "{{\"id\":\"{ID}\",\"ts\":6,\"type\":\"group_state_request\",\"group_id\":\"{GID}\",\"have\":0}}"
            )
        );
        let typing = |group_id| {
            Payload::Typing(Typing {
                id,
                ts: 7,
                group_id,
            })
        };
        assert_eq!(
            encoded(&typing(Some(gid))),
            format!("{{\"id\":\"{ID}\",\"ts\":7,\"type\":\"typing\",\"group_id\":\"{GID}\"}}")
        );
        assert_eq!(
            encoded(&typing(None)),
            format!("{{\"id\":\"{ID}\",\"ts\":7,\"type\":\"typing\"}}")
        );
        let update = Payload::GroupState(GroupStatePayload {
            id,
            ts: 8,
            state: Ok(state()),
        });
        assert_eq!(
            encoded(&update),
            format!(
                "{{\"id\":\"{ID}\",\"ts\":8,\"type\":\"group_state\",\"state\":{{\"group_id\":\"{GID}\",\"version\":1,\"prev\":\"\",\"name\":\"friends\",\"members\":[\"alice\",\"bob\"],\"admins\":[\"alice\"],\"signer\":\"alice\",\"signer_fingerprint\":\"{FPR}\",\"sig\":\"AQID\"}}}}"
            )
        );
        for p in [&text, &request, &typing(None), &update] {
            assert_eq!(p.id(), Some(id));
        }
        assert_eq!(
            [
                text.kind(),
                request.kind(),
                typing(None).kind(),
                update.kind()
            ],
            ["group_text", "group_state_request", "typing", "group_state"]
        );
    }

    #[test]
    fn group_types_accept_any_formatting_and_ignore_unknown_fields() {
        let raw = format!(
            "{{ \"text\": \"a\\u00e9\", \"version\": 9, \"extra\": {{\"x\": []}},\n \"group_id\": \"{GID}\", \"type\": \"group_text\", \"ts\": -1, \"id\": \"{}\" }}",
            ID.to_uppercase()
        );
        let Payload::GroupText(g) = Payload::from_bytes(raw.as_bytes()).unwrap() else {
            panic!("not a group_text")
        };
        assert_eq!(
            (g.id.to_string(), g.ts, g.version, g.text.as_str()),
            (ID.to_string(), -1, 9, "a\u{e9}")
        );
    }

    #[test]
    fn the_constructors_check_what_decoding_checks() {
        let gid = uuid(GID);
        let Payload::GroupText(g) = Payload::group_text(gid, 2, "x", 1).unwrap() else {
            panic!("not a group_text")
        };
        assert_eq!((g.group_id, g.version, g.id.get_version_num()), (gid, 2, 4));
        for (version, text) in [(0, "x"), (MAX_VERSION + 1, "x"), (1, "")] {
            assert!(Payload::group_text(gid, version, text, 1).is_err());
        }
        assert!(Payload::group_text(gid, 1, "x".repeat(MAX_TEXT_BYTES + 1), 1).is_err());
        assert!(Payload::group_state_request(gid, 0, 1).is_ok());
        assert!(Payload::group_state_request(gid, MAX_VERSION + 1, 1).is_err());
        let p = Payload::group_state(state(), 1).unwrap();
        assert_eq!(Payload::from_bytes(&p.to_bytes().unwrap()).unwrap(), p);
        assert!(matches!(
            Payload::typing(None, 1),
            Ok(Payload::Typing(Typing { group_id: None, .. }))
        ));
    }

    #[test]
    fn group_fields_are_validated_strictly() {
        let base = |kind: &str| {
            serde_json::json!({
                "id": ID, "ts": 1, "type": kind, "group_id": GID,
                "version": 1, "have": 0, "text": "a", "state": state(),
            })
        };
        let big = MAX_VERSION + 1;
        let cases: Vec<(&str, &str, Value, &str)> = vec![
            (
                "group_text",
                "group_id",
                GID.to_uppercase().into(),
                "group_id",
            ),
            (
                "group_text",
                "group_id",
                GID.replace('-', "").into(),
                "group_id",
            ),
            (
                "group_text",
                "group_id",
                format!("{{{GID}}}").into(),
                "group_id",
            ),
            ("group_text", "group_id", Value::Null, "group_id"),
            ("group_text", "version", 0.into(), "version"),
            ("group_text", "version", big.into(), "version"),
            ("group_text", "version", (-1).into(), "version"),
            ("group_text", "version", 1.0.into(), "version"),
            ("group_text", "version", "1".into(), "version"),
            ("group_text", "text", "".into(), "text"),
            (
                "group_text",
                "text",
                "x".repeat(MAX_TEXT_BYTES + 1).into(),
                "text",
            ),
            ("group_text", "text", 5.into(), "text"),
            ("group_text", "ts", 1.5.into(), "ts"),
            ("group_text", "id", "nope".into(), "id"),
            ("group_state_request", "have", (-1).into(), "have"),
            ("group_state_request", "have", big.into(), "have"),
            ("group_state_request", "group_id", "x".into(), "group_id"),
            ("typing", "group_id", Value::Null, "group_id"),
            ("typing", "group_id", GID.to_uppercase().into(), "group_id"),
            ("typing", "ts", "1".into(), "ts"),
            ("group_state", "state", "{}".into(), "state"),
            ("group_state", "state", Value::Null, "state"),
        ];
        for (kind, field, value, err) in cases {
            let mut v = base(kind);
            v[field] = value.clone();
            assert_eq!(
                Payload::from_bytes(v.to_string().as_bytes()),
                Err(PayloadError::BadField(err)),
                "{kind}.{field} = {value}"
            );
        }
        // The limits themselves are fine, and the missing optional field.
        let mut v = base("group_text");
        v["text"] = "\u{e9}".repeat(MAX_TEXT_BYTES / 2).into();
        v["version"] = MAX_VERSION.into();
        assert!(matches!(
            Payload::from_bytes(v.to_string().as_bytes()),
            Ok(Payload::GroupText(_))
        ));
        let mut v = base("typing");
        v.as_object_mut().unwrap().remove("group_id");
        assert!(matches!(
            Payload::from_bytes(v.to_string().as_bytes()),
            Ok(Payload::Typing(Typing { group_id: None, .. }))
        ));
        for missing in ["id", "ts", "group_id", "version", "text"] {
            let mut v = base("group_text");
            v.as_object_mut().unwrap().remove(missing);
            assert_eq!(
                Payload::from_bytes(v.to_string().as_bytes()),
                Err(PayloadError::BadField(missing))
            );
        }
    }

    #[test]
    fn a_malformed_state_is_kept_as_its_group_refusal() {
        let mut v = serde_json::json!({"id": ID, "ts": 1, "type": "group_state", "state": state()});
        v["state"]["members"] = serde_json::json!(["bob", "alice"]);
        let Payload::GroupState(g) = Payload::from_bytes(v.to_string().as_bytes()).unwrap() else {
            panic!("not a group_state")
        };
        assert_eq!(g.state, Err(GroupError::Malformed("members")));
        assert_eq!(
            Payload::GroupState(g).to_bytes(),
            Err(PayloadError::MalformedState)
        );
        v["state"]["members"] =
            serde_json::json!((0..257).map(|i| format!("u{i:03}")).collect::<Vec<_>>());
        let Payload::GroupState(g) = Payload::from_bytes(v.to_string().as_bytes()).unwrap() else {
            panic!("not a group_state")
        };
        assert_eq!(g.state.unwrap_err().reason(), Some("group_too_large"));
    }

    #[test]
    fn fresh_ids_are_version_4() {
        let id = new_id().unwrap();
        assert_eq!(id.get_version_num(), 4);
        assert_ne!(id, new_id().unwrap());
    }
}
