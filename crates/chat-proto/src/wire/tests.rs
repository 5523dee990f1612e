use super::*;
use serde_json::json;

fn decode(v: Value) -> Result<(Option<RequestId>, Request), DecodeError> {
    decode_request(&serde_json::to_vec(&v).unwrap_or_default())
}

#[test]
fn requests_decode_with_ids_and_ignore_unknown_fields() {
    let (id, req) = decode(json!({"type":"ping","id":7,"extra":true})).expect("ping");
    assert_eq!(id, Some(RequestId::from(7)));
    assert_eq!(req, Request::Ping {});
    let (id, req) = decode(json!({"type":"get_key","id":"k-1","username":"bob"})).expect("get_key");
    assert_eq!(id, Some(RequestId::Text("k-1".into())));
    assert_eq!(
        req,
        Request::GetKey {
            username: "bob".into()
        }
    );
    let (_, req) = decode(json!({"type":"list_users"})).expect("list_users defaults");
    assert_eq!(
        req,
        Request::ListUsers {
            prefix: String::new(),
            limit: None,
            online_only: false,
            after: None
        }
    );
}

#[test]
fn bad_frames_are_classified() {
    let err = |bytes: &[u8]| decode_request(bytes).err().map(|e| e.code);
    assert_eq!(err(b"\xff\xfe"), Some(ErrorCode::BadFrame));
    assert_eq!(err(b"not json"), Some(ErrorCode::BadFrame));
    assert_eq!(err(b"[1,2]"), Some(ErrorCode::BadFrame));
    assert_eq!(err(b"{\"id\":1}"), Some(ErrorCode::BadFrame));
    assert_eq!(err(b"{\"type\":5}"), Some(ErrorCode::BadFrame));
    assert_eq!(
        err(b"{\"type\":\"teleport\"}"),
        Some(ErrorCode::UnknownType)
    );
    assert_eq!(
        err(b"{\"type\":\"get_key\",\"username\":5}"),
        Some(ErrorCode::BadRequest)
    );
    assert_eq!(
        err(b"{\"type\":\"send\",\"to\":\"bob\",\"envelope\":\"x\"}"),
        Some(ErrorCode::BadRequest)
    );
    assert_eq!(
        err(b"{\"type\":\"ping\",\"id\":{}}"),
        Some(ErrorCode::BadRequest)
    );
    let long_id = json!({"type":"ping","id":"x".repeat(65)});
    assert_eq!(
        decode(long_id).err().map(|e| e.code),
        Some(ErrorCode::BadRequest)
    );
}

#[test]
fn errors_keep_the_request_id() {
    let e = decode(json!({"type":"get_key","id":42})).expect_err("missing username");
    assert_eq!(e.id, Some(RequestId::from(42)));
    assert_eq!(e.code, ErrorCode::BadRequest);
}

#[test]
fn server_messages_round_trip_with_id() {
    let msg = ServerMessage::Sent {
        msg_id: "m1".into(),
        ts: 5,
        queued: true,
    };
    let bytes = encode(Some(&RequestId::from(3)), &msg);
    let v: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(
        v,
        json!({"type":"sent","id":3,"msg_id":"m1","ts":5,"queued":true})
    );
    let (id, back) = decode_server(&bytes).expect("decode");
    assert_eq!((id, back), (Some(RequestId::from(3)), msg));
    let err = ServerMessage::Error {
        code: ErrorCode::RateLimited,
        message: "slow down".into(),
        retry_after_ms: Some(900),
    };
    let v: Value = serde_json::from_slice(&encode(None, &err)).expect("json");
    assert_eq!(
        v,
        json!({"type":"error","code":"rate_limited","message":"slow down","retry_after_ms":900})
    );
}

#[test]
fn every_error_code_has_its_wire_name() {
    for code in ErrorCode::ALL {
        let v = serde_json::to_value(code).expect("code");
        assert_eq!(v, Value::String(code.as_str().into()));
    }
}

#[test]
fn type_lists_match_the_enums() {
    // Every listed type decodes (or fails only for missing fields), so the
    // list and the enum cannot drift apart silently.
    for ty in REQUEST_TYPES {
        let e = decode(json!({"type": ty}));
        assert!(
            !matches!(
                e,
                Err(DecodeError {
                    code: ErrorCode::UnknownType,
                    ..
                })
            ),
            "{ty}"
        );
    }
}

