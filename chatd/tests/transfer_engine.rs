//! The transfer engine (chatd/src/link/bulk.rs, chatd/src/transfer/)
//! against a real chat-server process: files go up and come down byte for
//! byte, a connection cut in the middle resumes from the server's durable
//! offset (upload) or the part file's length (download), a blob that was
//! altered, cut or rearranged is refused without leaving a file behind,
//! the server's refusals arrive as their own errors, and the bulk session
//! leaves mail to the main connection.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chat_e2e::file::{BlobHasher, BlobId, FileAttachment, FileError, FileKey, blob_len};
use chat_proto::{Request, ServerMessage};
use chatd::link::bulk::{Bulk, BulkSetup};
use chatd::transfer::download::{self, fetch};
use chatd::transfer::error::TransferError;
use chatd::transfer::media::{guess_mime, safe_name, thumbnail};
use chatd::transfer::upload::{UploadJob, create, delete, upload};
use serde_json::json;
use test_support::{FaultProxy, ServerProcess, WireClient, fixtures};
use zeroize::Zeroizing;

const MIB: u64 = 1024 * 1024;

fn server(extra: &[&str]) -> ServerProcess {
    let bin = test_support::daemon::binary("chat-server").unwrap();
    ServerProcess::start(&bin, extra).unwrap()
}

/// Signs `user` up and logs in on a wire client; returns its token (the
/// main link's, which the bulk connection resumes with).
async fn token(srv: &ServerProcess, user: &str) -> String {
    let (_c, token) = WireClient::logged_in(srv.addr, user, &fixtures::public_pem(user))
        .await
        .unwrap();
    token
}

fn setup(srv: &ServerProcess, via: SocketAddr, user: &str, token: &str) -> BulkSetup {
    BulkSetup {
        server: via.to_string(),
        plaintext: true,
        pin: Some(srv.fingerprint.clone()),
        username: user.to_string(),
        token: Zeroizing::new(token.to_string()),
    }
}

async fn bulk(srv: &ServerProcess, via: SocketAddr, token: &str) -> Bulk {
    Bulk::open(&setup(srv, via, "alice", token)).await.unwrap()
}

/// A file of `len` deterministic bytes that differ all the way through.
fn make_file(dir: &Path, name: &str, len: u64, seed: u64) -> PathBuf {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    let mut data = Vec::with_capacity(len as usize);
    while (data.len() as u64) < len {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len as usize);
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    path
}

/// Reserves a blob for `spool` and describes the upload.
async fn job(b: &Bulk, spool: &Path) -> UploadJob {
    let size = std::fs::metadata(spool).unwrap().len();
    UploadJob {
        spool: spool.to_path_buf(),
        size,
        key: FileKey::generate().unwrap(),
        blob: create(b, size).await.unwrap(),
    }
}

fn attachment(job: &UploadJob, digest: chat_e2e::file::BlobDigest) -> FileAttachment {
    FileAttachment {
        blob: job.blob,
        key: job.key.clone(),
        digest,
        size: job.size,
        name: "data.bin".into(),
        mime: "application/octet-stream".into(),
        thumbnail: None,
        caption: None,
    }
}

async fn status_offset(b: &Bulk, blob: &BlobId) -> u64 {
    match b
        .request(Request::BlobStatus {
            blob_id: blob.to_hex(),
        })
        .await
        .unwrap()
    {
        ServerMessage::BlobStatus { offset, .. } => offset,
        other => panic!("expected blob_status, got {other:?}"),
    }
}

fn digest_of(path: &Path) -> chat_e2e::file::BlobDigest {
    let mut h = BlobHasher::new();
    h.update(&std::fs::read(path).unwrap());
    h.finish()
}

