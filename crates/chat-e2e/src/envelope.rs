//! The two envelope kinds of PROTOCOL.md §2 as they travel inside `send`
//! and `deliver`, and the exact byte strings that bind them (the signed
//! session-key data and the message AAD). Parsing is hand-written over the
//! JSON object so that every field is checked once, here, and the crypto
//! code downstream only ever sees well-formed values.

use chat_proto::encoding::tbs;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

/// Domain label of the session-key signature.
pub const SESSION_KEY_LABEL: &str = "securechat-v1-session-key";
/// Domain label of the message associated data.
pub const MSG_LABEL: &str = "securechat-v1-msg";

/// `{"kind":"session_key","key_id","wrapped","sig"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionKeyEnvelope {
    /// The key's id, a lowercase hyphenated uuid.
    pub key_id: String,
    /// b64 of RSA-OAEP(recipient identity key, 32-byte key).
    pub wrapped: String,
    /// b64 of the RSA-PSS signature over [`session_key_tbs`].
    pub sig: String,
}

/// `{"kind":"msg","key_id","seq","nonce","ct"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MsgEnvelope {
    /// Id of the session key the message is encrypted under.
    pub key_id: String,
    /// 1, 2, ... per key.
    pub seq: u64,
    /// b64 of the 12-byte AES-GCM nonce.
    pub nonce: String,
    /// b64 of the AES-256-GCM ciphertext with its tag.
    pub ct: String,
}

/// One end-to-end envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Envelope {
    /// Announces a sending key.
    SessionKey(SessionKeyEnvelope),
    /// A message under a session key.
    Msg(MsgEnvelope),
}

/// Why an object is not an envelope this version handles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// A `kind` this version does not know (reserved for later versions):
    /// to be ignored, not reported.
    #[error("unknown envelope kind `{0}`")]
    UnknownKind(String),
    /// A required field is missing, of the wrong type or out of range.
    #[error("envelope field `{0}` is missing or invalid")]
    BadField(&'static str),
}

impl Envelope {
    /// The JSON object to put in `send.envelope`.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        match self {
            Self::SessionKey(e) => {
                put("kind", "session_key".into());
                put("key_id", e.key_id.clone().into());
                put("wrapped", e.wrapped.clone().into());
                put("sig", e.sig.clone().into());
            }
            Self::Msg(e) => {
                put("kind", "msg".into());
                put("key_id", e.key_id.clone().into());
                put("seq", e.seq.into());
                put("nonce", e.nonce.clone().into());
                put("ct", e.ct.clone().into());
            }
        }
        map
    }

    /// Parses `deliver.envelope`. Unknown fields are ignored.
    pub fn from_json(map: &Map<String, Value>) -> Result<Self, EnvelopeError> {
        match str_field(map, "kind")? {
            "session_key" => Ok(Self::SessionKey(SessionKeyEnvelope {
                key_id: key_id_field(map)?,
                wrapped: str_field(map, "wrapped")?.to_string(),
                sig: str_field(map, "sig")?.to_string(),
            })),
            "msg" => Ok(Self::Msg(MsgEnvelope {
                key_id: key_id_field(map)?,
                seq: map
                    .get("seq")
                    .and_then(Value::as_u64)
                    .filter(|s| *s >= 1)
                    .ok_or(EnvelopeError::BadField("seq"))?,
                nonce: str_field(map, "nonce")?.to_string(),
                ct: str_field(map, "ct")?.to_string(),
            })),
            other => Err(EnvelopeError::UnknownKind(other.to_string())),
        }
    }

    /// The key id the envelope refers to.
    pub fn key_id(&self) -> &str {
        match self {
            Self::SessionKey(e) => &e.key_id,
            Self::Msg(e) => &e.key_id,
        }
    }
}

fn str_field<'a>(
    map: &'a Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, EnvelopeError> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or(EnvelopeError::BadField(name))
}

