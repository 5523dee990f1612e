//! The blob construction of PROTOCOL.md §5.2 against the known answers
//! that testdata/files/gen.py wrote from the specification alone, with
//! Python `cryptography`: sizes and Padmé, every file sealed here byte for
//! byte as Python sealed it, every file opened, every refusal refused with
//! its own error, in both reading orders.
//!
//! Large blobs are not checked in whole. Their SHA-256 is: a blob sealed
//! here whose digest equals Python's is Python's blob, so opening it is
//! opening Python's; their first bytes, every chunk's tag and short last
//! chunks are checked (and opened) directly as well.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::{Cursor, Write};

use chat_e2e::file::{
    BlobDigest, BlobId, FileError, FileKey, FileOpener, FileSealer, OpeningWriter, SealingReader,
    blob_len, chunk_count, open_blob, padded_len, padme,
};
use chat_proto::encoding::b64_decode;
use common::{file_pattern, files, s};
use serde_json::Value;

fn n(v: &Value, key: &str) -> u64 {
    v[key]
        .as_u64()
        .unwrap_or_else(|| panic!("no integer `{key}`"))
}

fn b64(v: &Value, key: &str) -> Vec<u8> {
    b64_decode(s(v, key), "test").unwrap()
}

/// Key, blob id and size from an object with the payload's fields.
fn opener(p: &Value) -> FileOpener {
    FileOpener::new(&key(p), BlobId::parse(s(p, "blob")).unwrap(), n(p, "size")).unwrap()
}

fn key(p: &Value) -> FileKey {
    FileKey::from_parts(
        b64(p, "key").try_into().unwrap(),
        b64(p, "nonce").try_into().unwrap(),
    )
}

fn digest(p: &Value) -> BlobDigest {
    BlobDigest::parse(s(p, "digest")).unwrap()
}

/// The chunks of a `files` entry, sealed here.
fn seal(e: &Value) -> Vec<Vec<u8>> {
    let sealer =
        FileSealer::new(&key(e), BlobId::parse(s(e, "blob")).unwrap(), n(e, "size")).unwrap();
    let file = file_pattern(n(e, "size") as usize);
    let mut at = 0;
    (0..sealer.chunk_count())
        .map(|i| {
            let len = sealer.file_len(i);
            let mut buf = file[at..at + len].to_vec();
            at += len;
            sealer.seal_chunk(i, &mut buf).unwrap();
            buf
        })
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    let mut h = chat_e2e::file::BlobHasher::new();
    h.update(bytes);
    h.finish().to_hex()
}

#[test]
fn padme_and_the_sizes_agree_with_python() {
    let v = files();
    for pair in v["padme"].as_array().unwrap() {
        let (x, want) = (pair[0].as_u64().unwrap(), pair[1].as_u64().unwrap());
        assert_eq!(padme(x), want, "padme({x})");
    }
    for e in v["sizes"].as_array().unwrap() {
        let size = n(e, "size");
        assert_eq!(padded_len(size), n(e, "padded_len"), "padded_len({size})");
        assert_eq!(
            chunk_count(size),
            n(e, "chunk_count"),
            "chunk_count({size})"
        );
        assert_eq!(blob_len(size), n(e, "blob_len"), "blob_len({size})");
    }
}

