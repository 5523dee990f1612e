//! Bad input on the wire (PROTOCOL.md §1.2): each gets its error, the
//! connection stays where the protocol says so, and closes where it says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

#[tokio::test]
async fn zero_length_frame_is_refused_and_closes() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    c.write_raw(&[0, 0, 0, 0]).await.unwrap();
    let seen = c.expect_closed().await.unwrap();
    assert!(
        matches!(
            seen.as_slice(),
            [ServerMessage::Error {
                code: ErrorCode::FrameTooLarge,
                ..
            }]
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn oversized_frames_are_refused_before_the_body_arrives() {
    let srv = server(&[]);
    // 64 KiB + 1 before login: refused from the header alone, body never sent.
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    c.write_raw(&(64 * 1024 + 1u32).to_be_bytes())
        .await
        .unwrap();
    let seen = c.expect_closed().await.unwrap();
    assert!(
        matches!(
            seen.as_slice(),
            [ServerMessage::Error {
                code: ErrorCode::FrameTooLarge,
                ..
            }]
        ),
        "{seen:?}"
    );
    // A 4 GiB announcement too.
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    c.write_raw(&u32::MAX.to_be_bytes()).await.unwrap();
    assert_eq!(
        code(&c.expect_closed().await.unwrap()[0]),
        ErrorCode::FrameTooLarge
    );
}

#[tokio::test]
async fn the_cap_rises_to_one_mebibyte_after_login() {
    let srv = server(&[]);
    let (mut c, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    // A 200 KiB envelope is fine once logged in.
    let big = "x".repeat(200 * 1024);
    let r = c
        .request(json!({"type":"send","to":"alice","envelope":{"kind":"msg","ct":big}}))
        .await
        .unwrap();
    assert!(matches!(r, ServerMessage::Sent { .. }), "{r:?}");
    // Exactly 1 MiB is allowed; one byte more closes.
    let payload = serde_json::to_vec(&json!({"type":"ping","id":1,"pad":""})).unwrap();
    let pad = 1024 * 1024 - payload.len();
    let payload = serde_json::to_vec(&json!({"type":"ping","id":1,"pad":"y".repeat(pad)})).unwrap();
    assert_eq!(payload.len(), 1024 * 1024);
    c.send_payload(&payload).await.unwrap();
    // Skip the delivery of the message alice sent herself above.
    let answer = loop {
        match c.recv().await.unwrap().unwrap() {
            (None, ServerMessage::Deliver { .. }) => continue,
            other => break other,
        }
    };
    assert_eq!(answer, (Some(1u64.into()), ServerMessage::Pong {}));
    c.write_raw(&(1024 * 1024 + 1u32).to_be_bytes())
        .await
        .unwrap();
    assert_eq!(
        code(&c.expect_closed().await.unwrap()[0]),
        ErrorCode::FrameTooLarge
    );

    // The same 200 KiB frame before login is refused.
    let mut anon = WireClient::connect(srv.addr).await.unwrap();
    anon.send_value(&json!({"type":"ping","pad":"z".repeat(200 * 1024)}))
        .await
        .unwrap();
    assert_eq!(
        code(&anon.expect_closed().await.unwrap()[0]),
        ErrorCode::FrameTooLarge
    );
}

#[tokio::test]
async fn malformed_frames_get_bad_frame_and_the_connection_stays() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    for payload in [
        &b"\xff\xfe\xfd"[..],
        b"not json",
        b"[1,2,3]",
        b"\"str\"",
        b"{\"id\":1}",
        b"{\"type\":7}",
    ] {
        c.send_payload(payload).await.unwrap();
        let (_, msg) = c.recv().await.unwrap().expect("still open");
        assert_eq!(code(&msg), ErrorCode::BadFrame, "{payload:?}");
    }
    assert_eq!(
        c.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
}

#[tokio::test]
async fn ten_bad_frames_in_a_row_close_the_connection() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    for _ in 0..9 {
        c.send_payload(b"garbage").await.unwrap();
        assert_eq!(
            code(&c.recv().await.unwrap().expect("open").1),
            ErrorCode::BadFrame
        );
    }
    // A good frame resets the count.
    assert_eq!(
        c.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    for _ in 0..9 {
        c.send_payload(b"garbage").await.unwrap();
        assert_eq!(
            code(&c.recv().await.unwrap().expect("open").1),
            ErrorCode::BadFrame
        );
    }
    c.send_payload(b"garbage").await.unwrap();
    let seen = c.expect_closed().await.unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(code(&seen[0]), ErrorCode::BadFrame);
}

#[tokio::test]
async fn unknown_types_and_bad_requests_echo_the_id() {
    let srv = server(&[]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    let r = c.request(json!({"type":"teleport"})).await.unwrap();
    assert_eq!(code(&r), ErrorCode::UnknownType);
    let r = c
        .request(json!({"type":"get_key","username":42}))
        .await
        .unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    let r = c.request(json!({"type":"watch"})).await.unwrap();
    assert_eq!(code(&r), ErrorCode::BadRequest);
    // String ids come back as sent; unknown fields are ignored.
    c.send_value(&json!({"type":"ping","id":"abc-1","future_field":{"x":1}}))
        .await
        .unwrap();
    let (id, msg) = c.recv().await.unwrap().unwrap();
    assert_eq!(id, Some(chat_proto::RequestId::Text("abc-1".into())));
    assert_eq!(msg, ServerMessage::Pong {});
    // An id that is neither a number nor a short string.
    c.send_value(&json!({"type":"ping","id":"i".repeat(65)}))
        .await
        .unwrap();
    assert_eq!(
        code(&c.recv().await.unwrap().unwrap().1),
        ErrorCode::BadRequest
    );
    c.send_value(&json!({"type":"ping","id":[1]}))
        .await
        .unwrap();
    assert_eq!(
        code(&c.recv().await.unwrap().unwrap().1),
        ErrorCode::BadRequest
    );
    assert_eq!(
        c.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
}

#[tokio::test]
async fn silent_connections_are_closed() {
    let srv = server(&["--idle-timeout", "1", "--login-timeout", "30"]);
    let (mut c, _) = WireClient::logged_in(srv.addr, "alice", &alice_key())
        .await
        .unwrap();
    // Logged in and silent: closed after the idle timeout.
    assert!(c.expect_closed().await.unwrap().is_empty());
}

#[tokio::test]
async fn connections_that_never_log_in_are_closed() {
    let srv = server(&["--login-timeout", "1"]);
    let mut c = WireClient::connect(srv.addr).await.unwrap();
    // Pings do not count as logging in.
    assert_eq!(
        c.request(json!({"type":"ping"})).await.unwrap(),
        ServerMessage::Pong {}
    );
    let seen = c.expect_closed().await.unwrap();
    assert!(
        matches!(
            seen.as_slice(),
            [ServerMessage::Error {
                code: ErrorCode::NotAuthenticated,
                ..
            }]
        ),
        "{seen:?}"
    );
}

#[tokio::test]
async fn connections_over_the_cap_are_told_the_server_is_busy() {
    let srv = server(&["--max-connections", "1"]);
    let _first = WireClient::connect(srv.addr).await.unwrap();
    let mut tcp = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    let frame = chat_proto::codec::read_frame(&mut tcp, 65536)
        .await
        .unwrap()
        .unwrap();
    let (_, msg) = chat_proto::wire::decode_server(&frame).unwrap();
    assert!(
        matches!(
            msg,
            ServerMessage::Error {
                code: ErrorCode::ServerBusy,
                retry_after_ms: Some(_),
                ..
            }
        ),
        "{msg:?}"
    );
}
