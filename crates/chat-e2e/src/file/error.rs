//! Why a blob does not open. Each way a blob can be wrong has its own
//! variant so that chatd can say what happened (and tests can prove each
//! check exists); all of them mean "do not show or keep this file".

use std::io;

/// Why a file could not be sealed or a blob could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The true size is beyond what the construction (or this receiver)
    /// handles.
    #[error("a file of {size} bytes is larger than the {max} bytes allowed")]
    TooLarge {
        /// The size asked for.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// The blob's length is not `blob_len(size)` for the payload's size.
    #[error("the blob holds {actual} bytes, but a file of this size makes {expected}")]
    SizeMismatch {
        /// `blob_len(size)`.
        expected: u64,
        /// What the blob holds.
        actual: u64,
    },
    /// The SHA-256 of the blob is not the payload's digest.
    #[error("the blob's SHA-256 is not the digest the sender gave")]
    DigestMismatch,
    /// The blob ended before its last chunk.
    #[error("the blob ends after {received} of its {expected} bytes")]
    Truncated {
        /// `blob_len(size)`.
        expected: u64,
        /// Bytes received.
        received: u64,
    },
    /// More bytes came after the last chunk.
    #[error("the blob goes on past its {expected} bytes")]
    TrailingBytes {
        /// `blob_len(size)`.
        expected: u64,
    },
    /// A chunk fails its tag under every arrangement tried: it was
    /// altered (or sealed with another key or for another blob id).
    #[error("chunk {index} was altered: its tag does not verify")]
    TamperedChunk {
        /// Position of the chunk in the blob.
        index: u64,
    },
    /// A chunk authenticates as another chunk of this blob: chunks were
    /// swapped or reordered.
    #[error("chunk {index} is chunk {sealed_as} of the file: chunks were swapped")]
    SwappedChunk {
        /// Position of the chunk in the blob.
        index: u64,
        /// The index it was sealed for.
        sealed_as: u64,
    },
    /// The chunk at the last position was sealed as one with more to
    /// follow: the sender's stream went on (the blob was cut short).
    #[error("chunk {index} should be the last but is not sealed as final: the file was cut")]
    MissingFinal {
        /// Position of the chunk in the blob.
        index: u64,
    },
    /// A chunk before the last position was sealed as the final one: the
    /// sender's stream ended there and what follows was added.
    #[error("chunk {index} is sealed as final but more chunks follow")]
    EarlyFinal {
        /// Position of the chunk in the blob.
        index: u64,
    },
    /// The blob is the sender's (its digest matched) but no chunk opens
    /// under this blob id and key: the payload names another blob than
    /// the one its key sealed.
    #[error("the blob is not sealed for this blob id and key")]
    WrongBlob,
    /// An authentic chunk whose padding bytes are not all zero.
    #[error("chunk {index} has nonzero padding")]
    BadPadding {
        /// Position of the chunk in the blob.
        index: u64,
    },
    /// A chunk index past the file's last chunk, or a buffer of the wrong
    /// length for the chunk: a caller's mistake, not a peer's.
    #[error("chunk {index} does not exist or its buffer has the wrong length")]
    BadChunk {
        /// The index asked for.
        index: u64,
    },
    /// The plaintext source gave fewer or more bytes than the declared size
    /// (the file changed while it was being sealed).
    #[error("the file is not {expected} bytes long any more")]
    SourceChanged {
        /// The size declared when sealing began.
        expected: u64,
    },
}

impl FileError {
    /// A stable snake_case name for events, logs and test vectors.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "too_large",
            Self::SizeMismatch { .. } => "size_mismatch",
            Self::DigestMismatch => "digest_mismatch",
            Self::Truncated { .. } => "truncated",
            Self::TrailingBytes { .. } => "trailing_bytes",
            Self::TamperedChunk { .. } => "tampered_chunk",
            Self::SwappedChunk { .. } => "swapped_chunk",
            Self::MissingFinal { .. } => "missing_final",
            Self::EarlyFinal { .. } => "early_final",
            Self::WrongBlob => "wrong_blob",
            Self::BadPadding { .. } => "bad_padding",
            Self::BadChunk { .. } => "bad_chunk",
            Self::SourceChanged { .. } => "source_changed",
        }
    }

    /// The chunk at fault, for the errors about one chunk.
    pub fn chunk(&self) -> Option<u64> {
        match self {
            Self::TamperedChunk { index }
            | Self::SwappedChunk { index, .. }
            | Self::MissingFinal { index }
            | Self::EarlyFinal { index }
            | Self::BadPadding { index }
            | Self::BadChunk { index } => Some(*index),
            _ => None,
        }
    }

    /// The reason inside an I/O error returned by the streaming adapters,
    /// when the error is one of ours (not the underlying reader's or
    /// writer's).
    pub fn from_io(err: &io::Error) -> Option<&FileError> {
        err.get_ref()?.downcast_ref()
    }
}

impl From<FileError> for io::Error {
    fn from(err: FileError) -> Self {
        io::Error::new(io::ErrorKind::InvalidData, err)
    }
}