#[test]
fn rust_seals_every_file_exactly_as_python() {
    let v = files();
    let entries = v["files"].as_array().unwrap();
    let sizes: Vec<u64> = entries.iter().map(|e| n(e, "size")).collect();
    for want in [0, 1, 4095, 4096, 4097, 262_143, 262_144, 262_145, 614_400] {
        assert!(sizes.contains(&want), "no vector of {want} bytes");
    }
    assert!(sizes.iter().any(|s| *s > 2 << 20), "no vector past 2 MiB");
    for e in entries {
        let name = s(e, "name");
        let chunks = seal(e);
        let blob = chunks.concat();
        assert_eq!(blob.len() as u64, n(e, "blob_len"), "{name}");
        assert_eq!(sha256_hex(&blob), s(e, "digest"), "{name}");
        let tags: Vec<String> = chunks.iter().map(|c| hex(&c[c.len() - 16..])).collect();
        let want: Vec<&str> = e["tags_hex"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(tags, want, "{name}");
        if e.get("blob_b64").is_some() {
            assert_eq!(blob, b64(e, "blob_b64"), "{name}");
        } else {
            assert_eq!(&blob[..64], b64(e, "head_b64"), "{name}");
        }
        if e.get("last_chunk_b64").is_some() {
            assert_eq!(chunks.last().unwrap(), &b64(e, "last_chunk_b64"), "{name}");
        }
        // The streaming sealer makes the same blob and the same digest.
        let sealer =
            FileSealer::new(&key(e), BlobId::parse(s(e, "blob")).unwrap(), n(e, "size")).unwrap();
        let mut r = SealingReader::new(sealer, Cursor::new(file_pattern(n(e, "size") as usize)));
        let mut streamed = Vec::new();
        std::io::copy(&mut r, &mut streamed).unwrap();
        assert_eq!(streamed, blob, "{name}");
        assert_eq!(r.digest().unwrap().to_hex(), s(e, "digest"), "{name}");
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_file_opens_to_its_pattern() {
    let v = files();
    for e in v["files"].as_array().unwrap() {
        let name = s(e, "name");
        let size = n(e, "size") as usize;
        // Python's own bytes where they are checked in, else ours, proven
        // equal to Python's by the digest (the test above).
        let blob = match e.get("blob_b64") {
            Some(_) => b64(e, "blob_b64"),
            None => seal(e).concat(),
        };
        assert_eq!(sha256_hex(&blob), s(e, "digest"), "{name}");
        let out = open_blob(opener(e), digest(e), &mut Cursor::new(&blob), Vec::new()).unwrap();
        assert_eq!(out, file_pattern(size), "{name}");
        // Streaming, in pieces that straddle chunk boundaries.
        let mut w = OpeningWriter::new(opener(e), digest(e), Vec::new());
        for piece in blob.chunks(100_003) {
            w.write_all(piece).unwrap();
        }
        assert_eq!(w.finish().unwrap(), file_pattern(size), "{name}");
        if e.get("last_chunk_b64").is_some() {
            let o = opener(e);
            let last = o.chunk_count() - 1;
            let mut c = b64(e, "last_chunk_b64");
            o.open_chunk(last, &mut c).unwrap();
            let start = (last * 262_144) as usize;
            assert_eq!(c, file_pattern(size)[start..], "{name}");
        }
    }
}

/// The blob a refusal describes, built from chunks sealed here.
fn refused_blob(r: &Value, sealed: &BTreeMap<String, Vec<Vec<u8>>>) -> Vec<u8> {
    let mut blob = Vec::new();
    for p in r["parts"].as_array().unwrap() {
        match p.get("vector") {
            Some(name) => {
                blob.extend_from_slice(&sealed[name.as_str().unwrap()][n(p, "chunk") as usize])
            }
            None => blob.extend(b64(p, "b64")),
        }
    }
    if let Some(f) = r.get("flip") {
        blob[f[0].as_u64().unwrap() as usize] ^= f[1].as_u64().unwrap() as u8;
    }
    if let Some(cut) = r.get("cut") {
        blob.truncate(cut.as_u64().unwrap() as usize);
    }
    blob
}

fn matches(err: &FileError, want: &Value) -> bool {
    let sealed_as = match err {
        FileError::SwappedChunk { sealed_as, .. } => Some(*sealed_as),
        _ => None,
    };
    err.code() == s(want, "code")
        && err.chunk() == want.get("index").and_then(Value::as_u64)
        && sealed_as == want.get("sealed_as").and_then(Value::as_u64)
}

#[test]
fn every_refusal_is_refused_with_its_own_error() {
    let v = files();
    let sealed: BTreeMap<String, Vec<Vec<u8>>> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (s(e, "name").to_string(), seal(e)))
        .collect();
    let refused = v["refused"].as_array().unwrap();
    let mut codes = std::collections::BTreeSet::new();
    for r in refused {
        let name = s(r, "name");
        let blob = refused_blob(r, &sealed);
        assert_eq!(
            sha256_hex(&blob),
            s(r, "blob_digest"),
            "{name}: not Python's blob"
        );
        let p = &r["payload"];

        let err =
            open_blob(opener(p), digest(p), &mut Cursor::new(&blob), Vec::new()).expect_err(name);
        let err = FileError::from_io(&err).unwrap_or_else(|| panic!("{name}: {err}"));
        assert!(matches(err, &r["error"]), "{name}: {err:?}");
        codes.insert(err.code());

        let mut w = OpeningWriter::new(opener(p), digest(p), Vec::new());
        let streamed = blob
            .chunks(65_536)
            .try_for_each(|piece| w.write_all(piece))
            .and_then(|()| w.finish().map(drop));
        let err = streamed.expect_err(name);
        let err = FileError::from_io(&err).unwrap_or_else(|| panic!("{name}: {err}"));
        assert!(matches(err, &r["stream_error"]), "{name} (stream): {err:?}");
        codes.insert(err.code());
    }
    let want = [
        "bad_padding",
        "digest_mismatch",
        "early_final",
        "missing_final",
        "size_mismatch",
        "swapped_chunk",
        "tampered_chunk",
        "trailing_bytes",
        "truncated",
        "wrong_blob",
    ];
    assert_eq!(codes.into_iter().collect::<Vec<_>>(), want);
}

#[test]
fn python_file_payloads_decode_and_encode_back_to_the_same_bytes() {
    use chat_e2e::{Payload, PayloadError};
    let v = files();
    let p = &v["payloads"];
    let mut by_name = BTreeMap::new();
    for e in p["encoded"].as_array().unwrap() {
        let (name, plaintext) = (s(e, "name"), s(e, "plaintext"));
        let payload = Payload::from_bytes(plaintext.as_bytes()).unwrap();
        assert!(
            matches!(payload, Payload::File(_) | Payload::GroupFile(_)),
            "{name}"
        );
        assert_eq!(payload.to_bytes().unwrap(), plaintext.as_bytes(), "{name}");
        by_name.insert(name.to_string(), payload);
    }
    assert_eq!(by_name.len(), 4);
    // The payload's fields open the blob they name (size_4097's).
    let Payload::File(f) = &by_name["file"] else {
        panic!("not a file")
    };
    let blob = b64(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| s(e, "name") == "size_4097")
            .unwrap(),
        "blob_b64",
    );
    let out = open_blob(
        f.file.opener().unwrap(),
        f.file.digest,
        &mut Cursor::new(blob),
        Vec::new(),
    )
    .unwrap();
    assert_eq!(out, file_pattern(4097));
    for e in p["lenient"].as_array().unwrap() {
        let got = Payload::from_bytes(s(e, "plaintext").as_bytes()).unwrap();
        assert_eq!(got, by_name[s(e, "same_as")], "{}", s(e, "name"));
    }
    let refused = p["refused"].as_array().unwrap();
    assert!(refused.len() >= 30);
    for e in refused {
        let (name, field) = (s(e, "name"), s(e, "field"));
        let got = Payload::from_bytes(s(e, "plaintext").as_bytes());
        let ok = match &got {
            Err(PayloadError::BadField(f)) => *f == field,
            Err(PayloadError::FileTooLarge { .. }) => field == "size_over_limit",
            _ => false,
        };
        assert!(ok, "{name}: {got:?}");
    }
}
