//! Every server message (chat_proto::wire::decode_server, what chatd runs
//! on each frame from the relay): any bytes are classified without panics,
//! and a message that parses re-encodes to one that parses to the same
//! value.

#![no_main]

use chat_proto::wire::{decode_server, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((id, message)) = decode_server(data) {
        let bytes = encode(id.as_ref(), &message);
        let again = decode_server(&bytes).expect("a re-encoded server message parses");
        assert_eq!(again, (id, message));
    }
});
