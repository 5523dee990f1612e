//! The bytes of the blob store (PROTOCOL.md §5.3): opaque ciphertext the
//! server keeps for a while so that a file can be uploaded once and fetched
//! by whoever holds its id. The bytes sit behind [`BlobStore`] so that an
//! object store can replace the files on disk when one machine is
//! outgrown; the metadata (owner, durable offset, state, expiry) is in the
//! relay's [`crate::store::Store`], which is what decides who may do what.
//!
//! [`BlobStore`] is blocking (files, fsync, hashing): the handlers call it
//! from `spawn_blocking`, never on an async worker. Every method streams:
//! none of them needs a whole blob in memory.

mod disk;
mod id;
mod locks;

pub use disk::{BLOB_DIR, DiskBlobs};
pub use id::BlobId;
pub use locks::BlobLocks;

/// Where the bytes of blobs live. Implementations must make `sync` mean
/// durable: the durable offset is advanced in the database only after it.
pub trait BlobStore: Send + Sync + 'static {
    /// Makes room for a new, empty blob.
    fn create(&self, id: &BlobId) -> std::io::Result<()>;

    /// Writes `data` at `offset`, the blob's durable offset (an upload
    /// only ever grows at its end; bytes a crash left past the durable
    /// offset are overwritten by the piece that continues from it).
    fn append(&self, id: &BlobId, offset: u64, data: &[u8]) -> std::io::Result<()>;

    /// Makes what was appended durable.
    fn sync(&self, id: &BlobId) -> std::io::Result<()>;

    /// Reads up to `buf.len()` bytes at `offset`; fewer only at the end.
    fn read_at(&self, id: &BlobId, offset: u64, buf: &mut [u8]) -> std::io::Result<usize>;

    /// Closes an upload of `size` bytes: drops anything past `size` and
    /// returns the SHA-256 of the first `size` bytes, read in pieces.
    fn finish(&self, id: &BlobId, size: u64) -> std::io::Result<[u8; 32]>;

    /// Removes a blob; one that is already gone is not an error.
    fn delete(&self, id: &BlobId) -> std::io::Result<()>;
}
