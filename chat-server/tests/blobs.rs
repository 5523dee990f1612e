//! The blob store over the real server (PROTOCOL.md §5.3, D16): real
//! sockets, real files, real restarts. Uploads in pieces come back byte
//! for byte; a dropped connection and a SIGKILLed server resume from the
//! durable offset; every limit answers its own error and leaves the
//! connection usable; expiry removes the file from disk; and chat keeps
//! flowing on one connection while a bulk upload runs on another.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use std::path::PathBuf;

use chat_proto::encoding::{b64_decode, b64_encode};
use common::*;
use sha2::{Digest, Sha256};
use test_support::wait::until_async;

/// Deterministic bytes that differ from piece to piece.
fn bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

fn digest(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

async fn create(c: &mut WireClient, size: u64) -> ServerMessage {
    c.request(json!({"type":"blob_create","size":size}))
        .await
        .unwrap()
}

async fn created(c: &mut WireClient, size: u64) -> String {
    match create(c, size).await {
        ServerMessage::BlobCreated { blob_id, .. } => blob_id,
        other => panic!("expected blob_created, got {other:?}"),
    }
}

async fn put(c: &mut WireClient, id: &str, offset: usize, data: &[u8]) -> ServerMessage {
    c.request(json!({"type":"blob_put","blob_id":id,"offset":offset,"data":b64_encode(data)}))
        .await
        .unwrap()
}

/// Puts `data[from..]` in pieces of `piece`, checking every ack.
async fn put_all(c: &mut WireClient, id: &str, data: &[u8], from: usize, piece: usize) {
    let mut at = from;
    while at < data.len() {
        let end = (at + piece).min(data.len());
        match put(c, id, at, &data[at..end]).await {
            ServerMessage::BlobAck { blob_id, offset } => {
                assert_eq!((blob_id.as_str(), offset), (id, end as u64));
            }
            other => panic!("expected blob_ack at {end}, got {other:?}"),
        }
        at = end;
    }
}

async fn finish(c: &mut WireClient, id: &str, digest: &str) -> ServerMessage {
    c.request(json!({"type":"blob_finish","blob_id":id,"digest":digest}))
        .await
        .unwrap()
}

async fn status(c: &mut WireClient, id: &str) -> ServerMessage {
    c.request(json!({"type":"blob_status","blob_id":id}))
        .await
        .unwrap()
}

async fn get(c: &mut WireClient, id: &str, offset: u64, length: u64) -> ServerMessage {
    c.request(json!({"type":"blob_get","blob_id":id,"offset":offset,"length":length}))
        .await
        .unwrap()
}

async fn delete(c: &mut WireClient, id: &str) -> ServerMessage {
    c.request(json!({"type":"blob_delete","blob_id":id}))
        .await
        .unwrap()
}

/// Uploads `data` whole and finishes it.
async fn upload(c: &mut WireClient, data: &[u8], piece: usize) -> String {
    let id = created(c, data.len() as u64).await;
    put_all(c, &id, data, 0, piece).await;
    match finish(c, &id, &digest(data)).await {
        ServerMessage::BlobFinished { size, .. } => assert_eq!(size, data.len() as u64),
        other => panic!("expected blob_finished, got {other:?}"),
    }
    id
}

/// Downloads a finished blob piece by piece.
async fn download(c: &mut WireClient, id: &str, length: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        match get(c, id, out.len() as u64, length).await {
            ServerMessage::BlobData {
                offset, size, data, ..
            } => {
                assert_eq!(offset, out.len() as u64);
                let piece = b64_decode(&data, "data").unwrap();
                assert!(piece.len() as u64 <= length);
                out.extend_from_slice(&piece);
                if out.len() as u64 == size {
                    return out;
                }
                assert!(!piece.is_empty(), "an empty piece before the end");
            }
            other => panic!("expected blob_data, got {other:?}"),
        }
    }
}

fn bad_offset(m: &ServerMessage) -> u64 {
    match m {
        ServerMessage::BadOffset { offset, .. } => *offset,
        other => panic!("expected bad_offset, got {other:?}"),
    }
}

async fn still_usable(c: &mut WireClient) {
    let pong = c.request(json!({"type":"ping"})).await.unwrap();
    assert_eq!(pong, ServerMessage::Pong {});
}

