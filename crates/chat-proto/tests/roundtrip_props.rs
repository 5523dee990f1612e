//! Round-trip properties of every chat-proto encoder, on stable (the
//! fuzzers in fuzz/ explore the decoders with arbitrary bytes; these
//! generate arbitrary *valid* values): frames, `tbs`, base64, every wire
//! message in both directions, and sealed blobs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chat_proto::codec::{encode_frame, read_frame_blocking};
use chat_proto::crypto::{RsaPrivateKey, private_key_from_pem};
use chat_proto::encoding::{b64_decode, b64_encode, tbs};
use chat_proto::sealed::{Sealed, credentials_aad};
use chat_proto::wire::{
    ErrorCode, FileLimits, ItemError, MultiItem, MultiOutcome, MultiResult, RequestId,
    ServerMessage, UserPresence, decode_request, decode_server, encode,
};
use chat_proto::{Request, wire::MAX_ID_LEN};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including quotes, backslashes, controls and NUL.
    proptest::collection::vec(any::<char>(), 0..24).prop_map(|c| c.into_iter().collect())
}

fn request_id() -> impl Strategy<Value = Option<RequestId>> {
    prop_oneof![
        Just(None),
        any::<u64>().prop_map(|n| Some(RequestId::from(n))),
        any::<i64>().prop_map(|n| Some(RequestId::Number(n.into()))),
        proptest::collection::vec(any::<char>(), 0..=MAX_ID_LEN)
            .prop_map(|c| Some(RequestId::Text(c.into_iter().collect()))),
    ]
}

fn sealed() -> impl Strategy<Value = Sealed> {
    (text(), text(), text()).prop_map(|(ek, nonce, ct)| Sealed { ek, nonce, ct })
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ]
}

fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    let value = json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map(text(), value, 0..5).prop_map(|m| m.into_iter().collect())
}

fn names() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(text(), 0..5)
}

fn request() -> impl Strategy<Value = Request> {
    prop_oneof![
        (sealed(), text()).prop_map(|(credentials, public_key)| Request::Signup {
            credentials,
            public_key
        }),
        (sealed(), text()).prop_map(|(credentials, public_key)| Request::Login {
            credentials,
            public_key
        }),
        (sealed(), proptest::option::of(any::<bool>())).prop_map(|(credentials, deliver)| {
            Request::Resume {
                credentials,
                deliver,
            }
        }),
        Just(Request::Logout {}),
        sealed().prop_map(|credentials| Request::ChangePassword { credentials }),
        (
            text(),
            proptest::option::of(any::<u32>()),
            any::<bool>(),
            proptest::option::of(text())
        )
            .prop_map(|(prefix, limit, online_only, after)| Request::ListUsers {
                prefix,
                limit,
                online_only,
                after
            }),
        text().prop_map(|username| Request::GetKey { username }),
        names().prop_map(|users| Request::Watch { users }),
        names().prop_map(|users| Request::Unwatch { users }),
        (text(), json_object()).prop_map(|(to, envelope)| Request::Send { to, envelope }),
        (text(), json_object()).prop_map(|(to, envelope)| Request::SendEphemeral { to, envelope }),
        (
            proptest::collection::vec(
                (
                    text(),
                    prop_oneof![json_leaf(), json_object().prop_map(Value::Object)]
                )
                    .prop_map(|(to, envelope)| MultiItem { to, envelope }),
                0..4
            ),
            any::<bool>()
        )
            .prop_map(|(messages, ephemeral)| Request::SendMulti {
                messages,
                ephemeral
            }),
        (text(), any::<u64>(), text(), names(), names()).prop_map(
            |(group_id, version, state_hash, members, admins)| Request::GroupCommit {
                group_id,
                version,
                state_hash,
                members,
                admins
            }
        ),
        names().prop_map(|msg_ids| Request::Ack { msg_ids }),
        Just(Request::Ping {}),
        any::<u64>().prop_map(|size| Request::BlobCreate { size }),
        (text(), any::<u64>(), text()).prop_map(|(blob_id, offset, data)| Request::BlobPut {
            blob_id,
            offset,
            data
        }),
        text().prop_map(|blob_id| Request::BlobStatus { blob_id }),
        (text(), text()).prop_map(|(blob_id, digest)| Request::BlobFinish { blob_id, digest }),
        (text(), any::<u64>(), any::<u64>()).prop_map(|(blob_id, offset, length)| {
            Request::BlobGet {
                blob_id,
                offset,
                length,
            }
        }),
        text().prop_map(|blob_id| Request::BlobDelete { blob_id }),
    ]
}

