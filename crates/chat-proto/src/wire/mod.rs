//! The wire messages of PROTOCOL.md §1, §4.5 and §5.3 as closed enums, and the one place
//! where a frame's bytes become a typed message. Keeping classification of
//! bad input here (bad_frame / unknown_type / bad_request) means the server
//! and every client answer malformed frames the same way.

mod debug;
mod error;
mod request;
mod response;
mod variants;

pub use error::ErrorCode;
pub use request::{
    ChangePasswordCredentials, MultiItem, PasswordCredentials, REQUEST_TYPES, Request,
    TokenCredentials,
};
pub use response::{FileLimits, ItemError, MultiOutcome, MultiResult, ServerMessage, UserPresence};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Protocol version announced in `hello`.
pub const PROTOCOL_VERSION: u32 = 1;
/// Default TCP port of chat-server.
pub const DEFAULT_PORT: u16 = 9876;
/// Longest string `id` a request may carry.
pub const MAX_ID_LEN: usize = 64;

/// A request id: a JSON number or a short string, echoed in the response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// A JSON number, kept exactly as sent.
    Number(serde_json::Number),
    /// A string of at most [`MAX_ID_LEN`] characters.
    Text(String),
}

impl From<u64> for RequestId {
    fn from(n: u64) -> Self {
        RequestId::Number(n.into())
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::Text(s) => write!(f, "{s:?}"),
        }
    }
}

/// Why a frame could not become a message, with everything needed to answer.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodeError {
    /// The request id, when one could be read.
    pub id: Option<RequestId>,
    /// `bad_frame`, `unknown_type` or `bad_request`.
    pub code: ErrorCode,
    /// A human-readable reason, safe to send back (never echoes values).
    pub message: String,
}

impl DecodeError {
    fn new(id: Option<RequestId>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            id,
            code,
            message: message.into(),
        }
    }
}

/// Serialises `msg` (an enum tagged by `type`) as one frame payload, adding
/// `id` when given.
pub fn encode<T: Serialize>(id: Option<&RequestId>, msg: &T) -> Vec<u8> {
    let mut value = serde_json::to_value(msg).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        variants::to_wire_form(map);
        if let Some(id) = id {
            map.insert("id".into(), serde_json::to_value(id).unwrap_or(Value::Null));
        }
    }
    serde_json::to_vec(&value).unwrap_or_default()
}

/// Parses a client's frame payload into its id and request.
pub fn decode_request(payload: &[u8]) -> Result<(Option<RequestId>, Request), DecodeError> {
    decode_typed(payload, REQUEST_TYPES)
}

/// Parses a server's frame payload into its id (responses) and message.
pub fn decode_server(payload: &[u8]) -> Result<(Option<RequestId>, ServerMessage), DecodeError> {
    decode_typed(payload, response::SERVER_TYPES)
}

fn decode_typed<T: DeserializeOwned>(
    payload: &[u8],
    known: &[&str],
) -> Result<(Option<RequestId>, T), DecodeError> {
    let text = std::str::from_utf8(payload)
        .map_err(|_| DecodeError::new(None, ErrorCode::BadFrame, "frame is not UTF-8"))?;
    let value: Value = serde_json::from_str(text)
        .map_err(|_| DecodeError::new(None, ErrorCode::BadFrame, "frame is not valid JSON"))?;
    let Value::Object(mut map) = value else {
        return Err(DecodeError::new(
            None,
            ErrorCode::BadFrame,
            "frame is not a JSON object",
        ));
    };
    let id = take_id(&mut map)?;
    let ty = match map.get("type") {
        Some(Value::String(t)) => t.clone(),
        _ => {
            return Err(DecodeError::new(
                id,
                ErrorCode::BadFrame,
                "frame has no string field `type`",
            ));
        }
    };
    if !known.contains(&ty.as_str()) {
        return Err(DecodeError::new(
            id,
            ErrorCode::UnknownType,
            format!("unknown type `{}`", truncate(&ty)),
        ));
    }
    match variants::internal_type(&ty, &map) {
        Ok(Some(internal)) => {
            map.insert("type".into(), Value::from(internal));
        }
        Ok(None) => {}
        Err(message) => return Err(DecodeError::new(id, ErrorCode::BadRequest, message)),
    }
    let msg = serde_json::from_value(Value::Object(map)).map_err(|e| {
        DecodeError::new(
            id.clone(),
            ErrorCode::BadRequest,
            format!("bad `{ty}`: {}", describe(&e)),
        )
    })?;
    Ok((id, msg))
}

fn take_id(map: &mut Map<String, Value>) -> Result<Option<RequestId>, DecodeError> {
    match map.remove("id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(Some(RequestId::Number(n))),
        Some(Value::String(s)) if s.chars().count() <= MAX_ID_LEN => Ok(Some(RequestId::Text(s))),
        Some(Value::String(_)) => Err(DecodeError::new(
            None,
            ErrorCode::BadRequest,
            format!("`id` is longer than {MAX_ID_LEN} characters"),
        )),
        Some(_) => Err(DecodeError::new(
            None,
            ErrorCode::BadRequest,
            "`id` must be a number or a string",
        )),
    }
}

/// serde's messages can quote the offending value; keep only the shape.
fn describe(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let cut = text.find(" at line ").unwrap_or(text.len());
    truncate(&text[..cut]).to_string()
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests;
