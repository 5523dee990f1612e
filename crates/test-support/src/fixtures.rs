//! Keys and data checked into `testdata/`: loading a key is instant, while
//! generating RSA-2048 costs hundreds of milliseconds.

use std::path::PathBuf;

use serde_json::Value;

/// The repository's `testdata/` directory.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

/// The shared protocol vectors (`testdata/vectors/v1.json`).
pub fn vectors() -> Value {
    let text = std::fs::read_to_string(testdata().join("vectors/v1.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// The public PEM of a vector key: "alice", "bob" or "server".
pub fn public_pem(who: &str) -> String {
    vectors()["keys"][who]["public_pem"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The private PEM of a vector key: "alice", "bob" (PKCS#8) or "server" (PKCS#1).
pub fn private_pem(who: &str) -> String {
    let keys = &vectors()["keys"][who];
    keys["private_pkcs8_pem"]
        .as_str()
        .or_else(|| keys["private_pkcs1_pem"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// A password that passes the protocol's rules.
pub const PASSWORD: &str = "correct horse battery";

/// A 1024-bit public key made by openssl: too weak for the protocol.
pub fn weak_public_pem() -> String {
    std::fs::read_to_string(testdata().join("openssl/weak1024.pub.pem")).unwrap_or_default()
}