/// Found by fuzz/wire_request: a float id must come back as the number the
/// client sent, so its echo parses to the same value (serde_json's
/// `float_roundtrip` makes the parse correctly rounded).
#[test]
fn a_float_id_survives_the_echo() {
    let found = br#"{"type":"list_users","id":59999999999999999999999999999e9,"prefix":"al","li:it":10,"online_only":true,"after":"a"}"#;
    let (id, request) = decode_request(found).expect("the fuzzer's list_users");
    let again = decode_request(&encode(id.as_ref(), &request)).expect("its echo parses");
    assert_eq!(again, (id, request));
    let frame = br#"{"type":"ping","id":5999999999999999999999999999999999999999e9}"#;
    let (id, request) = decode_request(frame).expect("a ping with a float id");
    let again = decode_request(&encode(id.as_ref(), &request)).expect("the echo parses");
    assert_eq!(again, (id, request));
    // And the id is the correctly rounded value of the text.
    let Some(RequestId::Number(n)) = &again.0 else {
        panic!("not a number id: {:?}", again.0)
    };
    assert_eq!(
        n.as_f64(),
        Some(
            "5999999999999999999999999999999999999999e9"
                .parse::<f64>()
                .unwrap()
        )
    );
}

#[test]
fn ephemeral_sends_are_their_own_variant_and_a_send_on_the_wire() {
    let env = json!({"kind":"msg"});
    let (_, req) = decode(json!({"type":"send","to":"bob","envelope":env,"ephemeral":true}))
        .expect("ephemeral send");
    let Request::SendEphemeral { to, envelope } = &req else {
        panic!("not ephemeral: {req:?}")
    };
    assert_eq!(
        (to.as_str(), Value::Object(envelope.clone())),
        ("bob", env.clone())
    );
    let v: Value = serde_json::from_slice(&encode(None, &req)).expect("json");
    assert_eq!(
        v,
        json!({"type":"send","to":"bob","envelope":env,"ephemeral":true})
    );
    // `false` or no flag is the stored send of version 1.
    for frame in [
        json!({"type":"send","to":"bob","envelope":env,"ephemeral":false}),
        json!({"type":"send","to":"bob","envelope":env}),
    ] {
        assert!(matches!(decode(frame), Ok((_, Request::Send { .. }))));
    }
    // A flag that is not a boolean is refused, not read as "stored".
    let e = decode(json!({"type":"send","id":1,"to":"bob","envelope":env,"ephemeral":"yes"}))
        .expect_err("string flag");
    assert_eq!(
        (e.code, e.id),
        (ErrorCode::BadRequest, Some(RequestId::from(1)))
    );
    // The internal tags are not wire types.
    for ty in [
        "send_ephemeral",
        "deliver_ephemeral",
        "sent_ephemeral",
        "stale_version",
    ] {
        let e = decode(json!({"type":ty,"to":"bob","envelope":env})).expect_err(ty);
        assert_eq!(e.code, ErrorCode::UnknownType, "{ty}");
        let e = decode_server(&serde_json::to_vec(&json!({"type":ty})).unwrap_or_default())
            .expect_err(ty);
        assert_eq!(e.code, ErrorCode::UnknownType, "{ty}");
    }
}

