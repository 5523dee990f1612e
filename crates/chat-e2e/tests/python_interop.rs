//! The other direction of the known-answer tests: envelopes made by this
//! crate are written to a temp dir and checked by testdata/e2e/verify.py
//! with Python `cryptography` (OpenSSL), group states by
//! testdata/groups/verify.py, and file blobs with their `file` payloads
//! by testdata/files/gen.py --check. RSA-OAEP and RSA-PSS are
//! randomized, so only an independent implementation can tell that ours
//! are right. Skipped, loudly, when python3 or the module is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use chat_e2e::group::{GroupState, Membership, SignedGroupState};
use chat_e2e::{Payload, ReceiptStatus};
use common::{HOUR, Peer, T0, alice_and_bob, group_outcome, identity, repo_path};
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

/// Whether the Python side can run; fails in CI instead of skipping.
fn python_available(test: &str) -> bool {
    if python_with_cryptography() {
        return true;
    }
    // In CI the module is installed by .ci/run: a skip there would hide a
    // missing install step, so it fails instead.
    assert!(
        std::env::var_os("CI").is_none(),
        "python3-cryptography is missing in CI"
    );
    eprintln!(
        "SKIPPED {test}: python3 with the `cryptography` module is not available \
         (apt-get install python3-cryptography)"
    );
    false
}

fn run_python(script: &str, doc: &Value) -> String {
    run_python_with(script, &[], doc)
}

/// Runs `script FLAGS... INPUT.json`.
fn run_python_with(script: &str, flags: &[&str], doc: &Value) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.json");
    std::fs::write(&file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    let out = Command::new(python())
        .arg(repo_path(script))
        .args(flags)
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
}

#[test]
fn python_cryptography_checks_our_group_states() {
    if !python_available("python_cryptography_checks_our_group_states") {
        return;
    }
    let ids: Vec<_> = ["alice", "bob", "carol"].map(identity).into();
    let (alice, bob, carol) = (&ids[0], &ids[1], &ids[2]);
    let sign = |s: GroupState, k: &chat_e2e::IdentityKey| SignedGroupState::sign(s, k).unwrap();

    let name = "Rust \u{2713} \"group\" \\ \u{1f600}";
    let m1 = Membership::new(name, ["alice", "bob", "dave"], ["alice"]);
    let gid = uuid::Uuid::new_v4();
    let v1 = sign(
        GroupState::genesis(gid, m1, "alice", alice.fingerprint()).unwrap(),
        alice,
    );
    let mut m2 = v1.state().membership().clone();
    m2.add("carol");
    m2.make_admin("bob");
    let v2 = sign(
        v1.state()
            .successor(m2, "alice", alice.fingerprint())
            .unwrap(),
        alice,
    );
    let mut m3 = v2.state().membership().clone();
    m3.remove("dave");
    let v3 = sign(
        v2.state().successor(m3, "bob", bob.fingerprint()).unwrap(),
        bob,
    );
    let mut m4 = v3.state().membership().clone();
    m4.remove("carol");
    let v4 = sign(
        v3.state()
            .successor(m4, "carol", carol.fingerprint())
            .unwrap(),
        carol,
    );
    let mut m_bad = v2.state().membership().clone();
    m_bad.add("mallory");
    let by_carol = sign(
        v2.state()
            .successor(m_bad, "carol", carol.fingerprint())
            .unwrap(),
        carol,
    );

    let chain = [&v1, &v2, &v3, &v4];
    let states: Vec<Value> = chain
        .iter()
        .map(|s| {
            json!({
                "state": s.to_json(),
                "state_bytes_hex": hex::encode(s.state().to_bytes()),
                "state_hash": s.state().hash().to_hex(),
            })
        })
        .collect();
    let keys: Map<String, Value> = ids
        .iter()
        .zip(["alice", "bob", "carol"])
        .map(|(k, n)| (n.to_string(), json!({"public_pem": k.public_pem()})))
        .collect();
    let keys = Value::Object(keys);
    let j = |s: &SignedGroupState| Value::Object(s.to_json());
    let cases = [
        ("bob joins", Value::Null, j(&v1), "bob"),
        ("carol added", Value::Null, j(&v2), "carol"),
        ("dave removed", j(&v2), j(&v3), "dave"),
        ("carol leaves", j(&v3), j(&v4), "alice"),
        ("non-admin carol adds", j(&v2), j(&by_carol), "bob"),
        ("gap", j(&v1), j(&v3), "bob"),
        ("replay", j(&v3), j(&v2), "bob"),
        ("duplicate", j(&v4), j(&v4), "bob"),
    ];
    let cases: Vec<Value> = cases
        .into_iter()
        .map(|(name, held, state, me)| {
            let expect = group_outcome(&keys, &held, &state, me);
            json!({"name": name, "held": held, "state": state, "me": me, "expect": expect})
        })
        .collect();
    let expects: Vec<&str> = cases
        .iter()
        .map(|c| c["expect"].as_str().unwrap())
        .collect();
    assert_eq!(
        expects,
        [
            "joined",
            "joined",
            "removed",
            "advanced",
            "group_not_admin",
            "group_version_gap",
            "group_stale",
            "duplicate"
        ]
    );
    let doc = json!({"keys": keys, "states": states, "cases": cases});
    let stdout = run_python("testdata/groups/verify.py", &doc);
    assert!(
        stdout.contains("4 group states verified, 8 cases agree"),
        "{stdout}"
    );
}