/// The manager spawns these futures: they must be `Send`.
fn send<F: Send>(f: F) -> F {
    f
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The downloaded blob at `part` opens (every check passed) to the same
/// bytes as the file that was uploaded from `spool`.
async fn opens_to_the_original(
    part: &Path,
    job: &UploadJob,
    digest: chat_e2e::file::BlobDigest,
    spool: &Path,
) {
    let out = tempfile::tempdir().unwrap();
    let path = download::open(part, &attachment(job, digest), out.path())
        .await
        .unwrap();
    assert!(std::fs::read(path).unwrap() == std::fs::read(spool).unwrap());
}

fn tampered(r: Result<PathBuf, TransferError>) -> FileError {
    match r {
        Err(TransferError::Tampered(e)) => e,
        other => panic!("expected a tampered blob, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_file_goes_up_and_comes_down_the_same() {
    let srv = server(&[]);
    let tok = token(&srv, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let spool = make_file(dir.path(), "big.bin", 50 * MIB, 1);
    let b = bulk(&srv, srv.addr, &tok).await;
    assert_eq!(b.limits().unwrap().max_piece, 512 * 1024);
    let job = job(&b, &spool).await;
    let total = blob_len(job.size);
    let mut last = 0;
    let digest = send(upload(&b, &job, |done, all| {
        assert_eq!(all, total);
        assert!(done >= last, "progress went back from {last} to {done}");
        last = done;
    }))
    .await
    .unwrap();
    assert_eq!(last, total);
    // Finishing again (an answer lost) gives the same digest.
    assert_eq!(upload(&b, &job, |_, _| {}).await.unwrap(), digest);

    let part = dir.path().join("big.part");
    let mut seen = 0;
    send(fetch(&b, &job.blob, total, &part, |done, _| seen = done))
        .await
        .unwrap();
    assert_eq!(seen, total);
    assert_eq!(digest_of(&part), digest);
    let out = tempfile::tempdir().unwrap();
    let file = attachment(&job, digest);
    let path = send(download::open(&part, &file, out.path()))
        .await
        .unwrap();
    assert_eq!(path, out.path().join("data.bin"));
    assert!(std::fs::read(&path).unwrap() == std::fs::read(&spool).unwrap());
    // The name is taken now: the second copy gets a number, and no
    // temporary file is left behind.
    let again = download::open(&part, &file, out.path()).await.unwrap();
    assert_eq!(again, out.path().join("data (1).bin"));
    assert_eq!(entries(out.path()), ["data (1).bin", "data.bin"]);
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_at_30_percent_resumes_from_the_servers_offset() {
    let srv = server(&[]);
    let proxy = FaultProxy::start(srv.addr).await.unwrap();
    let tok = token(&srv, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let spool = make_file(dir.path(), "file.bin", 20 * MIB, 2);
    let b = bulk(&srv, proxy.addr, &tok).await;
    let job = job(&b, &spool).await;
    let total = blob_len(job.size);
    let cut = AtomicBool::new(false);
    let err = upload(&b, &job, |done, _| {
        if done * 10 >= total * 3 && !cut.swap(true, Ordering::SeqCst) {
            proxy.cut();
        }
    })
    .await
    .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert!(!b.is_open() || b.request(Request::Ping {}).await.is_err());

    // A new connection asks where to continue and goes on from there.
    let b = bulk(&srv, proxy.addr, &tok).await;
    let held = status_offset(&b, &job.blob).await;
    assert!(held > 0 && held < total, "{held} of {total}");
    let mut calls = Vec::new();
    let digest = upload(&b, &job, |done, _| calls.push(done)).await.unwrap();
    // The first report is where it starts; the first ack proves the first
    // put went exactly there.
    assert_eq!(calls[0], held);
    assert_eq!(calls[1], (held + 512 * 1024).min(total));
    assert_eq!(calls.last(), Some(&total));

    let part = dir.path().join("file.part");
    fetch(&b, &job.blob, total, &part, |_, _| {}).await.unwrap();
    opens_to_the_original(&part, &job, digest, &spool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sessions_uploading_one_blob_follow_the_servers_offset() {
    let srv = server(&[]);
    let tok = token(&srv, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let spool = make_file(dir.path(), "file.bin", 8 * MIB, 5);
    let (one, two) = (
        bulk(&srv, srv.addr, &tok).await,
        bulk(&srv, srv.addr, &tok).await,
    );
    let job = job(&one, &spool).await;
    // Both write the same deterministic bytes; whoever is behind gets
    // bad_offset and continues from the offset it carries, and the one
    // that finds the blob finished finishes it again.
    let (mut first_one, mut first_two) = (None, None);
    let (a, b) = tokio::join!(
        upload(&one, &job, |at, _| {
            first_one.get_or_insert(at);
        }),
        upload(&two, &job, |at, _| {
            first_two.get_or_insert(at);
        })
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    // Both started at 0, so one of them was sent elsewhere by bad_offset.
    assert_eq!((first_one, first_two), (Some(0), Some(0)));
    let part = dir.path().join("file.part");
    fetch(&one, &job.blob, blob_len(job.size), &part, |_, _| {})
        .await
        .unwrap();
    opens_to_the_original(&part, &job, a, &spool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_cut_at_30_percent_resumes_from_the_part_file() {
    let srv = server(&[]);
    let proxy = FaultProxy::start(srv.addr).await.unwrap();
    let tok = token(&srv, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let spool = make_file(dir.path(), "file.bin", 20 * MIB, 3);
    let direct = bulk(&srv, srv.addr, &tok).await;
    let job = job(&direct, &spool).await;
    let digest = upload(&direct, &job, |_, _| {}).await.unwrap();
    let total = blob_len(job.size);
    // Bob downloads what alice sent: the id is the capability.
    let bob = token(&srv, "bob").await;

    let b = Bulk::open(&setup(&srv, proxy.addr, "bob", &bob))
        .await
        .unwrap();
    let part = dir.path().join("file.part");
    let cut = AtomicBool::new(false);
    let err = fetch(&b, &job.blob, total, &part, |done, _| {
        if done * 10 >= total * 3 && !cut.swap(true, Ordering::SeqCst) {
            proxy.cut();
        }
    })
    .await
    .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    let have = std::fs::metadata(&part).unwrap().len();
    assert!(have * 10 >= total * 3 && have < total, "{have} of {total}");

    let b = Bulk::open(&setup(&srv, proxy.addr, "bob", &bob))
        .await
        .unwrap();
    let mut calls = Vec::new();
    fetch(&b, &job.blob, total, &part, |done, _| calls.push(done))
        .await
        .unwrap();
    assert_eq!(calls[0], have);
    assert_eq!(calls[1], (have + 512 * 1024).min(total));
    opens_to_the_original(&part, &job, digest, &spool).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn altered_cut_and_swapped_blobs_are_refused_and_leave_no_file() {
    let srv = server(&[]);
    let tok = token(&srv, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let spool = make_file(dir.path(), "file.bin", 3 * MIB, 4);
    let b = bulk(&srv, srv.addr, &tok).await;
    let job = job(&b, &spool).await;
    let digest = upload(&b, &job, |_, _| {}).await.unwrap();
    let total = blob_len(job.size);
    let file = attachment(&job, digest);
    let out = tempfile::tempdir().unwrap();

    // A byte flipped in the server's copy: it downloads (the server
    // cannot tell) and fails the digest.
    let hex = job.blob.to_hex();
    let stored = srv.data_dir().join("blobs").join(&hex[..2]).join(&hex);
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes[300_000] ^= 1;
    std::fs::write(&stored, &bytes).unwrap();
    let part = dir.path().join("altered.part");
    fetch(&b, &job.blob, total, &part, |_, _| {}).await.unwrap();
    let err = tampered(download::open(&part, &file, out.path()).await);
    assert_eq!(err, FileError::DigestMismatch);
    assert!(entries(out.path()).is_empty());
    bytes[300_000] ^= 1;

    // Cut short.
    let cut = dir.path().join("cut.part");
    std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
    let err = tampered(download::open(&cut, &file, out.path()).await);
    assert!(matches!(err, FileError::SizeMismatch { .. }), "{err:?}");
    assert!(entries(out.path()).is_empty());

    // Two chunks swapped by a sender who gave the digest of what it sent:
    // the digest holds, the chunk check does not.
    let chunk = 262_144 + 16;
    let mut swapped = bytes.clone();
    swapped[..chunk].copy_from_slice(&bytes[chunk..2 * chunk]);
    swapped[chunk..2 * chunk].copy_from_slice(&bytes[..chunk]);
    let path = dir.path().join("swapped.part");
    std::fs::write(&path, &swapped).unwrap();
    let lying = FileAttachment {
        digest: digest_of(&path),
        ..file.clone()
    };
    let err = tampered(download::open(&path, &lying, out.path()).await);
    assert!(matches!(err, FileError::SwappedChunk { .. }), "{err:?}");
    assert!(entries(out.path()).is_empty());

    // The untouched blob opens; a path chosen for it is used, and taken
    // it gets a number.
    let good = dir.path().join("good.part");
    std::fs::write(&good, &bytes).unwrap();
    let chosen = out.path().join("mine.bin");
    let first = download::open(&good, &file, &chosen).await.unwrap();
    let second = download::open(&good, &file, &chosen).await.unwrap();
    assert_eq!((first, second), (chosen, out.path().join("mine (1).bin")));
    assert_eq!(entries(out.path()), ["mine (1).bin", "mine.bin"]);

    // A server whose blob is not the size the payload makes.
    let err = fetch(
        &b,
        &job.blob,
        total + 16,
        &dir.path().join("x.part"),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, TransferError::Tampered(FileError::SizeMismatch { .. })),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_changed_size_is_not_sent() {
    let srv = server(&[]);
    let tok = token(&srv, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let spool = make_file(dir.path(), "file.bin", 300_000, 6);
    let b = bulk(&srv, srv.addr, &tok).await;
    for size in [299_999, 300_001] {
        // The size measured is not the size read.
        let job = UploadJob {
            spool: spool.clone(),
            size,
            key: FileKey::generate().unwrap(),
            blob: create(&b, size).await.unwrap(),
        };
        let err = upload(&b, &job, |_, _| {}).await.unwrap_err();
        assert!(
            matches!(err, TransferError::SourceChanged),
            "{size}: {err:?}"
        );
        assert!(!err.is_retryable());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_and_size_refusals_have_their_own_errors() {
    let srv = server(&["--max-blob", "100000", "--blob-quota", "200000"]);
    let tok = token(&srv, "alice").await;
    let b = bulk(&srv, srv.addr, &tok).await;
    let err = create(&b, 200_000).await.unwrap_err();
    assert!(matches!(err, TransferError::TooLarge { .. }), "{err:?}");
    assert!(!err.is_retryable());
    // 90,000 bytes seal to 90,128: two fit the quota, a third does not.
    let first = create(&b, 90_000).await.unwrap();
    create(&b, 90_000).await.unwrap();
    let err = create(&b, 90_000).await.unwrap_err();
    assert!(
        matches!(err, TransferError::QuotaExceeded { .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    // A cancelled upload gives its quota back (twice is still fine).
    delete(&b, &first).await.unwrap();
    delete(&b, &first).await.unwrap();
    create(&b, 90_000).await.unwrap();
    // A blob that is not there.
    let gone = BlobId::from_bytes([7; 16]);
    let err = fetch(
        &b,
        &gone,
        4112,
        &tempfile::tempdir().unwrap().path().join("p"),
        |_, _| {},
    )
    .await
    .unwrap_err();
    assert!(matches!(err, TransferError::NoSuchBlob), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the file is no longer on the server (expired or deleted)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bulk_session_leaves_mail_to_the_main_connection() {
    let srv = server(&[]);
    let tok = token(&srv, "alice").await;
    let b = bulk(&srv, srv.addr, &tok).await;
    let (mut bob, _) = WireClient::logged_in(srv.addr, "bob", &fixtures::public_pem("bob"))
        .await
        .unwrap();
    let sent = bob
        .request(json!({"type":"send","to":"alice","envelope":{"kind":"msg","n":1}}))
        .await
        .unwrap();
    // Alice had a live session (the bulk one): the message was pushed to
    // it, not queued.
    assert!(
        matches!(sent, ServerMessage::Sent { queued: false, .. }),
        "{sent:?}"
    );
    // The bulk connection still answers after the push it dropped.
    assert_eq!(
        b.request(Request::Ping {}).await.unwrap(),
        ServerMessage::Pong {}
    );
    b.close().await;
    // Never acked: the main connection gets it at its login.
    let mut main = WireClient::connect(srv.addr).await.unwrap();
    main.resume("alice", &tok).await.unwrap();
    match main.next_push().await.unwrap() {
        ServerMessage::Deliver { from, envelope, .. } => {
            assert_eq!((from.as_str(), envelope["n"].as_i64()), ("bob", Some(1)));
        }
        other => panic!("expected the message, got {other:?}"),
    }
    // A refused token is "log in again", and retried after that.
    let wrong = chat_proto::encoding::b64_encode([0u8; 32]);
    let err = Bulk::open(&setup(&srv, srv.addr, "alice", &wrong))
        .await
        .err()
        .unwrap();
    assert!(
        matches!(err, chatd::link::LinkError::NotLoggedIn),
        "{err:?}"
    );
    assert!(TransferError::from(err).is_retryable());
    // Another server key than the pin: refused, and not worth retrying.
    let mut other_key = setup(&srv, srv.addr, "alice", &tok);
    other_key.pin = Some("00".repeat(32));
    let err = Bulk::open(&other_key).await.err().unwrap();
    assert!(err.to_string().contains(&srv.fingerprint), "{err}");
    assert!(!TransferError::from(err).is_retryable());
}

/// A PNG of `w`x`h` with a gradient (so it does not compress to nothing).
fn png(dir: &Path, w: u32, h: u32) -> PathBuf {
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x % 256) as u8, (y % 256) as u8, ((x * y) % 256) as u8, 200])
    });
    let path = dir.join("picture.png");
    img.save(&path).unwrap();
    path
}

/// A PNG header that claims an image of `w`x`h` pixels.
fn png_claiming(dir: &Path, w: u32, h: u32) -> PathBuf {
    fn crc(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend_from_slice(&13u32.to_be_bytes());
    bytes.extend_from_slice(&ihdr);
    bytes.extend_from_slice(&crc(&ihdr).to_be_bytes());
    let path = dir.join("bomb.png");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn thumbnails_fit_16_kib_and_decode() {
    let dir = tempfile::tempdir().unwrap();
    let path = png(dir.path(), 1200, 900);
    let thumb = thumbnail(&path, "image/png").unwrap();
    assert!(
        !thumb.is_empty() && thumb.len() <= 16 * 1024,
        "{}",
        thumb.len()
    );
    let back = image::load_from_memory(&thumb).unwrap();
    assert_eq!((back.width(), back.height()), (160, 120));
    // Not an image type, not an image, or an image too large to decode.
    assert!(thumbnail(&path, "text/plain").is_none());
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"not a png at all").unwrap();
    assert!(thumbnail(&junk, "image/png").is_none());
    let bomb = png_claiming(dir.path(), 100_000, 100_000);
    assert!(thumbnail(&bomb, "image/png").is_none());
}

#[test]
fn media_types_are_guessed_from_names() {
    assert_eq!(guess_mime("photo.JPG"), "image/jpeg");
    assert_eq!(guess_mime("notes.txt"), "text/plain");
    assert_eq!(guess_mime("thing.unknownext"), "application/octet-stream");
    assert_eq!(guess_mime("README"), "application/octet-stream");
}

#[test]
fn received_names_become_safe_file_names() {
    assert_eq!(safe_name("photo.jpg"), "photo.jpg");
    assert_eq!(safe_name("../../etc/passwd"), "_.._etc_passwd");
    assert_eq!(safe_name("a\\b"), "a_b");
    assert_eq!(safe_name(".bashrc"), "bashrc");
    assert_eq!(safe_name(".."), "file");
    assert_eq!(safe_name(""), "file");
    assert_eq!(safe_name("  "), "file");
    assert_eq!(safe_name("red\u{1b}[31m.txt"), "red_[31m.txt");
    assert_eq!(safe_name("nul\0byte"), "nul_byte");
    let long = format!("{}.jpeg", "ü".repeat(200));
    let safe = safe_name(&long);
    assert!(safe.len() <= 255 && safe.ends_with("ü.jpeg"), "{safe}");
}
