//! Round-trip properties of the local API's encoders, on stable: request
//! lines through chatd's parser, response and event lines through the
//! client's, and the typed values inside them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chatd_api::jsonrpc::{
    Incoming, error_line, event_line, parse_incoming, parse_request, request_line, result_line,
};
use chatd_api::{
    ApiError, Direction, ErrorCode, Event, EventBody, EventKind, Message, MessageStatus,
    SubscribeParams,
};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including newlines: the line framing must escape them.
    proptest::collection::vec(any::<char>(), 0..24).prop_map(|c| c.into_iter().collect())
}

fn params() -> impl Strategy<Value = Map<String, Value>> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    proptest::collection::btree_map(text(), leaf, 0..5).prop_map(|m| m.into_iter().collect())
}

fn status() -> impl Strategy<Value = MessageStatus> {
    proptest::sample::select(vec![
        MessageStatus::Sending,
        MessageStatus::Sent,
        MessageStatus::Delivered,
        MessageStatus::Read,
        MessageStatus::Failed,
    ])
}

fn message() -> impl Strategy<Value = Message> {
    (
        text(),
        text(),
        text(),
        text(),
        any::<i64>(),
        any::<bool>(),
        status(),
    )
        .prop_map(|(id, from, to, text, ts, incoming, status)| Message {
            id,
            from,
            to,
            text,
            ts,
            direction: if incoming {
                Direction::In
            } else {
                Direction::Out
            },
            status,
            group: None,
            receipts: None,
            file: None,
        })
}

fn event() -> impl Strategy<Value = Event> {
    let body = prop_oneof![
        (message(), any::<bool>())
            .prop_map(|(message, focused)| EventBody::Message { message, focused }),
        (text(), status()).prop_map(|(id, status)| EventBody::Receipt {
            id,
            status,
            receipts: None,
            user: None,
        }),
        (text(), any::<bool>()).prop_map(|(user, online)| EventBody::Presence { user, online }),
        (text(), text())
            .prop_map(|(user, fingerprint)| EventBody::KeyChanged { user, fingerprint }),
    ];
    (any::<u64>(), body).prop_map(|(seq, body)| Event { seq, body })
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    proptest::sample::select(ErrorCode::ALL.to_vec())
}

proptest! {
    #[test]
    fn request_lines_parse_to_what_was_sent(id in any::<u64>(), method in text(), params in params()) {
        let line = request_line(id, &method, Value::Object(params.clone()));
        prop_assert!(!line.contains('\n'));
        let request = parse_request(&line).unwrap();
        prop_assert_eq!(request.id, Some(json!(id)));
        prop_assert_eq!(request.method, method);
        prop_assert_eq!(request.params, params);
    }

    #[test]
    fn result_and_error_lines_reach_the_client(
        id in any::<u64>(),
        result in params(),
        code in error_code(),
        message in text(),
    ) {
        let line = result_line(&json!(id), Value::Object(result.clone()));
        prop_assert_eq!(
            parse_incoming(&line),
            Incoming::Response { id, outcome: Ok(Value::Object(result)) }
        );
        let error = ApiError::new(code, message);
        let line = error_line(&json!(id), &error);
        prop_assert!(!line.contains('\n'));
        prop_assert_eq!(parse_incoming(&line), Incoming::Response { id, outcome: Err(error) });
    }

    #[test]
    fn event_lines_reach_the_client(ev in event()) {
        let line = event_line(&ev);
        prop_assert!(!line.contains('\n'));
        prop_assert_eq!(ev.body.kind(), match &ev.body {
            EventBody::Message { .. } => EventKind::Message,
            EventBody::Receipt { .. } => EventKind::Receipt,
            EventBody::Presence { .. } => EventKind::Presence,
            _ => EventKind::KeyChanged,
        });
        prop_assert_eq!(parse_incoming(&line), Incoming::Event(Box::new(ev)));
    }

    #[test]
    fn subscribe_params_round_trip(
        events in proptest::option::of(proptest::collection::vec(
            proptest::sample::select(vec![
                EventKind::Message,
                EventKind::Receipt,
                EventKind::Presence,
                EventKind::Connection,
                EventKind::KeyChanged,
                EventKind::Security,
            ]),
            0..6,
        )),
        since in proptest::option::of(any::<u64>()),
    ) {
        let p = SubscribeParams { events, since };
        let v = serde_json::to_value(&p).unwrap();
        prop_assert_eq!(serde_json::from_value::<SubscribeParams>(v).unwrap(), p);
    }
}