#[test]
fn section_4_5_answers_have_their_documented_shapes() {
    let shape = |m: &ServerMessage| -> Value {
        serde_json::from_slice(&encode(Some(&RequestId::from(1)), m)).expect("json")
    };
    let sent = ServerMessage::SentEphemeral {
        msg_id: "m".into(),
        ts: 5,
        delivered: false,
    };
    assert_eq!(
        shape(&sent),
        json!({"type":"sent","id":1,"msg_id":"m","ts":5,"queued":false,"delivered":false})
    );
    let deliver = ServerMessage::DeliverEphemeral {
        msg_id: "m".into(),
        from: "alice".into(),
        ts: 5,
        envelope: Map::new(),
    };
    assert_eq!(
        serde_json::from_slice::<Value>(&encode(None, &deliver)).expect("json"),
        json!({"type":"deliver","msg_id":"m","from":"alice","ts":5,"envelope":{},"ephemeral":true})
    );
    let multi = ServerMessage::SentMulti {
        ts: 5,
        results: vec![
            MultiResult {
                to: "bob".into(),
                outcome: MultiOutcome::Sent {
                    msg_id: "m1".into(),
                    queued: true,
                    delivered: None,
                },
            },
            MultiResult {
                to: "carol".into(),
                outcome: MultiOutcome::Failed {
                    error: ItemError {
                        code: ErrorCode::MailboxFull,
                        message: "full".into(),
                    },
                },
            },
        ],
    };
    assert_eq!(
        shape(&multi),
        json!({"type":"sent_multi","id":1,"ts":5,"results":[
            {"to":"bob","msg_id":"m1","queued":true},
            {"to":"carol","error":{"code":"mailbox_full","message":"full"}}]})
    );
    let stale = ServerMessage::StaleVersion {
        message: "lost".into(),
        current_version: 3,
        current_hash: "ab".into(),
    };
    assert_eq!(
        shape(&stale),
        json!({"type":"error","id":1,"code":"stale_version","message":"lost",
               "current_version":3,"current_hash":"ab"})
    );
    for m in [sent, deliver, multi, stale] {
        let bytes = encode(Some(&RequestId::from(1)), &m);
        assert_eq!(
            decode_server(&bytes).expect("decode"),
            (Some(RequestId::from(1)), m)
        );
    }
    // A stale_version error without its current version is still an error.
    let bare = br#"{"type":"error","code":"stale_version","message":"m"}"#;
    assert!(matches!(
        decode_server(bare),
        Ok((
            None,
            ServerMessage::Error {
                code: ErrorCode::StaleVersion,
                ..
            }
        ))
    ));
}

#[test]
fn send_multi_items_keep_envelopes_that_are_not_objects() {
    let (_, req) = decode(json!({"type":"send_multi","messages":[
        {"to":"bob","envelope":{"kind":"msg"}},{"to":"carol","envelope":"text"}]}))
    .expect("send_multi");
    let Request::SendMulti {
        messages,
        ephemeral,
    } = req
    else {
        panic!("not send_multi")
    };
    assert!(!ephemeral);
    assert_eq!(messages[1].envelope, json!("text"));
    for bad in [
        json!({"type":"send_multi"}),
        json!({"type":"send_multi","messages":{}}),
        json!({"type":"send_multi","messages":[{"envelope":{}}]}),
        json!({"type":"send_multi","messages":[{"to":"bob"}]}),
        json!({"type":"send_multi","messages":[],"ephemeral":1}),
        json!({"type":"group_commit","group_id":"g","version":-1,"state_hash":"h","members":[],"admins":[]}),
    ] {
        assert_eq!(
            decode(bad.clone()).err().map(|e| e.code),
            Some(ErrorCode::BadRequest),
            "{bad}"
        );
    }
}

#[test]
fn blob_requests_decode_from_their_documented_shapes() {
    let id = "0123456789abcdef0123456789abcdef";
    let cases = [
        (
            json!({"type":"blob_create","id":1,"size":5}),
            Request::BlobCreate { size: 5 },
        ),
        (
            json!({"type":"blob_put","id":1,"blob_id":id,"offset":0,"data":"aGk="}),
            Request::BlobPut {
                blob_id: id.into(),
                offset: 0,
                data: "aGk=".into(),
            },
        ),
        (
            json!({"type":"blob_status","id":1,"blob_id":id}),
            Request::BlobStatus { blob_id: id.into() },
        ),
        (
            json!({"type":"blob_finish","id":1,"blob_id":id,"digest":"ab"}),
            Request::BlobFinish {
                blob_id: id.into(),
                digest: "ab".into(),
            },
        ),
        (
            json!({"type":"blob_get","id":1,"blob_id":id,"offset":2,"length":3}),
            Request::BlobGet {
                blob_id: id.into(),
                offset: 2,
                length: 3,
            },
        ),
        (
            json!({"type":"blob_delete","id":1,"blob_id":id}),
            Request::BlobDelete { blob_id: id.into() },
        ),
    ];
    for (frame, want) in cases {
        let (rid, got) = decode(frame.clone()).expect("decodes");
        assert_eq!((rid, &got), (Some(RequestId::from(1)), &want), "{frame}");
        let again: Value =
            serde_json::from_slice(&encode(Some(&RequestId::from(1)), &got)).expect("json");
        assert_eq!(again, frame, "the encoding is the documented shape");
    }
    for bad in [
        json!({"type":"blob_create","size":-1}),
        json!({"type":"blob_create","size":"5"}),
        json!({"type":"blob_put","blob_id":id,"offset":0}),
        json!({"type":"blob_put","blob_id":id,"offset":-1,"data":""}),
        json!({"type":"blob_get","blob_id":id,"offset":0}),
        json!({"type":"blob_finish","blob_id":id}),
    ] {
        assert_eq!(
            decode(bad.clone()).err().map(|e| e.code),
            Some(ErrorCode::BadRequest),
            "{bad}"
        );
    }
}

