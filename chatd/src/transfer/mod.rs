//! File transfers (PROTOCOL.md §5): the engine that moves one file's blob
//! between disk and the server's blob store over a [`crate::link::bulk`]
//! connection. Each piece does one thing and knows nothing of messages,
//! the store or scheduling, which belong to the transfer manager above it:
//! it decides when to run, retry ([`error::TransferError::is_retryable`])
//! or give up, and what to persist between steps.
//!
//! - [`upload`]: reserve a blob, seal the spool copy into it, resume from
//!   the server's durable offset, finish with the digest.
//! - [`download`]: fetch the ciphertext into a part file (resuming from
//!   its length), then check it and write the file under a safe name.
//! - [`media`]: media type, thumbnail and safe file names.
//! - [`error`]: why a transfer stopped and whether to try again.

pub mod download;
pub mod error;
pub mod media;
pub mod upload;
