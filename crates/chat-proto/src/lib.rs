//! The SecureChat wire protocol, version 1, shared by the server, the daemon
//! and the test clients: frame codec, closed message enums, validation,
//! credential sealing and the cryptographic primitives of PROTOCOL.md §0.
//!
//! It holds no runtime state and performs no I/O beyond the frame helpers
//! that read from a stream they are handed.

pub mod codec;
pub mod crypto;
pub mod encoding;
pub mod sealed;
#[cfg(feature = "tls")]
pub mod tls;
pub mod validate;
pub mod wire;

pub use wire::{ErrorCode, Request, RequestId, ServerMessage};

/// Milliseconds since the Unix epoch, the protocol's time unit.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
