//! Wire types that carry two variants, told apart by a field (PROTOCOL.md
//! §4.5): a `send` or `deliver` with `"ephemeral": true`, a `sent` with
//! `delivered`, an `error` with `code: "stale_version"` and its current
//! version, an `error` with `code: "bad_offset"` and its offset (§5.3).
//! Each is a variant of its own in [`Request`](super::Request) and
//! [`ServerMessage`](super::ServerMessage), so a program cannot treat an
//! ephemeral envelope as a stored one (or lose a stale version's current
//! hash) by forgetting to look at a field, and so the version-1 variants
//! keep exactly their fields.
//!
//! serde tags those variants with an internal name that is never a wire
//! type. Decoding renames the wire type to it after the type was checked
//! against the known list (so a peer cannot send the internal name), and
//! encoding renames it back and adds the marking field.

use serde_json::{Map, Value};

/// The internal tag of a frame of wire type `ty`, when its fields make it
/// the second variant of that type; `Err` with a reason for a marking
/// field of the wrong JSON type.
pub(super) fn internal_type(
    ty: &str,
    map: &Map<String, Value>,
) -> Result<Option<&'static str>, String> {
    let flag = |field: &str| match map.get(field) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("bad `{ty}`: `{field}` must be true or false")),
    };
    Ok(match ty {
        "send" if flag("ephemeral")? => Some("send_ephemeral"),
        "deliver" if flag("ephemeral")? => Some("deliver_ephemeral"),
        "sent" if map.get("delivered").is_some_and(|v| !v.is_null()) => Some("sent_ephemeral"),
        "error"
            if map.get("code").and_then(Value::as_str) == Some("stale_version")
                && map.contains_key("current_version") =>
        {
            Some("stale_version")
        }
        "error"
            if map.get("code").and_then(Value::as_str) == Some("bad_offset")
                && map.contains_key("offset") =>
        {
            Some("bad_offset")
        }
        _ => None,
    })
}

/// Rewrites an encoded message tagged with an internal name into its wire
/// form; other messages are left alone.
pub(super) fn to_wire_form(map: &mut Map<String, Value>) {
    let (ty, field, value) = match map.get("type").and_then(Value::as_str) {
        Some("send_ephemeral") => ("send", "ephemeral", Value::Bool(true)),
        Some("deliver_ephemeral") => ("deliver", "ephemeral", Value::Bool(true)),
        Some("sent_ephemeral") => ("sent", "queued", Value::Bool(false)),
        Some("stale_version") => ("error", "code", Value::from("stale_version")),
        Some("bad_offset") => ("error", "code", Value::from("bad_offset")),
        _ => return,
    };
    map.insert("type".into(), Value::from(ty));
    map.insert(field.into(), value);
}
