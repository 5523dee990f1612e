//! Sealing and opening one chunk (PROTOCOL.md §5.2). Chunk i is sealed
//! under the file's key with nonce `prefix || u32be(i)` and associated
//! data `tbs("securechat-v1-file-chunk", blob_id, decimal(i), final)`, so
//! a chunk opens only at its own position, in its own blob, and only the
//! sender's last chunk says "final": moving, dropping or adding chunks all
//! fail. Chunks are sealed and opened in place in the caller's buffer, so
//! a file of any size needs one chunk of memory.
//!
//! When a chunk does not open where it stands, the opener tries the other
//! arrangements an attacker could have made (the other final flag, the
//! other positions) so it can say which it was; those trials cost only a
//! tag computation each, happen once per refused blob, and are bounded.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce, Tag};
use chat_proto::encoding::tbs;

use super::error::FileError;
use super::ids::{BlobId, FileKey, NONCE_PREFIX_LEN};
use super::size::{Layout, MAX_SIZE, TAG_LEN};

/// The label of every chunk's associated data.
pub const CHUNK_AAD_LABEL: &str = "securechat-v1-file-chunk";

/// How far from its position a refused chunk is looked for, either side,
/// nearest first: enough to name any swap in a file of up to 257 chunks
/// (64 MiB), and a bound on the work a hostile blob can cause (each trial
/// computes one chunk's tag, and happens once, on a blob already refused).
const SWAP_SEARCH: u64 = 256;

/// `tbs("securechat-v1-file-chunk", blob_id, decimal(index), "1" | "0")`.
pub fn chunk_aad(blob: &BlobId, index: u64, last: bool) -> Vec<u8> {
    let flag: &[u8] = if last { b"1" } else { b"0" };
    tbs(&[
        CHUNK_AAD_LABEL.as_bytes(),
        blob.to_hex().as_bytes(),
        index.to_string().as_bytes(),
        flag,
    ])
}

/// The cipher of one file bound to one blob and size; shared by the
/// sealer and the opener.
struct ChunkCipher {
    /// AES round keys: wiped on drop (aes-gcm's `zeroize` feature).
    cipher: Aes256Gcm,
    prefix: [u8; NONCE_PREFIX_LEN],
    blob: BlobId,
    layout: Layout,
}

impl ChunkCipher {
    fn new(key: &FileKey, blob: BlobId, size: u64) -> Result<Self, FileError> {
        let layout = Layout::new(size).ok_or(FileError::TooLarge {
            size,
            max: MAX_SIZE,
        })?;
        Ok(Self {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key.key_bytes())),
            prefix: *key.nonce_prefix(),
            blob,
            layout,
        })
    }

    /// `prefix || u32be(index)`; callers keep index below the chunk count,
    /// which is at most 2^32.
    fn nonce(&self, index: u64) -> Nonce<aes_gcm::aead::consts::U12> {
        let mut n = [0u8; 12];
        n[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
        n[NONCE_PREFIX_LEN..].copy_from_slice(&(index as u32).to_be_bytes());
        Nonce::from(n)
    }

    fn check(&self, index: u64, len: usize, want: usize) -> Result<(), FileError> {
        if index >= self.layout.chunks || len != want {
            return Err(FileError::BadChunk { index });
        }
        Ok(())
    }

    /// Opens `ct` in place with `tag` when it was sealed as chunk `index`
    /// with flag `last`; leaves `ct` untouched otherwise (the tag is
    /// checked before anything is decrypted).
    fn try_open(&self, index: u64, last: bool, ct: &mut [u8], tag: &Tag) -> bool {
        let aad = chunk_aad(&self.blob, index, last);
        self.cipher
            .decrypt_inout_detached(&self.nonce(index), &aad, ct.into(), tag)
            .is_ok()
    }

    /// What chunk `index` was, when it does not open as itself.
    fn diagnose(&self, index: u64, ct: &mut [u8], tag: &Tag) -> Option<FileError> {
        let last = self.layout.is_last(index);
        if self.try_open(index, !last, ct, tag) {
            return Some(if last {
                FileError::MissingFinal { index }
            } else {
                FileError::EarlyFinal { index }
            });
        }
        let n = self.layout.chunks;
        for d in 1..=SWAP_SEARCH.min(n) {
            for other in [index.checked_sub(d), index.checked_add(d)] {
                let Some(other) = other.filter(|o| *o < n) else {
                    continue;
                };
                if self.try_open(other, self.layout.is_last(other), ct, tag) {
                    return Some(FileError::SwappedChunk {
                        index,
                        sealed_as: other,
                    });
                }
            }
        }
        None
    }
}

/// Seals the chunks of one file for one blob. Deterministic: the same key,
/// prefix, blob id and file give the same blob, so an interrupted upload
/// can seal again from any chunk.
pub struct FileSealer {
    c: ChunkCipher,
}

