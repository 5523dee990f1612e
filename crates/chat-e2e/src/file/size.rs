//! The sizes of the construction (PROTOCOL.md §5.2): how long a file's
//! padded stream and its blob are, and how many chunks it has. Everyone
//! (sender, receiver, the server's quota through the sender) must compute
//! the same numbers from the true size alone, so they live in one place.

/// Plaintext bytes per chunk (256 KiB); the last chunk may be shorter.
pub const CHUNK_LEN: usize = 262_144;
/// The AES-256-GCM tag after each chunk.
pub const TAG_LEN: usize = 16;
/// Bytes of a full sealed chunk in the blob.
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;
/// Files shorter than this are padded up to it before Padmé, so small
/// files all look alike.
pub const MIN_PADDED_LEN: u64 = 4096;
/// The largest file a receiver accepts unless told otherwise (100 MiB).
pub const MAX_FILE_SIZE: u64 = 104_857_600;
/// The blob of a [`MAX_FILE_SIZE`] file: the server's default `max_blob`.
pub const MAX_BLOB_LEN: u64 = 104_864_000;
/// The largest true size the construction is defined for: chunk indices
/// are 32-bit in the nonce, and Padmé keeps 2^50 as it is, so a file of at
/// most 2^50 bytes has at most 2^32 chunks. The helpers below are exact up
/// to here; the sealer, the opener and the payload decoder refuse more.
pub const MAX_SIZE: u64 = 1 << 50;

const CHUNK: u64 = CHUNK_LEN as u64;
const TAG: u64 = TAG_LEN as u64;

/// Padmé (Nikitin et al., PETS 2019): `x` rounded up so that only the top
/// `floor(log2 E) + 1` bits of its `E = floor(log2 x)` may be nonzero. The
/// overhead is at most 12% and a padded length leaks O(log log x) bits.
/// `padme(0) = 0` and `padme(1) = 1` (the formula needs x >= 2). Saturates
/// at `u64::MAX` for x within 2^57 of it (far above [`MAX_SIZE`]).
pub fn padme(x: u64) -> u64 {
    if x < 2 {
        return x;
    }
    let e = x.ilog2();
    let s = e.ilog2() + 1;
    let z = e - s;
    let mask = (1u64 << z) - 1;
    x.checked_add(mask).map_or(u64::MAX, |v| v & !mask)
}

/// `Lp = padme(max(size, 4096))`: the file plus its zero padding.
pub fn padded_len(size: u64) -> u64 {
    padme(size.max(MIN_PADDED_LEN))
}

/// `n = ceil(Lp / 262144)`, at least 1.
pub fn chunk_count(size: u64) -> u64 {
    padded_len(size).div_ceil(CHUNK)
}

/// `Lp + 16 n`: the exact size of the blob of a file of `size` bytes.
pub fn blob_len(size: u64) -> u64 {
    padded_len(size).saturating_add(TAG.saturating_mul(chunk_count(size)))
}

/// Where each chunk of one file lies: computed once from the true size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub size: u64,
    pub padded: u64,
    pub chunks: u64,
}

impl Layout {
    /// `None` above [`MAX_SIZE`].
    pub fn new(size: u64) -> Option<Self> {
        (size <= MAX_SIZE).then(|| Self {
            size,
            padded: padded_len(size),
            chunks: chunk_count(size),
        })
    }

    pub fn blob_len(&self) -> u64 {
        self.padded + TAG * self.chunks
    }

    pub fn is_last(&self, index: u64) -> bool {
        index + 1 == self.chunks
    }

    /// Plaintext bytes of chunk `index` (file and padding).
    pub fn plain_len(&self, index: u64) -> usize {
        let start = index.saturating_mul(CHUNK);
        // At most CHUNK, so the cast cannot truncate.
        self.padded.saturating_sub(start).min(CHUNK) as usize
    }

    /// Bytes of the file itself in chunk `index`; the rest is padding.
    pub fn file_len(&self, index: u64) -> usize {
        let start = index.saturating_mul(CHUNK);
        self.size.saturating_sub(start).min(CHUNK) as usize
    }

    /// Bytes of chunk `index` in the blob (plaintext and tag).
    pub fn sealed_len(&self, index: u64) -> usize {
        self.plain_len(index) + TAG_LEN
    }

    /// Where chunk `index` starts in the blob.
    pub fn blob_offset(&self, index: u64) -> u64 {
        index.saturating_mul(CHUNK + TAG)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contract_s_numbers() {
        assert_eq!(padme(MAX_FILE_SIZE), MAX_FILE_SIZE);
        assert_eq!(chunk_count(MAX_FILE_SIZE), 400);
        assert_eq!(blob_len(MAX_FILE_SIZE), MAX_BLOB_LEN);
        assert_eq!(padded_len(0), 4096);
        assert_eq!(blob_len(0), 4096 + 16);
        assert_eq!(chunk_count(262_144), 1);
        assert_eq!(blob_len(262_144), 262_144 + 16);
        // 262145 pads to 270336 (E = 18, S = 5, z = 13): two chunks.
        assert_eq!(padded_len(262_145), 270_336);
        assert_eq!(blob_len(262_145), 270_336 + 32);
        assert_eq!(padme(MAX_SIZE), MAX_SIZE);
        assert_eq!(chunk_count(MAX_SIZE), 1 << 32);
    }

    #[test]
    fn padme_small_values_and_saturation() {
        let expect = [
            0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 10, 12, 12, 14, 14, 16, 16, 18,
        ];
        for (x, want) in expect.iter().enumerate() {
            assert_eq!(padme(x as u64), *want, "padme({x})");
        }
        assert_eq!(padme(4097), 4352);
        assert_eq!(padme(u64::MAX), u64::MAX);
        assert_eq!(blob_len(u64::MAX), u64::MAX);
    }

    #[test]
    fn the_layout_splits_file_and_padding() {
        let l = Layout::new(600 * 1024).unwrap();
        assert_eq!(l.padded, padded_len(600 * 1024));
        assert_eq!(l.chunks, 3);
        assert_eq!((l.plain_len(0), l.file_len(0)), (CHUNK_LEN, CHUNK_LEN));
        assert_eq!(l.file_len(2), 600 * 1024 - 2 * CHUNK_LEN);
        assert_eq!(l.plain_len(2) as u64, l.padded - 2 * CHUNK);
        assert_eq!(l.blob_offset(2), 2 * SEALED_CHUNK_LEN as u64);
        assert!(l.is_last(2) && !l.is_last(1));
        let total: u64 = (0..l.chunks).map(|i| l.sealed_len(i) as u64).sum();
        assert_eq!(total, l.blob_len());
        assert!(Layout::new(MAX_SIZE + 1).is_none());
    }
}
