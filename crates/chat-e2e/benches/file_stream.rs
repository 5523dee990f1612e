//! Throughput of the file construction (issue 13, PROTOCOL.md §5.2) on a
//! 100 MiB file, the largest a receiver accepts by default, in-process (no
//! disk, no network):
//!
//! - `file_100MiB/seal`: file -> blob through `SealingReader` (zero
//!   padding, AES-256-GCM per 256 KiB chunk, SHA-256 of the blob), the
//!   work chatd does while uploading.
//! - `file_100MiB/open`: blob -> file through `OpeningWriter` (SHA-256,
//!   one chunk at a time, tag and padding checks), the work while
//!   downloading.
//!
//! Criterion reports MiB/s (`Throughput::Bytes` of the file). Ten samples
//! each: about a minute in all. Run with
//! `cargo bench -p chat-e2e --bench file_stream`; CI only compiles it.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::io::{self, Cursor, Read};
use std::time::Duration;

use chat_e2e::file::{BlobId, FileKey, FileOpener, FileSealer, OpeningWriter, SealingReader};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SIZE: u64 = 100 * 1024 * 1024;

fn sealer(key: &FileKey, blob: BlobId) -> FileSealer {
    FileSealer::new(key, blob, SIZE).unwrap()
}

fn bench(c: &mut Criterion) {
    let key = FileKey::generate().unwrap();
    let blob = BlobId::from_bytes([0x42; 16]);
    let file = || io::repeat(0x5a).take(SIZE);

    // The blob to open, made once.
    let mut sealed = Vec::with_capacity(sealer(&key, blob).blob_len() as usize);
    let mut r = SealingReader::new(sealer(&key, blob), file());
    io::copy(&mut r, &mut sealed).unwrap();
    let digest = r.digest().unwrap();

    let mut g = c.benchmark_group("file_100MiB");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(2))
        .throughput(Throughput::Bytes(SIZE));
    g.bench_function("seal", |b| {
        b.iter(|| {
            let mut r = SealingReader::new(sealer(&key, blob), file());
            io::copy(&mut r, &mut io::sink()).unwrap();
            r.digest().unwrap()
        })
    });
    g.bench_function("open", |b| {
        b.iter(|| {
            let opener = FileOpener::new(&key, blob, SIZE).unwrap();
            let mut w = OpeningWriter::new(opener, digest, io::sink());
            io::copy(&mut Cursor::new(&sealed), &mut w).unwrap();
            w.finish().unwrap();
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
