//! Properties of the file construction (PROTOCOL.md §5.2): Padmé is
//! monotone, never shrinks and costs at most 12% past 4 KiB; and files of
//! every size near a chunk or Padmé boundary go file -> blob -> file
//! through the streaming adapters, in pieces of any size, unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};

use chat_e2e::file::{
    BlobId, CHUNK_LEN, FileError, FileKey, FileOpener, FileSealer, MIN_PADDED_LEN, OpeningWriter,
    SealingReader, blob_len, padded_len, padme,
};
use proptest::prelude::*;

fn file(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Seals `data` reading `read_piece` bytes at a time, opens it writing
/// `write_piece` bytes at a time; returns the blob's length.
fn round_trip(data: &[u8], read_piece: usize, write_piece: usize) -> u64 {
    let key = FileKey::generate().unwrap();
    let blob = BlobId::from_bytes([data.len() as u8; 16]);
    let size = data.len() as u64;
    let mut r = SealingReader::new(FileSealer::new(&key, blob, size).unwrap(), data);
    let opener = FileOpener::new(&key, blob, size).unwrap();
    let mut blob_bytes = Vec::new();
    let mut piece = vec![0u8; read_piece.max(1)];
    loop {
        let n = r.read(&mut piece).unwrap();
        if n == 0 {
            break;
        }
        blob_bytes.extend_from_slice(&piece[..n]);
    }
    let digest = r.digest().unwrap();
    let mut w = OpeningWriter::new(opener, digest, Vec::new());
    for p in blob_bytes.chunks(write_piece.max(1)) {
        w.write_all(p).unwrap();
    }
    assert_eq!(w.received(), blob_bytes.len() as u64);
    assert_eq!(w.finish().unwrap(), data);
    blob_bytes.len() as u64
}

/// Sizes either side of every chunk boundary up to 4 chunks, of the
/// minimum padding, and of the Padmé steps in that range.
fn boundary_sizes() -> Vec<usize> {
    let mut edges = vec![0, MIN_PADDED_LEN as usize, 8192, 65_536];
    edges.extend((1..=4).map(|k| k * CHUNK_LEN));
    // Padmé steps: where padme(x) jumps, i.e. x = padme(x) just above a step.
    edges.extend([4352, 270_336, 524_288, 557_056, 1_048_576, 1_081_344]);
    let mut sizes: Vec<usize> = edges
        .iter()
        .flat_map(|e| [e.saturating_sub(1), *e, e + 1])
        .collect();
    sizes.sort_unstable();
    sizes.dedup();
    sizes
}

#[test]
fn files_at_every_boundary_round_trip() {
    for (i, size) in boundary_sizes().into_iter().enumerate() {
        let data = file(size, i as u8);
        let pieces = [(1 << 16) + i, 4096 + 7 * i, 262_160, 1_000_003];
        let len = round_trip(&data, pieces[i % 4], pieces[(i + 1) % 4]);
        assert_eq!(len, blob_len(size as u64), "size {size}");
    }
}

#[test]
fn a_file_that_changes_while_it_is_sealed_is_refused() {
    let key = FileKey::generate().unwrap();
    let blob = BlobId::from_bytes([1; 16]);
    for (declared, actual) in [(5000usize, 4999usize), (5000, 5001), (300_000, 262_144)] {
        let data = file(actual, 0);
        let sealer = FileSealer::new(&key, blob, declared as u64).unwrap();
        let mut r = SealingReader::new(sealer, data.as_slice());
        let err = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert_eq!(
            FileError::from_io(&err),
            Some(&FileError::SourceChanged {
                expected: declared as u64
            }),
            "{declared} declared, {actual} read"
        );
    }
}

#[test]
fn an_upload_resumes_from_any_chunk_with_the_same_bytes() {
    let key = FileKey::generate().unwrap();
    let blob = BlobId::from_bytes([2; 16]);
    let data = file(3 * CHUNK_LEN + 10, 9);
    let size = data.len() as u64;
    let mut whole = Vec::new();
    let sealer = FileSealer::new(&key, blob, size).unwrap();
    std::io::copy(&mut SealingReader::new(sealer, data.as_slice()), &mut whole).unwrap();
    for first in 0..=4u64 {
        let sealer = FileSealer::new(&key, blob, size).unwrap();
        let at = (sealer.blob_offset(first) as usize).min(whole.len());
        let from = ((first as usize) * CHUNK_LEN).min(data.len());
        let mut r = SealingReader::from_chunk(sealer, &data[from..], first).unwrap();
        let mut rest = Vec::new();
        std::io::copy(&mut r, &mut rest).unwrap();
        assert_eq!(rest, whole[at..], "from chunk {first}");
        assert!(r.digest().is_none());
    }
}

#[test]
fn padme_is_monotone_and_never_shrinks_for_every_small_value() {
    let mut prev = 0;
    for x in 0..300_000u64 {
        let p = padme(x);
        assert!(p >= x && p >= prev, "padme({x}) = {p}");
        prev = p;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn padme_properties(x in 0u64..(1 << 50), y in 0u64..(1 << 50)) {
        let (lo, hi) = if x <= y { (x, y) } else { (y, x) };
        prop_assert!(padme(lo) <= padme(hi));
        prop_assert!(padme(x) >= x);
        prop_assert_eq!(padme(padme(x)), padme(x));
        if x >= 4096 {
            // At most 12% overhead.
            prop_assert!((padme(x) - x) * 100 <= 12 * x, "padme({}) = {}", x, padme(x));
        }
        prop_assert!(padded_len(x) >= MIN_PADDED_LEN);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_file_round_trips_in_any_pieces(
        size in 0usize..(2 * CHUNK_LEN + 5000),
        read_piece in 1usize..300_000,
        write_piece in 1usize..300_000,
        seed: u8,
    ) {
        let data = file(size, seed);
        prop_assert_eq!(round_trip(&data, read_piece, write_piece), blob_len(size as u64));
    }
}
