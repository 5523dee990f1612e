//! The local API as an OpenRPC 1.x document (`docs/api/openrpc.json`),
//! generated from the very types chatd and the client (de)serialise, so the
//! contract script authors read cannot drift from the code: every method of
//! [`MethodKind::ALL`] with its params (by name) and result schemas, the
//! error codes, and the `event` notification. `cargo run -p xtask -- gen`
//! writes it; a test fails when the checked-in copy is stale.

use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::error::ErrorCode;
use crate::method::MethodKind;
use crate::types::Event;

/// Where the shared schemas live in the document.
const COMPONENTS: &str = "/components/schemas";

/// The OpenRPC document, pretty-printed with a final newline.
pub fn openrpc_text() -> String {
    let mut text = serde_json::to_string_pretty(&openrpc()).unwrap_or_default();
    text.push('\n');
    text
}

/// The OpenRPC document of the local API.
pub fn openrpc() -> Value {
    let settings = SchemaSettings::draft2020_12().with(|s| {
        s.definitions_path = COMPONENTS.into();
        s.meta_schema = None;
    });
    let mut generator = SchemaGenerator::new(settings);
    let mut shapes = Vec::new();
    for kind in MethodKind::ALL {
        let (params, result) = kind.schemas(&mut generator);
        shapes.push((*kind, params.to_value(), result.to_value()));
    }
    let event = generator.subschema_for::<Event>().to_value();
    let schemas = generator.take_definitions(true);
    let methods: Vec<Value> = shapes
        .into_iter()
        .map(|(kind, params, result)| method(kind, &params, result, &schemas))
        .collect();
    json!({
        "openrpc": "1.3.2",
        "info": {
            "title": "SecureChat local API (chatd)",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "JSON-RPC 2.0, one object per line, on \
                $XDG_RUNTIME_DIR/securechat/chatd.sock (PROTOCOL.md §3 and \
                docs/PROTOCOL.md D6). Params are by name; a method without \
                params takes `{}` or none. Errors carry their symbolic name in \
                `data.code`. Generated from crates/chatd-api by \
                `cargo run -p xtask -- gen`; do not edit.",
        },
        "methods": methods,
        "components": {
            "schemas": schemas,
            "errors": errors(),
        },
        "x-notifications": [{
            "name": "event",
            "summary": "Sent by chatd on a connection after `subscribe`: \
                {\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":<event>}",
            "params": [{"name": "event", "required": true, "schema": event}],
        }],
    })
}

/// One method object: params by name, read from the params struct's
/// properties.
fn method(kind: MethodKind, params: &Value, result: Value, schemas: &Map<String, Value>) -> Value {
    let object = resolve(params, schemas);
    let required: Vec<&str> = object
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let params: Vec<Value> = object
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, schema)| {
                    let mut p = json!({
                        "name": name,
                        "required": required.contains(&name.as_str()),
                        "schema": schema,
                    });
                    if let Some(d) = schema.get("description") {
                        p["description"] = d.clone();
                    }
                    p
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "name": kind.name(),
        "description": kind.doc().trim(),
        "paramStructure": "by-name",
        "params": params,
        "result": {"name": "result", "schema": result},
    })
}

/// A `$ref` into the components, followed once (params structs are
/// always named types).
fn resolve<'a>(schema: &'a Value, schemas: &'a Map<String, Value>) -> &'a Value {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
        .and_then(|name| schemas.get(name))
        .unwrap_or(schema)
}

/// Every error code as an OpenRPC error object.
fn errors() -> Map<String, Value> {
    ErrorCode::ALL
        .into_iter()
        .map(|code| {
            (
                code.name().to_string(),
                json!({
                    "code": code.number(),
                    "message": code.name(),
                    "data": {"code": code.name()},
                }),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_method_has_its_params_and_result() {
        let doc = openrpc();
        let methods = doc["methods"].as_array().unwrap();
        assert_eq!(methods.len(), MethodKind::ALL.len());
        let send = methods.iter().find(|m| m["name"] == "send").unwrap();
        let names: Vec<&str> = send["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        // By name, so in the order of a JSON object's keys.
        assert_eq!(names, ["group", "text", "to"]);
        // `text` is required; `to` and `group` are each optional (exactly
        // one is given, which a schema of params by name cannot say).
        let required: Vec<bool> = send["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["required"].as_bool().unwrap())
            .collect();
        assert_eq!(required, [false, true, false]);
        let users = methods.iter().find(|m| m["name"] == "users").unwrap();
        assert!(!users["params"][0]["required"].as_bool().unwrap());
        let status = methods.iter().find(|m| m["name"] == "status").unwrap();
        assert_eq!(status["params"], json!([]));
        assert_eq!(
            status["result"]["schema"]["$ref"],
            "#/components/schemas/Status"
        );
        assert_eq!(doc["components"]["errors"]["key_changed"]["code"], -32004);
    }
}