impl FileSealer {
    /// A sealer for a file of `size` bytes going into blob `blob`.
    pub fn new(key: &FileKey, blob: BlobId, size: u64) -> Result<Self, FileError> {
        ChunkCipher::new(key, blob, size).map(|c| Self { c })
    }

    /// The file's true size.
    pub fn size(&self) -> u64 {
        self.c.layout.size
    }

    /// How many chunks the blob has.
    pub fn chunk_count(&self) -> u64 {
        self.c.layout.chunks
    }

    /// The blob's exact length: what `blob_create` reserves.
    pub fn blob_len(&self) -> u64 {
        self.c.layout.blob_len()
    }

    /// Bytes of the file that go into chunk `index` (0 for a chunk of
    /// padding only; 0 past the end).
    pub fn file_len(&self, index: u64) -> usize {
        self.c.layout.file_len(index)
    }

    /// Bytes chunk `index` takes in the blob.
    pub fn sealed_len(&self, index: u64) -> usize {
        self.c.layout.sealed_len(index)
    }

    /// Where chunk `index` starts in the blob.
    pub fn blob_offset(&self, index: u64) -> u64 {
        self.c.layout.blob_offset(index)
    }

    /// Seals chunk `index` in place: `buf` holds exactly the file's bytes
    /// of that chunk ([`Self::file_len`]) and becomes the sealed chunk
    /// ([`Self::sealed_len`] bytes: zero padding added, then encrypted,
    /// then the tag appended).
    pub fn seal_chunk(&self, index: u64, buf: &mut Vec<u8>) -> Result<(), FileError> {
        let layout = &self.c.layout;
        self.c.check(index, buf.len(), layout.file_len(index))?;
        buf.resize(layout.plain_len(index), 0);
        let aad = chunk_aad(&self.c.blob, index, layout.is_last(index));
        let tag = self
            .c
            .cipher
            .encrypt_inout_detached(&self.c.nonce(index), &aad, buf.as_mut_slice().into())
            // Only a chunk over 64 GiB fails: never one of ours.
            .map_err(|_| FileError::BadChunk { index })?;
        buf.extend_from_slice(&tag);
        Ok(())
    }
}

/// Opens the chunks of one blob, given what the payload says about it.
pub struct FileOpener {
    c: ChunkCipher,
}

impl FileOpener {
    /// An opener for the blob `blob` of a file of `size` bytes under `key`
    /// (all three from the `file` payload).
    pub fn new(key: &FileKey, blob: BlobId, size: u64) -> Result<Self, FileError> {
        ChunkCipher::new(key, blob, size).map(|c| Self { c })
    }

    /// The file's true size.
    pub fn size(&self) -> u64 {
        self.c.layout.size
    }

    /// How many chunks the blob has.
    pub fn chunk_count(&self) -> u64 {
        self.c.layout.chunks
    }

    /// The blob's exact length: any other length is refused.
    pub fn blob_len(&self) -> u64 {
        self.c.layout.blob_len()
    }

    /// Bytes chunk `index` takes in the blob.
    pub fn sealed_len(&self, index: u64) -> usize {
        self.c.layout.sealed_len(index)
    }

    /// Bytes of the file in chunk `index`.
    pub fn file_len(&self, index: u64) -> usize {
        self.c.layout.file_len(index)
    }

    /// Where chunk `index` starts in the blob.
    pub fn blob_offset(&self, index: u64) -> u64 {
        self.c.layout.blob_offset(index)
    }

    /// Opens chunk `index` in place: `buf` holds the sealed chunk
    /// ([`Self::sealed_len`] bytes) and becomes the file's bytes of that
    /// chunk, its zero padding checked and cut off. A chunk that does not
    /// open says why: swapped, final flag missing or early, or altered.
    pub fn open_chunk(&self, index: u64, buf: &mut Vec<u8>) -> Result<(), FileError> {
        self.open(index, buf, false)
    }

    /// As [`Self::open_chunk`]; `digest_matched` says that the whole blob
    /// is known to be the sender's, so a first chunk that opens under no
    /// arrangement was sealed for another blob id or key, not altered.
    pub(crate) fn open(
        &self,
        index: u64,
        buf: &mut Vec<u8>,
        digest_matched: bool,
    ) -> Result<(), FileError> {
        let layout = &self.c.layout;
        self.c.check(index, buf.len(), layout.sealed_len(index))?;
        let plain = layout.plain_len(index);
        let (ct, tag) = buf.split_at_mut(plain);
        let tag = Tag::try_from(&*tag).map_err(|_| FileError::BadChunk { index })?;
        if !self.c.try_open(index, layout.is_last(index), ct, &tag) {
            return Err(match self.c.diagnose(index, ct, &tag) {
                Some(err) => err,
                None if digest_matched && index == 0 => FileError::WrongBlob,
                None => FileError::TamperedChunk { index },
            });
        }
        let file = layout.file_len(index);
        if ct[file..].iter().any(|b| *b != 0) {
            return Err(FileError::BadPadding { index });
        }
        buf.truncate(file);
        Ok(())
    }
}

