//! The other direction of the known-answer tests: envelopes made by this
//! crate are written to a temp dir and checked by testdata/e2e/verify.py
//! with Python `cryptography` (OpenSSL). RSA-OAEP and RSA-PSS are
//! randomized, so only an independent implementation can tell that ours
//! are right. Skipped, loudly, when python3 or the module is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use chat_e2e::{Payload, ReceiptStatus};
use common::{HOUR, Peer, T0, alice_and_bob, repo_path};
use serde_json::{Map, Value, json};

/// The interpreter: `$SECURECHAT_PYTHON` (CI points it at Debian's python3
/// with python3-cryptography), else `python3` on PATH.
fn python() -> String {
    std::env::var("SECURECHAT_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn python_with_cryptography() -> bool {
    Command::new(python())
        .args(["-c", "import cryptography"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Envelopes from one sender to one recipient, with the plaintext each
/// msg must decrypt to.
struct Conversation {
    from: String,
    to: String,
    envelopes: Vec<Map<String, Value>>,
    plaintexts: BTreeMap<String, String>,
}

impl Conversation {
    fn new(from: &str, to: &str) -> Self {
        Self {
            from: from.into(),
            to: to.into(),
            envelopes: Vec::new(),
            plaintexts: BTreeMap::new(),
        }
    }

    /// Sends through `peer`, records the envelopes, delivers them to `other`.
    fn send(&mut self, peer: &mut Peer, other: &mut Peer, payload: &Payload, now: i64) {
        let envs = peer.send(&self.to, payload, now);
        let msg = envs.last().unwrap();
        let id = format!("{}:{}", msg["key_id"].as_str().unwrap(), msg["seq"]);
        let text = String::from_utf8(payload.to_bytes().unwrap()).unwrap();
        self.plaintexts.insert(id, text);
        other.recv_all(&self.from, &envs, now);
        self.envelopes.extend(envs);
    }

    fn to_json(&self) -> Value {
        json!({
            "from": self.from, "to": self.to,
            "envelopes": self.envelopes, "plaintexts": self.plaintexts,
        })
    }
}

fn key_entry(peer: &Peer) -> Value {
    let id = peer.engine.identity();
    json!({
        "private_pkcs8_pem": id.to_pkcs8_pem().unwrap().as_str(),
        "public_pem": id.public_pem(),
        "fingerprint": id.fingerprint(),
    })
}

#[test]
fn python_cryptography_opens_our_envelopes() {
    if !python_with_cryptography() {
        // In CI the module is installed by .ci/run: a skip there would hide
        // a missing install step, so it fails instead.
        assert!(
            std::env::var_os("CI").is_none(),
            "python3-cryptography is missing in CI"
        );
        eprintln!(
            "SKIPPED python_cryptography_opens_our_envelopes: python3 with the `cryptography` \
             module is not available (apt-get install python3-cryptography)"
        );
        return;
    }
    let (mut alice, mut bob) = alice_and_bob();
    let mut ab = Conversation::new("alice", "bob");
    let mut ba = Conversation::new("bob", "alice");

    let mut sent = Vec::new();
    for (i, text) in ["hello bob", "unicode \u{2713} \u{1f600} \"q\" \\ \n", ""]
        .iter()
        .enumerate()
    {
        let p = Payload::text(*text, T0 + i as i64).unwrap();
        sent.push(p.id().unwrap());
        ab.send(&mut alice, &mut bob, &p, T0 + i as i64);
    }
    let receipt = Payload::receipt(ReceiptStatus::Delivered, sent.clone(), T0 + 10).unwrap();
    ba.send(&mut bob, &mut alice, &receipt, T0 + 10);
    ba.send(
        &mut bob,
        &mut alice,
        &Payload::text("hi alice", T0 + 11).unwrap(),
        T0 + 11,
    );
    // Confirmed now: a message without its announcement, then a rotation.
    ab.send(
        &mut alice,
        &mut bob,
        &Payload::text("confirmed", T0 + 12).unwrap(),
        T0 + 12,
    );
    ab.send(
        &mut alice,
        &mut bob,
        &Payload::text("next day", T0 + 25 * HOUR).unwrap(),
        T0 + 25 * HOUR,
    );
    let read = Payload::receipt(ReceiptStatus::Read, sent, T0 + 26 * HOUR).unwrap();
    ba.send(&mut bob, &mut alice, &read, T0 + 26 * HOUR);

    let kinds: Vec<&str> = ab
        .envelopes
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "session_key",
            "msg",
            "session_key",
            "msg",
            "session_key",
            "msg",
            "msg",
            "session_key",
            "msg"
        ]
    );

    let doc = json!({
        "keys": {"alice": key_entry(&alice), "bob": key_entry(&bob)},
        "conversations": [ab.to_json(), ba.to_json()],
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envelopes.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let out = Command::new(python())
        .arg(repo_path("testdata/e2e/verify.py"))
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "verify.py failed:\n{stdout}\n{stderr}"
    );
    assert!(
        stdout.contains("7 session keys verified and unwrapped, 8 messages decrypted"),
        "{stdout}"
    );
}
