//! Files (PROTOCOL.md §5): the `file` and `group_file` payload decoder and
//! the blob opener. The first byte picks what the rest is:
//!
//! - 0: a payload plaintext: decodes or is refused without panics, and a
//!   file payload that decodes re-encodes to one that decodes the same.
//! - 1: a blob under a fixed key, prefix and blob id, for a size read from
//!   the next 4 bytes (at most 3 chunks): streamed through
//!   `OpeningWriter` in pieces, and its first chunk through `open_chunk`;
//!   whatever opens has exactly the size's bytes.
//! - 2: a file: sealed through `SealingReader`, opened again to the same
//!   bytes, and refused once one bit of the blob is flipped.

#![no_main]

use std::io::Write;

use chat_e2e::Payload;
use chat_e2e::file::{BlobId, FileKey, FileOpener, FileSealer, OpeningWriter, SealingReader};
use libfuzzer_sys::fuzz_target;

fn key() -> FileKey {
    FileKey::from_parts([7; 32], [9; 8])
}

fn blob() -> BlobId {
    BlobId::from_bytes([0xab; 16])
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => payload(rest),
        1 => open(rest),
        _ => seal_open(rest),
    }
});

fn payload(bytes: &[u8]) {
    if let Ok(p @ (Payload::File(_) | Payload::GroupFile(_))) = Payload::from_bytes(bytes) {
        let again = p.to_bytes().expect("a file payload encodes");
        assert_eq!(Payload::from_bytes(&again).expect("re-decodes"), p);
        if let Payload::File(f) = &p {
            f.file.opener().expect("a decoded size is openable");
        }
    }
}

fn open(bytes: &[u8]) {
    if bytes.len() < 5 {
        return;
    }
    let size = u64::from(u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])) % 600_000;
    let piece = usize::from(bytes[4]).max(1) * 97;
    let blob_bytes = &bytes[5..];
    let opener = FileOpener::new(&key(), blob(), size).expect("size in range");
    let mut first = blob_bytes[..blob_bytes.len().min(opener.sealed_len(0))].to_vec();
    if opener.open_chunk(0, &mut first).is_ok() {
        assert_eq!(first.len(), opener.file_len(0));
    }
    let digest = {
        let mut h = chat_e2e::file::BlobHasher::new();
        h.update(blob_bytes);
        h.finish()
    };
    let mut w = OpeningWriter::new(opener, digest, Vec::new());
    let ok = blob_bytes.chunks(piece).all(|p| w.write_all(p).is_ok());
    if let (true, Ok(out)) = (ok, w.finish()) {
        assert_eq!(out.len() as u64, size);
    }
}

fn seal_open(file: &[u8]) {
    let size = file.len() as u64;
    let sealer = FileSealer::new(&key(), blob(), size).expect("size in range");
    let mut reader = SealingReader::new(sealer, file);
    let mut sealed = Vec::new();
    std::io::copy(&mut reader, &mut sealed).expect("seals");
    let digest = reader.digest().expect("digest after the whole blob");
    let opener = || FileOpener::new(&key(), blob(), size).expect("size in range");
    let mut w = OpeningWriter::new(opener(), digest, Vec::new());
    w.write_all(&sealed).expect("opens");
    assert_eq!(w.finish().expect("complete"), file);
    let at = file.first().map_or(0, |b| usize::from(*b) * 31) % sealed.len();
    sealed[at] ^= 0x10;
    let mut w = OpeningWriter::new(opener(), digest, Vec::new());
    let refused = w.write_all(&sealed).is_err() || w.finish().is_err();
    assert!(refused, "a flipped bit at {at} went unnoticed");
}
