//! JSON-RPC 2.0 framing: one object per line. The daemon parses requests
//! leniently enough to answer every malformed one with the right error, and
//! clients tell responses from notifications by the presence of `id`.

use serde_json::{Map, Value, json};

use crate::error::{ApiError, ErrorCode};

/// A request id: a number, a string or null, echoed as sent.
pub type Id = Value;

/// A parsed request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Echoed in the response; `None` for a notification (no response).
    pub id: Option<Id>,
    /// Method name.
    pub method: String,
    /// Params by name (an empty object when absent).
    pub params: Map<String, Value>,
}

/// Parses one line into a request, or the error response to send back
/// (with the id, when one could be read).
pub fn parse_request(line: &str) -> Result<Request, (Id, ApiError)> {
    let value: Value = serde_json::from_str(line).map_err(|e| {
        (
            Value::Null,
            ApiError::new(ErrorCode::ParseError, format!("not JSON: {e}")),
        )
    })?;
    let Value::Object(mut obj) = value else {
        return Err((
            Value::Null,
            ApiError::new(ErrorCode::InvalidRequest, "a request must be a JSON object"),
        ));
    };
    let id = obj.remove("id");
    let id_for_error = id.clone().unwrap_or(Value::Null);
    let invalid = |msg: &str| {
        (
            id_for_error.clone(),
            ApiError::new(ErrorCode::InvalidRequest, msg),
        )
    };
    if let Some(id) = &id
        && !(id.is_number() || id.is_string() || id.is_null())
    {
        return Err((
            Value::Null,
            ApiError::new(
                ErrorCode::InvalidRequest,
                "`id` must be a number, a string or null",
            ),
        ));
    }
    if obj.get("jsonrpc") != Some(&json!("2.0")) {
        return Err(invalid("`jsonrpc` must be \"2.0\""));
    }
    let Some(Value::String(method)) = obj.remove("method") else {
        return Err(invalid("`method` must be a string"));
    };
    let params = match obj.remove("params") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err((
                id_for_error,
                ApiError::new(
                    ErrorCode::InvalidParams,
                    "params must be an object (by name)",
                ),
            ));
        }
    };
    Ok(Request { id, method, params })
}

/// A request line.
pub fn request_line(id: u64, method: &str, params: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// A success response line.
pub fn result_line(id: &Id, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

/// An error response line.
pub fn error_line(id: &Id, error: &ApiError) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": error.to_json()}).to_string()
}

/// An event notification line.
pub fn event_line(event: &crate::Event) -> String {
    json!({"jsonrpc": "2.0", "method": "event", "params": event}).to_string()
}

/// What a client reads: a response to one of its requests or a notification.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A response with its id.
    Response {
        /// The request id.
        id: u64,
        /// The result or the error.
        outcome: Result<Value, ApiError>,
    },
    /// An `event` notification.
    Event(Box<crate::Event>),
    /// Anything else (ignored by clients; kept for diagnostics).
    Other(Value),
}

/// Parses a line from chatd.
pub fn parse_incoming(line: &str) -> Incoming {
    let Ok(value) = serde_json::from_str::<Value>(line) else {
        return Incoming::Other(Value::String(line.to_string()));
    };
    if let Some(id) = value.get("id").and_then(Value::as_u64) {
        let outcome = match value.get("error") {
            Some(err) => Err(ApiError::from_json(err)),
            None => Ok(value.get("result").cloned().unwrap_or(Value::Null)),
        };
        return Incoming::Response { id, outcome };
    }
    if value.get("method") == Some(&json!("event"))
        && let Some(params) = value.get("params")
        && let Ok(event) = serde_json::from_value(params.clone())
    {
        return Incoming::Event(Box::new(event));
    }
    Incoming::Other(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_errors_keep_ids() {
        let r = parse_request(r#"{"jsonrpc":"2.0","id":7,"method":"status"}"#).expect("ok");
        assert_eq!(
            (r.id, r.method.as_str(), r.params.len()),
            (Some(json!(7)), "status", 0)
        );
        let (id, e) = parse_request("{").expect_err("parse");
        assert_eq!((id, e.code), (Value::Null, Some(ErrorCode::ParseError)));
        let (id, e) = parse_request(r#"{"id":"x","method":"status"}"#).expect_err("no version");
        assert_eq!((id, e.code), (json!("x"), Some(ErrorCode::InvalidRequest)));
        let (_, e) = parse_request(r#"{"jsonrpc":"2.0","id":1,"method":"send","params":[1]}"#)
            .expect_err("positional");
        assert_eq!(e.code, Some(ErrorCode::InvalidParams));
        let (_, e) = parse_request("[]").expect_err("array");
        assert_eq!(e.code, Some(ErrorCode::InvalidRequest));
        let (_, e) =
            parse_request(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#).expect_err("bad id");
        assert_eq!(e.code, Some(ErrorCode::InvalidRequest));
    }

    #[test]
    fn responses_and_events_are_told_apart() {
        let ok = parse_incoming(&result_line(&json!(3), json!({"seq": 4})));
        assert_eq!(
            ok,
            Incoming::Response {
                id: 3,
                outcome: Ok(json!({"seq": 4}))
            }
        );
        let err = ApiError::new(ErrorCode::KeyChanged, "trust first");
        match parse_incoming(&error_line(&json!(4), &err)) {
            Incoming::Response {
                id: 4,
                outcome: Err(e),
            } => assert_eq!(e, err),
            other => panic!("{other:?}"),
        }
        let ev = crate::Event {
            seq: 9,
            body: crate::EventBody::Presence {
                user: "bob".into(),
                online: true,
            },
        };
        let line = event_line(&ev);
        assert_eq!(
            serde_json::from_str::<Value>(&line).expect("json"),
            json!({"jsonrpc":"2.0","method":"event","params":{"seq":9,"type":"presence","user":"bob","online":true}})
        );
        assert_eq!(parse_incoming(&line), Incoming::Event(Box::new(ev)));
    }

    #[test]
    fn every_code_has_its_number_and_name() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::from_number(code.number()), Some(code));
            assert_eq!(
                serde_json::to_value(code).expect("json"),
                json!(code.name())
            );
        }
    }
}
