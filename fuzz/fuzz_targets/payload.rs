//! Payloads (chat_e2e::Payload), the plaintext inside a `msg` envelope: any
//! bytes decode or are refused without panics, and a known payload that
//! decodes re-encodes to one that decodes to the same value. The same
//! bytes are then sealed under a fixed session key and opened again
//! through `session::open_msg`, the receive-side decrypt path.

#![no_main]

use chat_e2e::Payload;
use chat_e2e::session::{Route, SecretKey, open_msg, seal_msg};
use libfuzzer_sys::fuzz_target;

const KEY_ID: &str = "40b04b0f-fd8e-45d9-9949-93a07bab65c9";

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = Payload::from_bytes(data)
        && !matches!(payload, Payload::Unknown { .. })
    {
        let bytes = payload.to_bytes().expect("a known payload encodes");
        assert_eq!(Payload::from_bytes(&bytes).expect("re-decodes"), payload);
    }
    let key = SecretKey::from_bytes([7; 32]);
    let route = Route {
        from: "alice",
        to: "bob",
    };
    let seq = u64::from(data.first().copied().unwrap_or(1)).max(1);
    let envelope = seal_msg(&key, route, KEY_ID, seq, data).expect("seals");
    let opened = open_msg(&key, route, &envelope).expect("opens");
    assert_eq!(opened.as_slice(), data);
    let other = Route {
        from: "bob",
        to: "alice",
    };
    assert!(open_msg(&key, other, &envelope).is_err());
});
