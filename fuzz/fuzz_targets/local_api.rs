//! The local-API line parser (chatd_api::jsonrpc), which chatd runs on every
//! line a frontend sends and frontends run on every line from chatd: any
//! line is answered without panics, and a request that parses survives
//! re-serialisation unchanged.

#![no_main]

use chatd_api::jsonrpc::{parse_incoming, parse_request};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_incoming(line);
    if let Ok(request) = parse_request(line) {
        let mut obj = Map::new();
        obj.insert("jsonrpc".into(), "2.0".into());
        if let Some(id) = &request.id {
            obj.insert("id".into(), id.clone());
        }
        obj.insert("method".into(), request.method.clone().into());
        obj.insert("params".into(), Value::Object(request.params.clone()));
        let again = parse_request(&Value::Object(obj).to_string()).expect("re-serialised");
        assert_eq!(again, request);
    }
});