fn blob_file(srv: &ServerProcess, id: &str) -> PathBuf {
    srv.data_dir().join("blobs").join(&id[..2]).join(id)
}

#[tokio::test]
async fn pieces_up_and_the_same_bytes_down_with_the_advertised_limits() {
    let srv = server(&[]);
    let (mut alice, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let data = bytes(3 * 1024 * 1024 + 12_345, 1);
    let id = upload(&mut alice, &data, 500_000).await;
    assert_eq!(id.len(), 32);
    // Anyone logged in who holds the id downloads it; pieces are capped
    // at max_piece whatever length is asked for.
    let mut bob = user(&srv, "bob", &bob_key()).await;
    match get(&mut bob, &id, 0, 10 << 20).await {
        ServerMessage::BlobData {
            data: piece, size, ..
        } => {
            assert_eq!(b64_decode(&piece, "d").unwrap().len(), 512 * 1024);
            assert_eq!(size, data.len() as u64);
        }
        other => panic!("{other:?}"),
    }
    let back = download(&mut bob, &id, 300_000).await;
    assert_eq!(back.len(), data.len());
    assert_eq!(digest(&back), digest(&data));
    assert!(back == data, "byte-identical");
    match status(&mut bob, &id).await {
        ServerMessage::BlobStatus {
            size,
            offset,
            finished,
            ..
        } => assert_eq!(
            (size, offset, finished),
            (data.len() as u64, data.len() as u64, true)
        ),
        other => panic!("{other:?}"),
    }
    // At the end: empty data; past it: bad_offset with the size.
    match get(&mut bob, &id, data.len() as u64, 10).await {
        ServerMessage::BlobData { data, .. } => assert!(data.is_empty()),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        bad_offset(&get(&mut bob, &id, data.len() as u64 + 1, 10).await),
        data.len() as u64
    );
    // Finishing again with the same digest answers again.
    assert!(matches!(
        finish(&mut alice, &id, &digest(&data)).await,
        ServerMessage::BlobFinished { .. }
    ));
    still_usable(&mut bob).await;
}

#[tokio::test]
async fn hello_advertises_the_configured_limits() {
    let srv = server(&[
        "--max-blob",
        "5000",
        "--max-piece",
        "1024",
        "--blob-quota",
        "9000",
        "--upload-ttl-secs",
        "60",
        "--blob-ttl-secs",
        "120",
    ]);
    let stream = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let mut reader = tokio::io::BufReader::new(stream);
    let frame = chat_proto::codec::read_frame(&mut reader, 1 << 20)
        .await
        .unwrap()
        .unwrap();
    let hello: serde_json::Value = serde_json::from_slice(&frame).unwrap();
    assert_eq!(
        hello["files"],
        json!({"max_blob":5000,"max_piece":1024,"quota":9000,
               "upload_ttl_ms":60_000,"blob_ttl_ms":120_000})
    );
}

#[tokio::test]
async fn a_dropped_connection_resumes_from_the_durable_offset() {
    let srv = server(&[]);
    let (mut first, token) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    // bob watches alice: her going offline says the server is done with
    // the first connection, the piece in flight included.
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let watched = bob
        .request(json!({"type":"watch","users":["alice"]}))
        .await
        .unwrap();
    assert!(
        matches!(watched, ServerMessage::WatchOk { .. }),
        "{watched:?}"
    );
    let data = bytes(2 * 1024 * 1024, 2);
    let id = created(&mut first, data.len() as u64).await;
    let cut = 3 * 256 * 1024;
    put_all(&mut first, &id, &data[..cut], 0, 256 * 1024).await;
    // A piece written but never acknowledged: the connection goes away.
    first
        .send_value(&json!({"type":"blob_put","id":99,"blob_id":id,"offset":cut,
                            "data":b64_encode(&data[cut..cut + 1000])}))
        .await
        .unwrap();
    drop(first);
    loop {
        match bob.next_push().await.unwrap() {
            ServerMessage::Presence {
                username, online, ..
            } if username == "alice" && !online => break,
            _ => {}
        }
    }
    let mut second = WireClient::connect(srv.addr).await.unwrap();
    assert!(matches!(
        second.resume("alice", &token).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    let offset = match status(&mut second, &id).await {
        ServerMessage::BlobStatus {
            offset, finished, ..
        } => {
            assert!(!finished);
            offset
        }
        other => panic!("{other:?}"),
    };
    // Either the last piece landed before the drop or it did not; never
    // less than what was acknowledged, never from zero.
    assert!(
        offset == cut as u64 || offset == cut as u64 + 1000,
        "{offset}"
    );
    assert_eq!(bad_offset(&put(&mut second, &id, 0, b"x").await), offset);
    put_all(&mut second, &id, &data, offset as usize, 256 * 1024).await;
    assert!(matches!(
        finish(&mut second, &id, &digest(&data)).await,
        ServerMessage::BlobFinished { .. }
    ));
    assert!(download(&mut second, &id, 512 * 1024).await == data);
}

#[tokio::test]
async fn a_killed_server_keeps_the_durable_offset() {
    let mut srv = server(&[]);
    let (mut c, token) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let data = bytes(1536 * 1024, 3);
    let id = created(&mut c, data.len() as u64).await;
    put_all(&mut c, &id, &data[..1024 * 1024], 0, 512 * 1024).await;
    srv.kill9_and_restart().unwrap();
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    assert!(matches!(
        c.resume("alice", &token).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    match status(&mut c, &id).await {
        ServerMessage::BlobStatus { offset, size, .. } => {
            assert_eq!((offset, size), (1024 * 1024, data.len() as u64))
        }
        other => panic!("{other:?}"),
    }
    put_all(&mut c, &id, &data, 1024 * 1024, 512 * 1024).await;
    assert!(matches!(
        finish(&mut c, &id, &digest(&data)).await,
        ServerMessage::BlobFinished { .. }
    ));
    assert!(download(&mut c, &id, 512 * 1024).await == data);
}

#[tokio::test]
async fn sizes_pieces_and_offsets_are_checked_and_the_connection_stays() {
    let srv = server(&["--max-blob", "4000", "--max-piece", "1024"]);
    // Before login, every blob request is not_authenticated.
    let mut anon = WireClient::connect(srv.addr).await.unwrap();
    for req in [
        json!({"type":"blob_create","size":10}),
        json!({"type":"blob_status","blob_id":"00000000000000000000000000000000"}),
        json!({"type":"blob_get","blob_id":"00000000000000000000000000000000","offset":0,"length":1}),
    ] {
        let r = anon.request(req).await.unwrap();
        assert_eq!(code(&r), ErrorCode::NotAuthenticated);
    }
    still_usable(&mut anon).await;
    let mut c = user(&srv, "alice", &alice_key()).await;
    assert_eq!(code(&create(&mut c, 0).await), ErrorCode::TooLarge);
    assert_eq!(code(&create(&mut c, 4001).await), ErrorCode::TooLarge);
    let id = created(&mut c, 4000).await;
    assert_eq!(
        code(&put(&mut c, &id, 0, &[7; 1025]).await),
        ErrorCode::TooLarge
    );
    assert_eq!(code(&put(&mut c, &id, 0, &[]).await), ErrorCode::BadRequest);
    let data = bytes(4000, 4);
    put_all(&mut c, &id, &data[..3500], 0, 1024).await;
    assert_eq!(
        bad_offset(&put(&mut c, &id, 100, &data[100..200]).await),
        3500
    );
    assert_eq!(bad_offset(&put(&mut c, &id, 4000, b"x").await), 3500);
    // A piece past the declared size.
    assert_eq!(
        code(&put(&mut c, &id, 3500, &[1; 501]).await),
        ErrorCode::TooLarge
    );
    // Finishing early names the offset to continue from.
    assert_eq!(bad_offset(&finish(&mut c, &id, &digest(&data)).await), 3500);
    // Malformed ids, digests and lengths are bad requests.
    let r = c
        .request(json!({"type":"blob_status","blob_id":id.to_uppercase()}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    let r = c
        .request(json!({"type":"blob_finish","blob_id":id,"digest":"abc"}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    let r = c
        .request(json!({"type":"blob_put","blob_id":id,"offset":3500,"data":"not base64!"}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    put_all(&mut c, &id, &data, 3500, 1024).await;
    assert!(matches!(
        finish(&mut c, &id, &digest(&data)).await,
        ServerMessage::BlobFinished { .. }
    ));
    assert_eq!(code(&get(&mut c, &id, 0, 0).await), ErrorCode::BadRequest);
    assert!(download(&mut c, &id, 1024).await == data);
    still_usable(&mut c).await;
}

#[tokio::test]
async fn quota_is_used_by_reservations_and_freed_by_delete_and_mismatch() {
    let srv = server(&["--blob-quota", "10000", "--max-uploads", "3"]);
    let mut c = user(&srv, "alice", &alice_key()).await;
    let a = created(&mut c, 6000).await;
    let r = create(&mut c, 5000).await;
    assert_eq!(code(&r), ErrorCode::QuotaExceeded, "{r:?}");
    // Another user's quota is their own.
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let _ = created(&mut bob, 9000).await;
    assert!(matches!(
        delete(&mut c, &a).await,
        ServerMessage::BlobDeleted { .. }
    ));
    assert_eq!(code(&status(&mut c, &a).await), ErrorCode::NoSuchBlob);
    let b = created(&mut c, 5000).await;
    let data = bytes(5000, 5);
    put_all(&mut c, &b, &data, 0, 4096).await;
    let wrong = digest(b"something else");
    assert_eq!(
        code(&finish(&mut c, &b, &wrong).await),
        ErrorCode::DigestMismatch
    );
    // The upload is discarded: gone, its file too, and its bytes free.
    assert_eq!(code(&status(&mut c, &b).await), ErrorCode::NoSuchBlob);
    assert!(!blob_file(&srv, &b).exists());
    let full = created(&mut c, 10_000).await;
    assert_eq!(code(&create(&mut c, 1).await), ErrorCode::QuotaExceeded);
    assert!(matches!(
        delete(&mut c, &full).await,
        ServerMessage::BlobDeleted { .. }
    ));
    // At most three unfinished uploads at once.
    for _ in 0..3 {
        created(&mut c, 10).await;
    }
    assert_eq!(code(&create(&mut c, 10).await), ErrorCode::QuotaExceeded);
    still_usable(&mut c).await;
}

#[tokio::test]
async fn only_the_owner_writes_and_unfinished_blobs_are_invisible() {
    let srv = server(&[]);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let unknown = "0123456789abcdef0123456789abcdef";
    assert_eq!(
        code(&status(&mut bob, unknown).await),
        ErrorCode::NoSuchBlob
    );
    assert_eq!(
        code(&get(&mut bob, unknown, 0, 10).await),
        ErrorCode::NoSuchBlob
    );
    let data = bytes(1000, 6);
    let id = created(&mut alice, 1000).await;
    put_all(&mut alice, &id, &data[..500], 0, 500).await;
    // Someone else's upload looks like no blob at all.
    assert_eq!(code(&status(&mut bob, &id).await), ErrorCode::NoSuchBlob);
    assert_eq!(
        code(&get(&mut bob, &id, 0, 10).await),
        ErrorCode::NoSuchBlob
    );
    assert_eq!(
        code(&put(&mut bob, &id, 500, &data[500..]).await),
        ErrorCode::NoSuchBlob
    );
    assert_eq!(
        code(&finish(&mut bob, &id, &digest(&data)).await),
        ErrorCode::NoSuchBlob
    );
    assert_eq!(code(&delete(&mut bob, &id).await), ErrorCode::NoSuchBlob);
    // Not even its owner downloads it before it is finished.
    assert_eq!(
        code(&get(&mut alice, &id, 0, 10).await),
        ErrorCode::NoSuchBlob
    );
    put_all(&mut alice, &id, &data, 500, 500).await;
    assert!(matches!(
        finish(&mut alice, &id, &digest(&data)).await,
        ServerMessage::BlobFinished { .. }
    ));
    // Finished: bob reads it, and still cannot change or delete it.
    assert_eq!(code(&delete(&mut bob, &id).await), ErrorCode::NoSuchBlob);
    assert_eq!(
        code(&put(&mut bob, &id, 1000, b"x").await),
        ErrorCode::NoSuchBlob
    );
    assert_eq!(
        code(&finish(&mut bob, &id, &digest(&data)).await),
        ErrorCode::NoSuchBlob
    );
    assert_eq!(bad_offset(&put(&mut alice, &id, 1000, b"x").await), 1000);
    assert_eq!(
        code(&finish(&mut alice, &id, &digest(b"other")).await),
        ErrorCode::DigestMismatch
    );
    assert!(
        download(&mut bob, &id, 4096).await == data,
        "a wrong second finish changes nothing"
    );
    assert!(matches!(
        delete(&mut alice, &id).await,
        ServerMessage::BlobDeleted { .. }
    ));
    assert_eq!(
        code(&get(&mut bob, &id, 0, 10).await),
        ErrorCode::NoSuchBlob
    );
    assert!(!blob_file(&srv, &id).exists());
    still_usable(&mut bob).await;
}

#[tokio::test]
async fn expired_uploads_and_blobs_answer_no_such_blob_and_leave_the_disk() {
    let srv = server(&[
        "--upload-ttl-secs",
        "1",
        "--blob-ttl-secs",
        "2",
        "--blob-sweep-secs",
        "1",
        "--blob-quota",
        "3000",
    ]);
    let mut c = user(&srv, "alice", &alice_key()).await;
    let data = bytes(1500, 7);
    let finished = upload(&mut c, &data, 1500).await;
    let pending = created(&mut c, 1500).await;
    put_all(&mut c, &pending, &data[..100], 0, 100).await;
    assert!(blob_file(&srv, &pending).exists());
    until_async("the unfinished upload to be swept", async || {
        !blob_file(&srv, &pending).exists()
    })
    .await;
    assert_eq!(code(&status(&mut c, &pending).await), ErrorCode::NoSuchBlob);
    assert_eq!(
        code(&put(&mut c, &pending, 100, b"x").await),
        ErrorCode::NoSuchBlob
    );
    until_async("the finished blob to be swept", async || {
        !blob_file(&srv, &finished).exists()
    })
    .await;
    assert_eq!(
        code(&get(&mut c, &finished, 0, 10).await),
        ErrorCode::NoSuchBlob
    );
    // Their quota is free again.
    let again = created(&mut c, 3000).await;
    assert_eq!(again.len(), 32);
}

#[tokio::test]
async fn chat_flows_on_one_connection_while_a_bulk_upload_runs_on_another() {
    let srv = server(&[]);
    let (mut chat, token) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let mut bulk = WireClient::connect(srv.addr).await.unwrap();
    assert!(matches!(
        bulk.resume("alice", &token).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    let data = bytes(8 * 1024 * 1024, 8);
    let expected = data.clone();
    let upload = tokio::spawn(async move {
        let id = upload(&mut bulk, &data, 512 * 1024).await;
        (bulk, id)
    });
    for i in 0..5 {
        let sent = chat
            .request(json!({"type":"send","to":"bob","envelope":{"kind":"msg","n":i}}))
            .await
            .unwrap();
        assert!(matches!(sent, ServerMessage::Sent { .. }), "{sent:?}");
        match bob.next_push().await.unwrap() {
            ServerMessage::Deliver { from, envelope, .. } => {
                assert_eq!((from.as_str(), envelope["n"].as_i64()), ("alice", Some(i)));
            }
            other => panic!("{other:?}"),
        }
        let back = bob
            .request(json!({"type":"send","to":"alice","envelope":{"kind":"msg","n":i}}))
            .await
            .unwrap();
        assert!(matches!(back, ServerMessage::Sent { .. }));
    }
    let mut got = 0;
    while got < 5 {
        if let ServerMessage::Deliver { from, .. } = chat.next_push().await.unwrap() {
            assert_eq!(from, "bob");
            got += 1;
        }
    }
    let (mut bulk, id) = upload.await.unwrap();
    assert!(download(&mut bulk, &id, 512 * 1024).await == expected);
}

#[tokio::test]
async fn pipelined_downloads_all_arrive_and_pushes_still_get_through() {
    let srv = server(&[]);
    let mut alice = user(&srv, "alice", &alice_key()).await;
    let data = bytes(2 * 1024 * 1024, 9);
    let id = upload(&mut alice, &data, 512 * 1024).await;
    let mut bob = user(&srv, "bob", &bob_key()).await;
    // Twenty requests for pieces written before a single answer is read:
    // the server queues only a few pieces at a time for bob, every answer
    // arrives in order, and a message pushed to bob is not lost among them.
    let frames: Vec<serde_json::Value> = (0..20u64)
        .map(|i| {
            json!({"type":"blob_get","blob_id":id,"offset":(i % 4) * 512 * 1024,
                   "length":512 * 1024})
        })
        .collect();
    let sent = alice
        .request(json!({"type":"send","to":"bob","envelope":{"kind":"msg","n":1}}))
        .await
        .unwrap();
    assert!(matches!(sent, ServerMessage::Sent { .. }));
    let answers = pipeline(&mut bob, frames).await;
    for (i, answer) in answers.iter().enumerate() {
        let ServerMessage::BlobData {
            offset,
            data: piece,
            ..
        } = answer
        else {
            panic!("{answer:?}")
        };
        let at = (i as u64 % 4) * 512 * 1024;
        assert_eq!(*offset, at);
        let piece = b64_decode(piece, "data").unwrap();
        assert!(piece[..] == data[at as usize..at as usize + 512 * 1024]);
    }
    match bob.next_push().await.unwrap() {
        ServerMessage::Deliver { from, .. } => assert_eq!(from, "alice"),
        other => panic!("{other:?}"),
    }
    still_usable(&mut bob).await;
}

#[tokio::test]
async fn a_second_session_for_transfers_leaves_presence_alone() {
    let srv = server(&[]);
    let (mut chat, token) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    match bob
        .request(json!({"type":"watch","users":["alice"]}))
        .await
        .unwrap()
    {
        ServerMessage::WatchOk { users } => assert!(users[0].online),
        other => panic!("{other:?}"),
    }
    let mut bulk = WireClient::connect(srv.addr).await.unwrap();
    assert!(matches!(
        bulk.resume("alice", &token).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    upload(&mut bulk, &bytes(100_000, 10), 64 * 1024).await;
    // The transfer session ends (logout is answered after its session is
    // down, so no race): alice is still online through her chat session.
    let out = bulk.request(json!({"type":"logout"})).await.unwrap();
    assert_eq!(out, ServerMessage::LogoutOk {});
    let sent = chat
        .request(json!({"type":"send","to":"bob","envelope":{"kind":"msg"}}))
        .await
        .unwrap();
    assert!(matches!(sent, ServerMessage::Sent { .. }));
    match bob.next_push().await.unwrap() {
        ServerMessage::Deliver { from, .. } => assert_eq!(from, "alice"),
        other => panic!("bob heard {other:?} before alice's message"),
    }
}

/// A transfers-only session (`resume` with `deliver: false`, D16) is never
/// sent deliveries: alice's mail waiting when it starts and mail coming
/// while it uploads go to her chat session only, once.
#[tokio::test]
async fn a_transfers_only_session_gets_no_deliveries() {
    let srv = server(&[]);
    let (mut chat, token) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    let mut bob = user(&srv, "bob", &bob_key()).await;
    let send = json!({"type":"send","to":"alice","envelope":{"kind":"msg"}});
    assert!(matches!(
        bob.request(send.clone()).await.unwrap(),
        ServerMessage::Sent { .. }
    ));
    let mut bulk = WireClient::connect(srv.addr).await.unwrap();
    assert!(matches!(
        bulk.resume_for_transfers("alice", &token).await.unwrap(),
        ServerMessage::LoginOk { .. }
    ));
    upload(&mut bulk, &bytes(300_000, 11), 64 * 1024).await;
    assert!(matches!(
        bob.request(send).await.unwrap(),
        ServerMessage::Sent { .. }
    ));
    upload(&mut bulk, &bytes(300_000, 12), 64 * 1024).await;
    for n in 0..2 {
        match chat.next_push().await.unwrap() {
            ServerMessage::Deliver { from, .. } => assert_eq!(from, "bob", "message {n}"),
            other => panic!("{other:?}"),
        }
    }
    // A delivering session is sent the waiting message as soon as it is
    // logged in, before the answers to the many requests of an upload.
    assert!(
        !bulk
            .backlog
            .iter()
            .any(|(_, m)| matches!(m, ServerMessage::Deliver { .. })),
        "{:?}",
        bulk.backlog
    );
}
