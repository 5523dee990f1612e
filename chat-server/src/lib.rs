//! chat-server: the SecureChat relay. It authenticates accounts, relays
//! end-to-end envelopes it cannot open, keeps them durably until the
//! recipient acknowledges them, and tells watchers about presence.

pub mod keys;
pub mod store;
pub mod tls;
