//! Every client message (chat_proto::wire::decode_request, what the server
//! runs on each frame): any bytes are classified without panics, and a
//! request that parses re-encodes to one that parses to the same value.

#![no_main]

use chat_proto::wire::{decode_request, encode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((id, request)) = decode_request(data) {
        let bytes = encode(id.as_ref(), &request);
        let again = decode_request(&bytes).expect("a re-encoded request parses");
        assert_eq!(again, (id, request));
    }
});