/// Key ids must be canonical (lowercase, hyphenated) uuids: they are bound
/// verbatim into signatures and AAD, and one spelling per key keeps the
/// replay state from being split across aliases.
fn key_id_field(map: &Map<String, Value>) -> Result<String, EnvelopeError> {
    let text = str_field(map, "key_id")?;
    match Uuid::try_parse(text) {
        Ok(id) if id.hyphenated().to_string() == text => Ok(text.to_string()),
        _ => Err(EnvelopeError::BadField("key_id")),
    }
}

/// tbs("securechat-v1-session-key", from, to, fingerprint(sender key),
/// fingerprint(recipient key), key_id, wrapped_bytes): what the sender signs.
pub fn session_key_tbs(
    from: &str,
    to: &str,
    sender_fingerprint: &str,
    recipient_fingerprint: &str,
    key_id: &str,
    wrapped: &[u8],
) -> Vec<u8> {
    tbs(&[
        SESSION_KEY_LABEL.as_bytes(),
        from.as_bytes(),
        to.as_bytes(),
        sender_fingerprint.as_bytes(),
        recipient_fingerprint.as_bytes(),
        key_id.as_bytes(),
        wrapped,
    ])
}

/// tbs("securechat-v1-msg", from, to, key_id, decimal(seq)): the message AAD.
pub fn msg_aad(from: &str, to: &str, key_id: &str, seq: u64) -> Vec<u8> {
    tbs(&[
        MSG_LABEL.as_bytes(),
        from.as_bytes(),
        to.as_bytes(),
        key_id.as_bytes(),
        seq.to_string().as_bytes(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KEY_ID: &str = "40b04b0f-fd8e-45d9-9949-93a07bab65c9";

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn envelopes_round_trip_through_json() {
        let msg = Envelope::Msg(MsgEnvelope {
            key_id: KEY_ID.into(),
            seq: 7,
            nonce: "bm9uY2U=".into(),
            ct: "Y3Q=".into(),
        });
        let sk = Envelope::SessionKey(SessionKeyEnvelope {
            key_id: KEY_ID.into(),
            wrapped: "d3I=".into(),
            sig: "c2ln".into(),
        });
        for e in [msg, sk] {
            let map = e.to_json();
            assert_eq!(Envelope::from_json(&map).unwrap(), e);
            // The serde form (used for storage) is the wire form.
            assert_eq!(serde_json::to_value(&e).unwrap(), Value::Object(map));
        }
    }

    #[test]
    fn unknown_kinds_are_told_apart_from_malformed_ones() {
        let e = Envelope::from_json(&obj(json!({"kind": "file_chunk", "x": 1})));
        assert_eq!(e, Err(EnvelopeError::UnknownKind("file_chunk".into())));
        let cases = [
            (json!({}), "kind"),
            (json!({"kind": 1}), "kind"),
            (
                json!({"kind": "msg", "key_id": KEY_ID, "seq": 0, "nonce": "", "ct": ""}),
                "seq",
            ),
            (
                json!({"kind": "msg", "key_id": KEY_ID, "seq": -1, "nonce": "", "ct": ""}),
                "seq",
            ),
            (
                json!({"kind": "msg", "key_id": KEY_ID, "seq": 1.0, "nonce": "", "ct": ""}),
                "seq",
            ),
            (
                json!({"kind": "msg", "key_id": KEY_ID, "seq": "1", "nonce": "", "ct": ""}),
                "seq",
            ),
            (
                json!({"kind": "msg", "key_id": KEY_ID.to_uppercase(), "seq": 1}),
                "key_id",
            ),
            (json!({"kind": "msg", "key_id": "k1", "seq": 1}), "key_id"),
            (
                json!({"kind": "session_key", "key_id": KEY_ID, "wrapped": "x"}),
                "sig",
            ),
        ];
        for (v, field) in cases {
            assert_eq!(
                Envelope::from_json(&obj(v.clone())),
                Err(EnvelopeError::BadField(field)),
                "{v}"
            );
        }
    }

    #[test]
    fn aad_matches_the_tbs_vector() {
        // From testdata/vectors/v1.json, tbs[0].
        let expected = "00000011736563757265636861742d76312d6d736700000005616c69636500000003626f62000000026b310000000137";
        assert_eq!(hex::encode(msg_aad("alice", "bob", "k1", 7)), expected);
    }
}
