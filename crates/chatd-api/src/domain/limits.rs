//! Limits chatd enforces that a frontend should know before it asks, so
//! it can refuse with the right number instead of sending and reading the
//! refusal (or worse, guessing from the socket's 1 MiB line cap).

/// Longest message text `send` accepts, in bytes of UTF-8 (64 KiB): the
/// encrypted envelope must fit the server's 1 MiB frame with room to
/// spare. chatd's own check uses this constant.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;
