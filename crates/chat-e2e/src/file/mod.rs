//! Files (PROTOCOL.md §5.1-§5.2): a file is sealed into a blob that the
//! server stores without being able to read it, and a `file` (or
//! `group_file`) payload in an ordinary `msg` envelope carries what opens
//! it. This module is the construction and the payload's file fields; the
//! server's blob store and the transfers are elsewhere.
//!
//! - [`size`]: Padmé padding and the sizes everyone must agree on
//!   ([`padme`], [`padded_len`], [`chunk_count`], [`blob_len`]).
//! - [`FileKey`], [`BlobId`], [`BlobDigest`]: the values of the payload.
//! - [`FileSealer`] / [`FileOpener`]: one chunk at a time, in place, any
//!   order (an upload or a download resumes at any chunk).
//! - [`SealingReader`] / [`OpeningWriter`]: file -> blob and blob -> file
//!   as `Read` and `Write`, one chunk in memory; [`open_blob`] for a blob
//!   already on disk, checked in the normative order (length, digest,
//!   chunks).
//! - [`FileAttachment`]: the payload's file fields and the receiver's
//!   limits ([`FileLimits`]).
//!
//! Why it is built this way: one fresh key and nonce prefix per file means
//! no nonce can repeat (the index fills the nonce's last 4 bytes), and the
//! associated data binds the blob id, the index and a final flag so that
//! a chunk cannot be moved, dropped or added without failing; padding to a
//! Padmé length keeps the blob's size from telling much about the file.
//! No I/O of its own: the adapters wrap the caller's readers and writers.

mod chunk;
mod error;
mod ids;
mod payload;
pub mod size;
mod stream;

pub use chunk::{CHUNK_AAD_LABEL, FileOpener, FileSealer, chunk_aad};
pub use error::FileError;
pub use ids::{BlobDigest, BlobId, FileKey, NONCE_PREFIX_LEN};
pub(crate) use payload::FileWire;
pub use payload::{
    FileAttachment, FileLimits, MAX_MIME_BYTES, MAX_NAME_BYTES, MAX_THUMBNAIL_BYTES, check_name,
};
pub use size::{
    CHUNK_LEN, MAX_BLOB_LEN, MAX_FILE_SIZE, MAX_SIZE, MIN_PADDED_LEN, SEALED_CHUNK_LEN, TAG_LEN,
    blob_len, chunk_count, padded_len, padme,
};
pub use stream::{BlobHasher, OpeningWriter, SealingReader, check_blob_len, open_blob};