#[test]
fn blob_answers_round_trip_in_their_documented_shapes() {
    let id = "0123456789abcdef0123456789abcdef".to_string();
    let cases = [
        (
            ServerMessage::BlobCreated {
                blob_id: id.clone(),
                expires: 9,
            },
            json!({"type":"blob_created","id":1,"blob_id":id,"expires":9}),
        ),
        (
            ServerMessage::BlobAck {
                blob_id: id.clone(),
                offset: 4,
            },
            json!({"type":"blob_ack","id":1,"blob_id":id,"offset":4}),
        ),
        (
            ServerMessage::BlobStatus {
                blob_id: id.clone(),
                size: 8,
                offset: 4,
                finished: false,
                expires: 9,
            },
            json!({"type":"blob_status","id":1,"blob_id":id,"size":8,"offset":4,
                   "finished":false,"expires":9}),
        ),
        (
            ServerMessage::BlobFinished {
                blob_id: id.clone(),
                size: 8,
                expires: 9,
            },
            json!({"type":"blob_finished","id":1,"blob_id":id,"size":8,"expires":9}),
        ),
        (
            ServerMessage::BlobData {
                blob_id: id.clone(),
                offset: 0,
                size: 2,
                data: "aGk=".into(),
            },
            json!({"type":"blob_data","id":1,"blob_id":id,"offset":0,"size":2,"data":"aGk="}),
        ),
        (
            ServerMessage::BlobDeleted {
                blob_id: id.clone(),
            },
            json!({"type":"blob_deleted","id":1,"blob_id":id}),
        ),
        (
            ServerMessage::BadOffset {
                message: "continue at 4".into(),
                offset: 4,
            },
            json!({"type":"error","id":1,"code":"bad_offset","message":"continue at 4","offset":4}),
        ),
    ];
    for (msg, shape) in cases {
        let bytes = encode(Some(&RequestId::from(1)), &msg);
        let v: Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(v, shape);
        assert_eq!(
            decode_server(&bytes).expect("decode"),
            (Some(RequestId::from(1)), msg)
        );
    }
    // A bad_offset without its offset is still an error, and the internal
    // tag is not a wire type.
    let bare = br#"{"type":"error","code":"bad_offset","message":"m"}"#;
    assert!(matches!(
        decode_server(bare),
        Ok((
            None,
            ServerMessage::Error {
                code: ErrorCode::BadOffset,
                ..
            }
        ))
    ));
    let e = decode(json!({"type":"bad_offset","offset":1})).expect_err("internal tag");
    assert_eq!(e.code, ErrorCode::UnknownType);
}

#[test]
fn hello_carries_the_file_limits_when_there_are_some() {
    let limits = FileLimits {
        max_blob: 104_864_000,
        max_piece: 524_288,
        quota: 1_073_741_824,
        upload_ttl_ms: 86_400_000,
        blob_ttl_ms: 2_592_000_000,
    };
    let hello = |files| ServerMessage::Hello {
        protocol: 1,
        server: "s".into(),
        server_key: "k".into(),
        nonce: "n".into(),
        files,
    };
    let v: Value = serde_json::from_slice(&encode(None, &hello(Some(limits)))).expect("json");
    assert_eq!(
        v["files"],
        json!({"max_blob":104_864_000u64,"max_piece":524_288,"quota":1_073_741_824u64,
               "upload_ttl_ms":86_400_000u64,"blob_ttl_ms":2_592_000_000u64})
    );
    let bytes = encode(None, &hello(None));
    let v: Value = serde_json::from_slice(&bytes).expect("json");
    assert!(v.get("files").is_none(), "no blob store, no `files`");
    assert_eq!(decode_server(&bytes).expect("decode").1, hello(None));
}