fn multi_result() -> impl Strategy<Value = MultiResult> {
    let outcome = prop_oneof![
        (text(), any::<bool>(), proptest::option::of(any::<bool>())).prop_map(
            |(msg_id, queued, delivered)| MultiOutcome::Sent {
                msg_id,
                queued,
                delivered
            }
        ),
        (error_code(), text()).prop_map(|(code, message)| MultiOutcome::Failed {
            error: ItemError { code, message }
        }),
    ];
    (text(), outcome).prop_map(|(to, outcome)| MultiResult { to, outcome })
}

fn presence() -> impl Strategy<Value = Vec<UserPresence>> {
    proptest::collection::vec(
        (text(), any::<bool>()).prop_map(|(username, online)| UserPresence { username, online }),
        0..4,
    )
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    proptest::sample::select(ErrorCode::ALL.to_vec())
}

fn file_limits() -> impl Strategy<Value = FileLimits> {
    any::<[u64; 5]>().prop_map(|[max_blob, max_piece, quota, upload_ttl_ms, blob_ttl_ms]| {
        FileLimits {
            max_blob,
            max_piece,
            quota,
            upload_ttl_ms,
            blob_ttl_ms,
        }
    })
}

fn server_message() -> impl Strategy<Value = ServerMessage> {
    prop_oneof![
        (
            any::<u32>(),
            text(),
            text(),
            text(),
            proptest::option::of(file_limits())
        )
            .prop_map(|(protocol, server, server_key, nonce, files)| {
                ServerMessage::Hello {
                    protocol,
                    server,
                    server_key,
                    nonce,
                    files,
                }
            }),
        (text(), any::<i64>())
            .prop_map(|(blob_id, expires)| ServerMessage::BlobCreated { blob_id, expires }),
        (text(), any::<u64>())
            .prop_map(|(blob_id, offset)| ServerMessage::BlobAck { blob_id, offset }),
        (
            text(),
            any::<u64>(),
            any::<u64>(),
            any::<bool>(),
            any::<i64>()
        )
            .prop_map(|(blob_id, size, offset, finished, expires)| {
                ServerMessage::BlobStatus {
                    blob_id,
                    size,
                    offset,
                    finished,
                    expires,
                }
            }),
        (text(), any::<u64>(), any::<i64>()).prop_map(|(blob_id, size, expires)| {
            ServerMessage::BlobFinished {
                blob_id,
                size,
                expires,
            }
        }),
        (text(), any::<u64>(), any::<u64>(), text()).prop_map(|(blob_id, offset, size, data)| {
            ServerMessage::BlobData {
                blob_id,
                offset,
                size,
                data,
            }
        }),
        text().prop_map(|blob_id| ServerMessage::BlobDeleted { blob_id }),
        (text(), any::<u64>())
            .prop_map(|(message, offset)| ServerMessage::BadOffset { message, offset }),
        text().prop_map(|username| ServerMessage::SignupOk { username }),
        (text(), text(), any::<i64>()).prop_map(|(username, token, token_expires)| {
            ServerMessage::LoginOk {
                username,
                token,
                token_expires,
            }
        }),
        Just(ServerMessage::LogoutOk {}),
        Just(ServerMessage::PasswordChanged {}),
        (presence(), any::<bool>()).prop_map(|(users, more)| ServerMessage::Users { users, more }),
        (text(), text(), text()).prop_map(|(username, public_key, fingerprint)| {
            ServerMessage::Key {
                username,
                public_key,
                fingerprint,
            }
        }),
        presence().prop_map(|users| ServerMessage::WatchOk { users }),
        names().prop_map(|users| ServerMessage::UnwatchOk { users }),
        (text(), any::<bool>(), any::<i64>()).prop_map(|(username, online, ts)| {
            ServerMessage::Presence {
                username,
                online,
                ts,
            }
        }),
        (text(), text()).prop_map(|(username, fingerprint)| ServerMessage::KeyChanged {
            username,
            fingerprint
        }),
        (text(), any::<i64>(), any::<bool>())
            .prop_map(|(msg_id, ts, queued)| ServerMessage::Sent { msg_id, ts, queued }),
        (text(), text(), any::<i64>(), json_object()).prop_map(|(msg_id, from, ts, envelope)| {
            ServerMessage::Deliver {
                msg_id,
                from,
                ts,
                envelope,
            }
        }),
        (text(), any::<i64>(), any::<bool>()).prop_map(|(msg_id, ts, delivered)| {
            ServerMessage::SentEphemeral {
                msg_id,
                ts,
                delivered,
            }
        }),
        (
            any::<i64>(),
            proptest::collection::vec(multi_result(), 0..4)
        )
            .prop_map(|(ts, results)| ServerMessage::SentMulti { ts, results }),
        (text(), any::<u64>())
            .prop_map(|(group_id, version)| ServerMessage::GroupCommitted { group_id, version }),
        (text(), text(), any::<i64>(), json_object()).prop_map(|(msg_id, from, ts, envelope)| {
            ServerMessage::DeliverEphemeral {
                msg_id,
                from,
                ts,
                envelope,
            }
        }),
        (text(), any::<u64>(), text()).prop_map(|(message, current_version, current_hash)| {
            ServerMessage::StaleVersion {
                message,
                current_version,
                current_hash,
            }
        }),
        Just(ServerMessage::Pong {}),
        (error_code(), text(), proptest::option::of(any::<u64>())).prop_map(
            |(code, message, retry_after_ms)| ServerMessage::Error {
                code,
                message,
                retry_after_ms,
            }
        ),
    ]
}

