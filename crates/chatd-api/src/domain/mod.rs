//! The rules of the chat domain that chatd and every frontend must apply
//! the same way, written once here so that they cannot drift apart: how a
//! message's status may advance ([`status`]), the order of a conversation
//! ([`order`]), the closed sets the local API names by string, as enums
//! that keep unknown values ([`security`]), the limits a frontend checks
//! before sending ([`limits`]) and the safety number both sides of a
//! conversation compute from their keys ([`safety`]), and a file's size in
//! words ([`size`]).
//!
//! Nothing here does I/O or changes the wire: each rule is a pure function
//! (or a type serialised exactly as the strings chatd has always sent).

pub mod limits;
pub mod order;
pub mod safety;
pub mod security;
pub mod size;
pub mod status;

pub use limits::MAX_TEXT_BYTES;
pub use order::{TimelineKey, timeline_cmp, timeline_key};
pub use safety::safety_number;
pub use security::SecurityReason;
pub use size::file_size;
