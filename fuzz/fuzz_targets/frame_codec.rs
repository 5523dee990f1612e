//! The frame codec (chat_proto::codec): any byte stream, under a small cap
//! and both protocol caps, is split into frames or refused without panics;
//! every frame read re-encodes to exactly the bytes it was read from.

#![no_main]

use chat_proto::codec::{
    MAX_FRAME_POST_AUTH, MAX_FRAME_PRE_AUTH, encode_frame, read_frame_blocking,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, stream)) = data.split_first() else {
        return;
    };
    let max = match selector % 3 {
        0 => 16,
        1 => MAX_FRAME_PRE_AUTH,
        _ => MAX_FRAME_POST_AUTH,
    };
    let mut reader = stream;
    let mut reencoded = Vec::new();
    while let Ok(Some(payload)) = read_frame_blocking(&mut reader, max) {
        assert!(!payload.is_empty() && payload.len() <= max as usize);
        reencoded.extend(encode_frame(&payload));
    }
    // What was read as frames is a prefix of the stream, byte for byte.
    assert_eq!(&stream[..reencoded.len()], &reencoded[..]);
});
