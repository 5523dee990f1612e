//! The blob store's metadata records (PROTOCOL.md §5.3), the part of a blob
//! that lives in the relay's database: whose it is, how much of it is
//! durable, whether it is finished, when it goes. The bytes themselves are
//! behind [`crate::blobs::BlobStore`].

use super::UserId;

/// A blob's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobRecord {
    /// Who created it; the only user who may write, finish or delete it.
    pub owner: UserId,
    /// Its declared size in bytes.
    pub size: u64,
    /// Bytes written and synced, from the start; where the next piece goes.
    pub offset: u64,
    /// Lowercase hex SHA-256, once finished.
    pub digest: Option<String>,
    /// When `blob_create` reserved it (Unix ms).
    pub created: i64,
    /// When `blob_finish` closed it (Unix ms), once finished.
    pub finished: Option<i64>,
    /// When it expires (Unix ms): an upload `upload_ttl` after creation, a
    /// finished blob `blob_ttl` after finishing.
    pub expires: i64,
}

impl BlobRecord {
    /// Finished (downloadable once unexpired).
    pub fn is_finished(&self) -> bool {
        self.digest.is_some()
    }
}

/// A reservation to record.
#[derive(Debug, Clone)]
pub struct NewBlob {
    /// 32 lowercase hex digits, chosen by the server.
    pub blob_id: String,
    /// The owner.
    pub owner: UserId,
    /// Declared size in bytes.
    pub size: u64,
    /// Now (Unix ms).
    pub now: i64,
    /// When the unfinished upload expires (Unix ms).
    pub expires: i64,
    /// Bytes the owner's unexpired blobs may take together.
    pub quota: u64,
    /// Unfinished, unexpired uploads the owner may have at once.
    pub max_uploads: u32,
}

/// Why a reservation was refused (`quota_exceeded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuotaRefusal {
    /// The bytes would pass the quota; `used` is what the owner holds now.
    Bytes {
        /// Bytes of the owner's unexpired blobs.
        used: u64,
        /// The quota.
        quota: u64,
    },
    /// The owner already has this many unfinished uploads.
    Uploads {
        /// The limit.
        max: u32,
    },
}
