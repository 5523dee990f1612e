//! Every local-API method is documented where people and scripts look:
//! PROTOCOL.md (a row of §3's table, or the decision that adds it), the
//! OpenRPC document, and, in CamelCase, the D-Bus introspection XML. The
//! list comes from the closed `Request` enum, so a new method fails here
//! until its documentation exists.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use chatd_api::MethodKind;

fn doc(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| w[..1].to_uppercase() + &w[1..])
        .collect()
}

#[test]
fn every_method_is_in_protocol_md_openrpc_and_the_dbus_xml() {
    let protocol = doc("docs/PROTOCOL.md");
    let openrpc: serde_json::Value = serde_json::from_str(&doc("docs/api/openrpc.json")).unwrap();
    let xml = doc("docs/dbus/org.securechat.Chatd1.xml");
    let in_openrpc: Vec<&str> = openrpc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let mut missing = Vec::new();
    for method in MethodKind::ALL {
        let name = method.name();
        if !(protocol.contains(&format!("\n| {name} |")) || protocol.contains(&format!("`{name}`")))
        {
            missing.push(format!("{name}: docs/PROTOCOL.md (a §3 row or a D6 entry)"));
        }
        if !in_openrpc.contains(&name) {
            missing.push(format!(
                "{name}: docs/api/openrpc.json (run `cargo run -p xtask -- gen`)"
            ));
        }
        let dbus = format!("<method name=\"{}\">", camel(name));
        if !xml.contains(&dbus) {
            missing.push(format!(
                "{name}: docs/dbus/org.securechat.Chatd1.xml has no {dbus}"
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "undocumented methods:\n{}",
        missing.join("\n")
    );
}
