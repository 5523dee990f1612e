//! Fixed keys for the targets that reach a decrypt path: the protocol
//! vectors' test keys (testdata/vectors/v1.json), compiled in so that a
//! fuzz run needs no files and every run uses the same keys.

#![allow(dead_code)]

use serde_json::Value;

const VECTORS: &str = include_str!("../../testdata/vectors/v1.json");

/// A field of the vectors file, e.g. `["keys", "bob", "private_pkcs8_pem"]`.
pub fn field(path: &[&str]) -> String {
    let mut v: Value = serde_json::from_str(VECTORS).expect("vectors parse");
    for p in path {
        v = v[p].take();
    }
    v.as_str().expect("string field").to_string()
}