/// Splits a `tbs` encoding back into its fields.
fn untbs(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut fields = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = u32::from_be_bytes(*len) as usize;
        if rest.len() < len {
            return None;
        }
        fields.push(rest[..len].to_vec());
        bytes = &rest[len..];
    }
    Some(fields)
}

fn server_key() -> RsaPrivateKey {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/vectors/v1.json"
    );
    let vectors: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    private_key_from_pem(
        vectors["keys"]["server"]["private_pkcs1_pem"]
            .as_str()
            .unwrap(),
    )
    .unwrap()
}

proptest! {
    #[test]
    fn frames_round_trip_in_sequence(
        payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..600), 0..5),
    ) {
        let mut wire = Vec::new();
        for p in &payloads {
            wire.extend(encode_frame(p));
        }
        let mut reader = &wire[..];
        for p in &payloads {
            let frame = read_frame_blocking(&mut reader, 600).unwrap();
            prop_assert_eq!(frame.as_ref(), Some(p));
        }
        prop_assert!(read_frame_blocking(&mut reader, 600).unwrap().is_none());
    }

    #[test]
    fn tbs_round_trips_and_is_injective(
        a in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..6),
        b in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..6),
    ) {
        let (ra, rb): (Vec<&[u8]>, Vec<&[u8]>) =
            (a.iter().map(Vec::as_slice).collect(), b.iter().map(Vec::as_slice).collect());
        let (ea, eb) = (tbs(&ra), tbs(&rb));
        prop_assert_eq!(untbs(&ea), Some(a.clone()));
        prop_assert_eq!(ea == eb, a == b);
    }

    #[test]
    fn base64_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        prop_assert_eq!(b64_decode(&b64_encode(&bytes), "f").unwrap(), bytes);
    }

    #[test]
    fn every_request_round_trips(id in request_id(), request in request()) {
        let payload = encode(id.as_ref(), &request);
        prop_assert_eq!(decode_request(&payload).unwrap(), (id, request));
    }

    #[test]
    fn every_server_message_round_trips(id in request_id(), message in server_message()) {
        let payload = encode(id.as_ref(), &message);
        prop_assert_eq!(decode_server(&payload).unwrap(), (id, message));
    }
}

proptest! {
    // RSA work per case: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn sealed_blobs_open_under_their_nonce_only(
        plaintext in proptest::collection::vec(any::<u8>(), 0..300),
        nonce in "[A-Za-z0-9+/]{43}=",
        other in "[A-Za-z0-9+/]{43}=",
    ) {
        let key = server_key();
        let sealed = Sealed::seal(&key.to_public_key(), &credentials_aad(&nonce), &plaintext).unwrap();
        // Through its wire form, as the server receives it.
        let json = serde_json::to_string(&sealed).unwrap();
        let wire: Sealed = serde_json::from_str(&json).unwrap();
        let opened = wire.open(&key, &credentials_aad(&nonce)).unwrap();
        prop_assert_eq!(opened.as_slice(), &plaintext[..]);
        prop_assert_eq!(wire.open(&key, &credentials_aad(&other)).is_ok(), nonce == other);
    }
}