const _: () = assert!(TAG_LEN == 16);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::size::{CHUNK_LEN, blob_len};

    fn key() -> FileKey {
        FileKey::from_parts([7; 32], [9; 8])
    }

    fn blob() -> BlobId {
        BlobId::from_bytes([0xab; 16])
    }

    fn pattern(len: usize, offset: usize) -> Vec<u8> {
        (offset..offset + len).map(|i| (i % 251) as u8).collect()
    }

    /// The sealed chunks of a file of `size` bytes.
    fn seal_all(size: u64) -> Vec<Vec<u8>> {
        let s = FileSealer::new(&key(), blob(), size).unwrap();
        (0..s.chunk_count())
            .map(|i| {
                let mut buf = pattern(s.file_len(i), i as usize * CHUNK_LEN);
                s.seal_chunk(i, &mut buf).unwrap();
                buf
            })
            .collect()
    }

    #[test]
    fn chunks_round_trip_and_add_up_to_the_blob() {
        for size in [0, 1, 4096, 262_144, 262_145, 600 * 1024] {
            let chunks = seal_all(size);
            let total: usize = chunks.iter().map(Vec::len).sum();
            assert_eq!(total as u64, blob_len(size));
            let o = FileOpener::new(&key(), blob(), size).unwrap();
            for (i, mut c) in chunks.into_iter().enumerate() {
                o.open_chunk(i as u64, &mut c).unwrap();
                assert_eq!(c, pattern(o.file_len(i as u64), i * CHUNK_LEN));
            }
        }
    }

    #[test]
    fn each_kind_of_damage_is_named() {
        let size = 600 * 1024;
        let o = FileOpener::new(&key(), blob(), size).unwrap();
        let chunks = seal_all(size);
        let mut c = chunks[1].clone();
        c[5] ^= 1;
        assert_eq!(
            o.open_chunk(1, &mut c),
            Err(FileError::TamperedChunk { index: 1 })
        );
        let mut c = chunks[1].clone();
        assert_eq!(
            o.open_chunk(0, &mut c),
            Err(FileError::SwappedChunk {
                index: 0,
                sealed_as: 1
            })
        );
        // The 3-chunk blob cut after chunk 1, passed off as a 2-chunk file.
        let o2 = FileOpener::new(&key(), blob(), 524_288).unwrap();
        let mut two = chunks[1].clone();
        assert_eq!(
            o2.open_chunk(1, &mut two),
            Err(FileError::MissingFinal { index: 1 })
        );
        let other = FileOpener::new(&key(), BlobId::from_bytes([1; 16]), size).unwrap();
        let mut c = chunks[0].clone();
        assert_eq!(
            other.open_chunk(0, &mut c),
            Err(FileError::TamperedChunk { index: 0 })
        );
        let mut c = chunks[0].clone();
        assert_eq!(other.open(0, &mut c, true), Err(FileError::WrongBlob));
        let mut c = chunks[0].clone();
        c.pop();
        assert_eq!(
            o.open_chunk(0, &mut c),
            Err(FileError::BadChunk { index: 0 })
        );
        assert_eq!(
            o.open_chunk(3, &mut Vec::new()),
            Err(FileError::BadChunk { index: 3 })
        );
    }

    #[test]
    fn a_final_chunk_too_early_and_bad_padding_are_named() {
        // A 1-chunk file's only chunk (final) at the front of a 2-chunk blob.
        let one = FileSealer::new(&key(), blob(), 262_144).unwrap();
        let mut c = pattern(CHUNK_LEN, 0);
        one.seal_chunk(0, &mut c).unwrap();
        let o = FileOpener::new(&key(), blob(), 262_145).unwrap();
        assert_eq!(
            o.open_chunk(0, &mut c),
            Err(FileError::EarlyFinal { index: 0 })
        );

        // A sealer that "forgets" to zero the padding: seal 4096 bytes of
        // a file that claims 100.
        let full = FileSealer::new(&key(), blob(), 4096).unwrap();
        let mut c = vec![1u8; 4096];
        full.seal_chunk(0, &mut c).unwrap();
        let o = FileOpener::new(&key(), blob(), 100).unwrap();
        assert_eq!(
            o.open_chunk(0, &mut c),
            Err(FileError::BadPadding { index: 0 })
        );
    }

    #[test]
    fn the_sealer_wants_the_file_s_bytes_exactly() {
        let s = FileSealer::new(&key(), blob(), 10).unwrap();
        assert_eq!(
            s.seal_chunk(0, &mut vec![0; 11]),
            Err(FileError::BadChunk { index: 0 })
        );
        assert_eq!(
            s.seal_chunk(1, &mut Vec::new()),
            Err(FileError::BadChunk { index: 1 })
        );
        assert!(matches!(
            FileSealer::new(&key(), blob(), MAX_SIZE + 1),
            Err(FileError::TooLarge { .. })
        ));
    }
}
