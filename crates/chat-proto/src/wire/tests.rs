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
