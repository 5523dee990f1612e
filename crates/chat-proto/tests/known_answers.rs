//! Known-answer tests: the shared protocol vectors (made by an independent
#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Python/OpenSSL implementation) and data made with the openssl CLI must
//! open with our code, and our outputs must open with openssl.

use chat_proto::crypto::{self, CryptoError};
use chat_proto::encoding::{b64_decode, tbs};
use chat_proto::sealed::{Sealed, credentials_aad};
use serde_json::Value;
use std::path::PathBuf;

fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(testdata(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
}

fn vectors() -> Value {
    serde_json::from_str(&read("vectors/v1.json")).expect("v1.json parses")
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string"))
}

#[test]
fn checked_in_vectors_match_the_shared_copy_when_present() {
    // The repository carries its own copy so CI never depends on a path
    // outside the clone; when the shared original sits beside us, they agree.
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors/v1.json");
    if let Ok(original) = std::fs::read_to_string(shared) {
        assert_eq!(original, read("vectors/v1.json"));
    }
}

#[test]
fn vector_keys_load_and_fingerprints_match() {
    let v = vectors();
    let server = crypto::private_key_from_pem(s(&v, &["keys", "server", "private_pkcs1_pem"]))
        .expect("PKCS#1 loads");
    assert_eq!(
        crypto::fingerprint(&server.to_public_key()),
        s(&v, &["keys", "server", "fingerprint"])
    );
    for who in ["alice", "bob"] {
        let key = crypto::private_key_from_pem(s(&v, &["keys", who, "private_pkcs8_pem"]))
            .expect("PKCS#8 loads");
        let public =
            crypto::public_key_from_pem(s(&v, &["keys", who, "public_pem"])).expect("SPKI loads");
        assert_eq!(key.to_public_key(), public);
        assert_eq!(
            crypto::fingerprint(&public),
            s(&v, &["keys", who, "fingerprint"])
        );
        // Our PEM re-encoding parses back to the same key.
        let again =
            crypto::public_key_from_pem(&crypto::public_key_to_pem(&public)).expect("round trip");
        assert_eq!(again, public);
    }
}

#[test]
fn vector_tbs_encodings_match() {
    let v = vectors();
    let cases = v["tbs"].as_array().expect("tbs list");
    assert!(!cases.is_empty());
    for case in cases {
        let fields: Vec<&str> = case["fields"]
            .as_array()
            .expect("fields")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let bytes: Vec<&[u8]> = fields.iter().map(|f| f.as_bytes()).collect();
        assert_eq!(hex::encode(tbs(&bytes)), case["hex"].as_str().expect("hex"));
    }
}

#[test]
fn vector_credentials_open_only_with_their_nonce() {
    let v = vectors();
    let c = &v["credentials"];
    let server = crypto::private_key_from_pem(s(&v, &["keys", "server", "private_pkcs1_pem"]))
        .expect("server key");
    let aad = credentials_aad(s(c, &["hello_nonce"]));
    assert_eq!(hex::encode(&aad), s(c, &["aad_hex"]));
    let sealed: Sealed = serde_json::from_value(c["sealed"].clone()).expect("sealed shape");
    let pt = sealed.open(&server, &aad).expect("opens");
    assert_eq!(pt.as_slice(), s(c, &["plaintext"]).as_bytes());
    let creds: chat_proto::wire::PasswordCredentials = serde_json::from_slice(&pt).expect("json");
    assert_eq!(creds.username, "alice");
    let other = credentials_aad("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
    assert_eq!(
        sealed.open(&server, &other).err(),
        Some(CryptoError::Decrypt)
    );
    let alice = crypto::private_key_from_pem(s(&v, &["keys", "alice", "private_pkcs8_pem"]))
        .expect("alice");
    assert!(
        sealed.open(&alice, &aad).is_err(),
        "only the server key opens it"
    );
}

#[test]
fn our_sealed_blobs_open_with_our_code_and_fail_when_tampered() {
    let v = vectors();
    let server = crypto::private_key_from_pem(s(&v, &["keys", "server", "private_pkcs1_pem"]))
        .expect("server key");
    let aad = credentials_aad("bm9uY2U=");
    let sealed =
        Sealed::seal(&server.to_public_key(), &aad, b"{\"username\":\"a\"}").expect("seal");
    assert_eq!(
        sealed.open(&server, &aad).expect("open").as_slice(),
        b"{\"username\":\"a\"}"
    );
    let mut bad = sealed.clone();
    bad.ct = chat_proto::encoding::b64_encode(b"short");
    assert!(bad.open(&server, &aad).is_err());
    let mut bad = sealed;
    bad.nonce = "AAAA".into();
    assert_eq!(
        bad.open(&server, &aad).err(),
        Some(CryptoError::BadField("nonce"))
    );
}

#[test]
fn openssl_keys_load_in_both_encodings() {
    let pkcs1 = crypto::private_key_from_pem(&read("openssl/pkcs1.pem"))
        .expect("openssl genrsa -traditional");
    let pkcs8 = crypto::private_key_from_pem(&read("openssl/pkcs8.pem")).expect("openssl genpkey");
    assert_eq!(
        crypto::fingerprint(&pkcs1.to_public_key()),
        read("openssl/pkcs1.fingerprint").trim()
    );
    assert_eq!(
        crypto::public_key_from_pem(&read("openssl/pkcs8.pub.pem")).expect("spki"),
        pkcs8.to_public_key()
    );
    assert!(
        crypto::private_key_from_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err()
    );
}

#[test]
fn weak_keys_are_refused() {
    assert_eq!(
        crypto::public_key_from_pem(&read("openssl/weak1024.pub.pem")).err(),
        Some(CryptoError::WeakKey)
    );
    assert_eq!(
        crypto::public_key_from_pem("not a key").err(),
        Some(CryptoError::BadPem)
    );
}

#[test]
fn openssl_oaep_and_pss_open_here() {
    let key = crypto::private_key_from_pem(&read("openssl/pkcs8.pem")).expect("key");
    let message = std::fs::read(testdata("openssl/message.bin")).expect("message");
    let oaep = std::fs::read(testdata("openssl/oaep.bin")).expect("oaep");
    assert_eq!(
        crypto::oaep_decrypt(&key, &oaep)
            .expect("decrypts")
            .as_slice(),
        message.as_slice()
    );
    let sig = std::fs::read(testdata("openssl/pss.sig")).expect("sig");
    crypto::pss_verify(&key.to_public_key(), &message, &sig).expect("verifies");
    assert_eq!(
        crypto::pss_verify(&key.to_public_key(), b"other", &sig).err(),
        Some(CryptoError::BadSignature)
    );
}

#[test]
fn openssl_gcm_known_answer() {
    let text = read("openssl/gcm.txt");
    let f: Vec<Vec<u8>> = text.lines().map(|l| hex::decode(l).expect("hex")).collect();
    let key: [u8; 32] = f[0].clone().try_into().expect("key");
    let nonce: [u8; 12] = f[1].clone().try_into().expect("nonce");
    assert_eq!(
        crypto::aead_seal(&key, &nonce, &f[3], &f[2]).expect("seal"),
        f[4]
    );
    assert_eq!(
        crypto::aead_open(&key, &nonce, &f[4], &f[2])
            .expect("open")
            .as_slice(),
        f[3].as_slice()
    );
    assert!(crypto::aead_open(&key, &nonce, &f[4], b"other aad").is_err());
}

/// Our RSA outputs must open with an independent implementation: the
/// openssl CLI (installed by .ci/run).
#[test]
fn our_oaep_and_pss_open_with_openssl() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = crypto::private_key_from_pem(&read("openssl/pkcs8.pem")).expect("key");
    let msg = b"32 bytes of session key material";
    let ct = crypto::oaep_encrypt(&key.to_public_key(), msg).expect("encrypt");
    let sig = crypto::pss_sign(&key, msg).expect("sign");
    std::fs::write(dir.path().join("ct"), ct).expect("write");
    std::fs::write(dir.path().join("sig"), sig).expect("write");
    std::fs::write(dir.path().join("msg"), msg).expect("write");
    let run = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let pkcs8 = testdata("openssl/pkcs8.pem");
    let pub_pem = testdata("openssl/pkcs8.pub.pem");
    let plain = run(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        pkcs8.to_str().expect("path"),
        "-in",
        "ct",
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
        "-pkeyopt",
        "rsa_mgf1_md:sha256",
    ]);
    assert_eq!(plain, msg);
    let verified = run(&[
        "dgst",
        "-sha256",
        "-verify",
        pub_pem.to_str().expect("path"),
        "-signature",
        "sig",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:32",
        "-sigopt",
        "rsa_mgf1_md:sha256",
        "msg",
    ]);
    assert!(String::from_utf8_lossy(&verified).contains("Verified OK"));
    // And the fingerprint agrees with openssl's view of the key.
    let der = run(&[
        "pkey",
        "-pubin",
        "-in",
        pub_pem.to_str().expect("path"),
        "-outform",
        "DER",
    ]);
    assert_eq!(
        crypto::fingerprint(&key.to_public_key()),
        hex::encode(crypto::sha256(&der))
    );
}

#[test]
fn fingerprint_display_forms() {
    let fpr = "321f2341a7a7eab6e211c5d16a6ab3ea0599b8fd7d4b2d9eaaf109b68adc1d33";
    let shown = crypto::format_fingerprint(fpr);
    assert_eq!(shown.split(' ').count(), 16);
    assert_eq!(
        crypto::parse_fingerprint(&shown.to_uppercase()).as_deref(),
        Some(fpr)
    );
    assert_eq!(crypto::parse_fingerprint("abc"), None);
    assert!(b64_decode("!", "x").is_err());
}
