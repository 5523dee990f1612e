//! What chat-server's and chatd's stores share about SQLite: opening a
//! database file so that only its owner can read it and every commit is
//! durable (WAL, `synchronous=FULL`), and bringing its schema forward with
//! numbered SQL migrations. One copy, so the two stores' guarantees cannot
//! drift apart.

mod migrate;
mod open;

pub use migrate::{Migration, latest, migrate};
pub use open::{open_reader, open_writer};

/// A failure with a message that says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Error(pub String);
