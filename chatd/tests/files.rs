//! Files end to end (PROTOCOL.md §5, D18, issue 13): real chatd processes
//! and a real chat-server, files of real size on disk, connections cut by
//! a real proxy and daemons killed with SIGKILL in the middle of a
//! transfer. What must hold: the bytes that arrive are the bytes sent; a
//! transfer that is interrupted goes on from where it got to (the proxy's
//! byte counts prove it did not start over); what fails its checks never
//! appears at its destination; every refusal says why.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod group_support;
use group_support::*;

use std::path::{Path, PathBuf};

use chatd_api::{
    DownloadParams, ErrorCode, EventBody, Message, MessageStatus, SecurityReason, SendFileParams,
    Transfer, TransferDirection, TransferParams, TransferState, call,
};
use sha2::{Digest, Sha256};
use test_support::{FaultProxy, World};

const MIB: usize = 1024 * 1024;

/// A file of `len` bytes that no compression or padding could fake.
fn make_file(dir: &Path, name: &str, len: usize) -> PathBuf {
    let mut data = Vec::with_capacity(len);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ len as u64;
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(len);
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    path
}

fn sha(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

async fn send_file(p: &Person, to: &str, path: &Path) -> (String, Transfer) {
    let r = p
        .api
        .invoke::<call::SendFile>(&SendFileParams {
            to: Some(to.into()),
            path: path.to_string_lossy().into_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    (r.id, r.transfer)
}

async fn download(p: &Person, id: &str, dest: &Path) -> Transfer {
    p.api
        .invoke::<call::Download>(&DownloadParams {
            id: id.into(),
            path: Some(dest.to_string_lossy().into_owned()),
        })
        .await
        .unwrap()
        .transfer
}

impl Person {
    /// Waits for the stored event that says transfer `id` reached `state`.
    async fn transfer_state(&mut self, id: &str, state: TransferState) -> Transfer {
        let what = format!("transfer {id} to be {state:?}");
        self.event(&what, |b| match b {
            EventBody::Transfer { transfer, .. }
                if transfer.id == id && transfer.state == state =>
            {
                Some((**transfer).clone())
            }
            _ => None,
        })
        .await
    }

    /// Waits until transfer `id` has moved at least `fraction` of its bytes.
    async fn progress_past(&mut self, id: &str, fraction: f64) -> u64 {
        let what = format!("transfer {id} past {:.0}%", fraction * 100.0);
        self.event(&what, |b| match b {
            EventBody::Transfer { transfer: t, .. }
                if t.id == id && t.bytes as f64 >= t.total as f64 * fraction =>
            {
                Some(t.bytes)
            }
            _ => None,
        })
        .await
    }

    /// Waits for the 1:1 receipt that moves message `id` to `status`.
    async fn receipt_for(&mut self, id: &str, status: MessageStatus) {
        let what = format!("message {id} to be {status:?}");
        self.event(&what, |b| match b {
            EventBody::Receipt {
                id: i, status: s, ..
            } if i == id && *s == status => Some(()),
            _ => None,
        })
        .await
    }

    /// Waits for a file message from `from`.
    async fn file_message(&mut self, from: &str) -> Message {
        let what = format!("a file from {from}");
        self.event(&what, |b| match b {
            EventBody::Message { message: m, .. } if m.from == from && m.file.is_some() => {
                Some(m.clone())
            }
            _ => None,
        })
        .await
    }
}

/// Asserts that an upload of a `len`-byte file through `proxy` did not
/// start over: had it, 30% more than the blob would have gone up.
fn sent_once(proxy: &FaultProxy, len: usize) {
    let sent = proxy.counts().bytes_up;
    assert!(
        sent < wire_len(len) * 12 / 10,
        "{sent} bytes went up for a {} byte blob: the upload started over",
        wire_len(len)
    );
}

/// `to` has the file message `id` from alice and downloads it to the
/// bytes of `source`.
async fn arrives_whole(to: &mut Person, id: &str, source: &Path) {
    let m = to.file_message("alice").await;
    assert_eq!(m.id, id);
    let inbox = tempfile::tempdir().unwrap();
    let down = download(to, id, inbox.path()).await;
    let done = to.transfer_state(&down.id, TransferState::Done).await;
    assert_eq!(sha(Path::new(&done.path.unwrap())), sha(source));
}

/// The bytes a blob of a `len`-byte file takes on the wire: base64 of
/// the padded, sealed file (framing aside).
fn wire_len(len: usize) -> u64 {
    chat_e2e::file::blob_len(len as u64) * 4 / 3
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mib_file_arrives_whole_through_real_daemons() {
    let w = World::new();
    let mut alice = Person::new(&w, "alice").await;
    let mut bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let source = make_file(files.path(), "big.bin", 50 * MIB);
    let (id, up) = send_file(&alice, "bob", &source).await;
    assert_eq!(up.direction, TransferDirection::Upload);
    assert_eq!(up.size, 50 * MIB as u64);
    assert_eq!(up.name, "big.bin");
    alice.transfer_state(&up.id, TransferState::Done).await;
    // The original may go the moment send_file answered: chatd sends its
    // own copy.
    let digest = sha(&source);
    std::fs::remove_file(&source).unwrap();

    let m = bob.file_message("alice").await;
    assert_eq!(m.id, id);
    let f = m.file.clone().unwrap();
    assert_eq!((f.name.as_str(), f.size), ("big.bin", 50 * MIB as u64));
    assert_eq!(f.mime, "application/octet-stream");
    assert!(f.path.is_none(), "nothing is downloaded unasked");
    let inbox = tempfile::tempdir().unwrap();
    let down = download(&bob, &id, inbox.path()).await;
    let done = bob.transfer_state(&down.id, TransferState::Done).await;
    let placed = PathBuf::from(done.path.unwrap());
    assert_eq!(placed, inbox.path().join("big.bin"));
    assert_eq!(sha(&placed), digest);
    // No spool or partial file is left anywhere.
    let left: Vec<_> = std::fs::read_dir(inbox.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let spool = bob.daemon.dir.join("data/spool");
    assert_eq!(std::fs::read_dir(&spool).map_or(0, |d| d.count()), 0);
    // The history says where the file is; the sender sees it delivered.
    let again = bob
        .api
        .invoke::<call::Message>(&chatd_api::MessageParams { id: id.clone() })
        .await
        .unwrap()
        .message;
    assert_eq!(
        again.file.unwrap().path.as_deref(),
        Some(placed.to_str().unwrap())
    );
    alice.receipt_for(&id, MessageStatus::Delivered).await;
    // Both transfers are listed as done.
    let listed = bob
        .api
        .invoke::<call::Transfers>(&chatd_api::Empty {})
        .await
        .unwrap()
        .transfers;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].state, TransferState::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_at_30_percent_resumes_from_the_servers_offset() {
    let w = World::new();
    let proxy = FaultProxy::start(w.server.addr).await.unwrap();
    let mut alice = Person::via(&w, "alice", proxy.addr).await;
    let mut bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let len = 20 * MIB;
    let source = make_file(files.path(), "cut.bin", len);
    let (id, up) = send_file(&alice, "bob", &source).await;
    alice.progress_past(&up.id, 0.3).await;
    proxy.cut();
    // Waiting again, and saying why.
    alice
        .event("the upload to wait with a reason", |b| match b {
            EventBody::Transfer { transfer: t, .. }
                if t.id == up.id && t.state == TransferState::Waiting && t.error.is_some() =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
    alice.transfer_state(&up.id, TransferState::Done).await;
    sent_once(&proxy, len);
    arrives_whole(&mut bob, &id, &source).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sender_killed_mid_upload_finishes_after_restart() {
    let w = World::new();
    let proxy = FaultProxy::start(w.server.addr).await.unwrap();
    let mut alice = Person::via(&w, "alice", proxy.addr).await;
    let mut bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let len = 20 * MIB;
    let source = make_file(files.path(), "crash.bin", len);
    let (id, up) = send_file(&alice, "bob", &source).await;
    alice.progress_past(&up.id, 0.3).await;
    proxy.stall();
    alice.daemon.kill9();
    proxy.resume();
    alice.restart().await;
    alice.transfer_state(&up.id, TransferState::Done).await;
    sent_once(&proxy, len);
    arrives_whole(&mut bob, &id, &source).await;
    // Exactly one message reached bob.
    let files_from_alice = bob
        .log()
        .await
        .into_iter()
        .filter(|e| matches!(&e.body, EventBody::Message { message, .. } if message.id == id))
        .count();
    assert_eq!(files_from_alice, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_killed_mid_download_finishes_after_restart() {
    let w = World::new();
    let proxy = FaultProxy::start(w.server.addr).await.unwrap();
    let mut alice = Person::new(&w, "alice").await;
    let mut bob = Person::via(&w, "bob", proxy.addr).await;
    let files = tempfile::tempdir().unwrap();
    let len = 20 * MIB;
    let source = make_file(files.path(), "photo.jpg", len);
    let (id, up) = send_file(&alice, "bob", &source).await;
    alice.transfer_state(&up.id, TransferState::Done).await;
    bob.file_message("alice").await;
    let inbox = tempfile::tempdir().unwrap();
    let before = proxy.counts().bytes_down;
    let down = download(&bob, &id, inbox.path()).await;
    bob.progress_past(&down.id, 0.3).await;
    proxy.stall();
    bob.daemon.kill9();
    // Nothing is at the destination while the file is incomplete.
    assert!(!inbox.path().join("photo.jpg").exists());
    proxy.resume();
    bob.restart().await;
    let done = bob.transfer_state(&down.id, TransferState::Done).await;
    assert_eq!(sha(Path::new(&done.path.unwrap())), sha(&source));
    let got = proxy.counts().bytes_down - before;
    assert!(
        got < wire_len(len) * 12 / 10,
        "{got} bytes came down for a {} byte blob: the download started over",
        wire_len(len)
    );
}

/// The one file under `dir` (recursively) that is `len` bytes long.
fn find_blob(dir: &Path, len: u64) -> PathBuf {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.metadata().unwrap().len() == len {
                found.push(p);
            }
        }
    }
    assert_eq!(found.len(), 1, "blobs of {len} bytes: {found:?}");
    found.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_altered_on_the_server_is_refused_and_reported() {
    let w = World::new();
    let mut alice = Person::new(&w, "alice").await;
    let mut bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let len = MIB + 12_345;
    let source = make_file(files.path(), "report.pdf", len);
    let (id, up) = send_file(&alice, "bob", &source).await;
    alice.transfer_state(&up.id, TransferState::Done).await;
    bob.file_message("alice").await;
    // The server (or anyone with its disk) flips one byte of chunk 2.
    let blob = find_blob(w.server.data_dir(), chat_e2e::file::blob_len(len as u64));
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[2 * 262_160 + 100] ^= 1;
    std::fs::write(&blob, &bytes).unwrap();

    let inbox = tempfile::tempdir().unwrap();
    let down = download(&bob, &id, inbox.path()).await;
    let failed = bob.transfer_state(&down.id, TransferState::Failed).await;
    assert!(failed.error.is_some());
    bob.security("alice", SecurityReason::FileTampered).await;
    assert_eq!(
        std::fs::read_dir(inbox.path()).unwrap().count(),
        0,
        "nothing of a refused file is kept"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quota_fails_the_upload_with_its_reason_and_the_message_is_not_sent() {
    let w = World::with_server_args(&["--blob-quota", "1000000"]);
    let mut alice = Person::new(&w, "alice").await;
    let _bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let source = make_file(files.path(), "too-much.bin", 2 * MIB);
    let (id, up) = send_file(&alice, "bob", &source).await;
    let failed = alice.transfer_state(&up.id, TransferState::Failed).await;
    let why = failed.error.unwrap();
    assert!(why.contains("storage for this account is full"), "{why}");
    alice.receipt_for(&id, MessageStatus::Failed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_errors_and_change_nothing() {
    let w = World::new();
    let alice = Person::new(&w, "alice").await;
    let _bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let send = |path: String| {
        let api = alice.api.clone();
        async move {
            api.invoke::<call::SendFile>(&SendFileParams {
                to: Some("bob".into()),
                path,
                ..Default::default()
            })
            .await
            .unwrap_err()
        }
    };
    // Relative, missing, a directory, too large (a sparse 101 MiB file).
    let e = send("notes.txt".into()).await;
    assert_eq!(code(&e), Some(ErrorCode::InvalidInput), "{e}");
    assert!(e.to_string().contains("absolute"), "{e}");
    let missing = files.path().join("missing.txt");
    let e = send(missing.to_string_lossy().into_owned()).await;
    assert_eq!(code(&e), Some(ErrorCode::InvalidInput), "{e}");
    let e = send(files.path().to_string_lossy().into_owned()).await;
    assert_eq!(code(&e), Some(ErrorCode::InvalidInput), "{e}");
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let huge = files.path().join("huge.iso");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(101 * MIB as u64)
        .unwrap();
    let e = send(huge.to_string_lossy().into_owned()).await;
    assert_eq!(code(&e), Some(ErrorCode::FileTooLarge), "{e}");
    // A text has no file; an unknown transfer is unknown.
    let text_id = alice.api.send("bob", "just text").await.unwrap().id;
    let e = alice
        .api
        .invoke::<call::Download>(&DownloadParams {
            id: text_id,
            path: None,
        })
        .await
        .unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::NotAFile), "{e}");
    let e = alice
        .api
        .invoke::<call::CancelTransfer>(&TransferParams {
            id: "3f1c1a9e-0000-4000-8000-000000000000".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(code(&e), Some(ErrorCode::NoSuchTransfer), "{e}");
    // Nothing was queued, copied or listed.
    let listed = alice
        .api
        .invoke::<call::Transfers>(&chatd_api::Empty {})
        .await
        .unwrap()
        .transfers;
    assert!(listed.is_empty(), "{listed:?}");
    let spool = alice.daemon.dir.join("data/spool");
    assert_eq!(std::fs::read_dir(&spool).map_or(0, |d| d.count()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_upload_sends_nothing() {
    let w = World::new();
    let proxy = FaultProxy::start(w.server.addr).await.unwrap();
    let mut alice = Person::via(&w, "alice", proxy.addr).await;
    let mut bob = Person::new(&w, "bob").await;
    let files = tempfile::tempdir().unwrap();
    let source = make_file(files.path(), "oops.bin", 20 * MIB);
    let (id, up) = send_file(&alice, "bob", &source).await;
    alice.progress_past(&up.id, 0.1).await;
    let r = alice
        .api
        .invoke::<call::CancelTransfer>(&TransferParams { id: up.id.clone() })
        .await
        .unwrap();
    assert_eq!(r.transfer.state, TransferState::Cancelled);
    alice.receipt_for(&id, MessageStatus::Failed).await;
    // A text sent after it arrives; the file never does.
    alice.api.send("bob", "never mind").await.unwrap();
    bob.direct_message("alice", "never mind").await;
    assert!(
        !bob.seen
            .iter()
            .any(|e| matches!(&e.body, EventBody::Message { message, .. } if message.id == id)),
        "the cancelled file reached bob"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_to_a_group_reaches_every_member() {
    let w = World::new();
    let mut alice = Person::new(&w, "alice").await;
    let mut bob = Person::new(&w, "bob").await;
    let mut carol = Person::new(&w, "carol").await;
    let gid = alice
        .api
        .group_create("team", &users(&["bob", "carol"]))
        .await
        .unwrap()
        .group
        .id;
    bob.group_event(&gid, 1).await;
    carol.group_event(&gid, 1).await;
    let files = tempfile::tempdir().unwrap();
    let source = make_file(files.path(), "plan.txt", 10_000);
    let r = alice
        .api
        .invoke::<call::SendFile>(&SendFileParams {
            group: Some(gid.clone()),
            path: source.to_string_lossy().into_owned(),
            caption: Some("the plan".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    alice
        .transfer_state(&r.transfer.id, TransferState::Done)
        .await;
    for p in [&mut bob, &mut carol] {
        let m = p.file_message("alice").await;
        assert_eq!(m.id, r.id);
        assert_eq!(m.text, "the plan");
        assert_eq!(m.group.as_ref().map(|g| g.id.as_str()), Some(gid.as_str()));
        assert_eq!(m.file.as_ref().unwrap().mime, "text/plain");
    }
    let inbox = tempfile::tempdir().unwrap();
    let down = download(&carol, &r.id, inbox.path()).await;
    let done = carol.transfer_state(&down.id, TransferState::Done).await;
    assert_eq!(sha(Path::new(&done.path.unwrap())), sha(&source));
    // Without a path, the file goes into the downloads directory, made
    // when it does not exist yet.
    let t = carol
        .api
        .invoke::<call::Download>(&DownloadParams {
            id: r.id.clone(),
            path: None,
        })
        .await
        .unwrap()
        .transfer;
    let done = carol.transfer_state(&t.id, TransferState::Done).await;
    let placed = PathBuf::from(done.path.unwrap());
    assert_eq!(placed, carol.daemon.dir.join("downloads/plan.txt"));
    assert_eq!(sha(&placed), sha(&source));
}