#[test]
fn python_cryptography_opens_our_envelopes() {
    if !python_available("python_cryptography_opens_our_envelopes") {
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
    let stdout = run_python("testdata/e2e/verify.py", &doc);
    assert!(
        stdout.contains("7 session keys verified and unwrapped, 8 messages decrypted"),
        "{stdout}"
    );
}

#[test]
fn python_cryptography_opens_our_file_blobs() {
    use chat_e2e::file::{BlobId, FileAttachment, FileKey, FileSealer, SealingReader, padme};
    if !python_available("python_cryptography_opens_our_file_blobs") {
        return;
    }
    let mut files = Vec::new();
    for size in [
        0u64,
        1,
        4095,
        4096,
        4097,
        262_143,
        262_144,
        262_145,
        600 * 1024,
    ] {
        // Fresh secrets and blob id, as a sender makes them.
        let key = FileKey::generate().unwrap();
        let blob = BlobId::from_bytes(rand_bytes());
        let sealer = FileSealer::new(&key, blob, size).unwrap();
        let file = common::file_pattern(size as usize);
        let mut reader = SealingReader::new(sealer, file.as_slice());
        let mut sealed = Vec::new();
        std::io::copy(&mut reader, &mut sealed).unwrap();
        let payload = Payload::file(
            FileAttachment {
                blob,
                key,
                digest: reader.digest().unwrap(),
                size,
                name: format!("pattern {size}.bin"),
                mime: "application/octet-stream".into(),
                thumbnail: (size == 1).then(|| vec![0x89, b'P', b'N', b'G']),
                caption: (size == 4097).then(|| "caption \u{2713}".to_string()),
            },
            T0,
        )
        .unwrap();
        files.push(json!({
            "name": format!("size_{size}"),
            "payload": String::from_utf8(payload.to_bytes().unwrap()).unwrap(),
            "blob_b64": chat_proto::encoding::b64_encode(&sealed),
        }));
    }
    let points = [
        2u64,
        3,
        4095,
        4097,
        262_145,
        1 << 20,
        (1 << 20) + 1,
        104_857_601,
        1 << 50,
    ];
    let doc = json!({
        "padme": points.iter().map(|x| json!([x, padme(*x)])).collect::<Vec<_>>(),
        "files": files,
    });
    let stdout = run_python_with("testdata/files/gen.py", &["--check"], &doc);
    assert!(
        stdout.contains("9 padme values agree, 9 rust blobs open"),
        "{stdout}"
    );
}

fn rand_bytes() -> [u8; 16] {
    *uuid::Uuid::new_v4().as_bytes()
}
