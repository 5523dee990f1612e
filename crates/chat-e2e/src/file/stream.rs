//! Streaming a file into its blob and a blob back into the file, one chunk
//! in memory at a time: [`SealingReader`] is a `Read` of blob bytes over a
//! `Read` of the file (upload pieces are read from it), [`OpeningWriter`]
//! a `Write` of blob bytes over a `Write` of the file (download pieces are
//! written to it). [`open_blob`] opens a blob already on disk in the order
//! PROTOCOL.md §5.2 gives: length, digest, then chunks.
//!
//! Errors of the construction travel inside `io::Error` (kind
//! `InvalidData`); [`FileError::from_io`] gets them back.

use std::io::{self, Read, Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};

use super::chunk::{FileOpener, FileSealer};
use super::error::FileError;
use super::ids::BlobDigest;
use super::size::SEALED_CHUNK_LEN;

/// SHA-256 and length of blob bytes as they go by: the digest the sender
/// puts in the payload and gives `blob_finish`, and the one a receiver
/// compares.
#[derive(Clone, Default)]
pub struct BlobHasher {
    sha: Sha256,
    len: u64,
}

impl BlobHasher {
    /// Nothing hashed yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next bytes of the blob.
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// Bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether nothing was hashed yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The digest of everything hashed.
    pub fn finish(self) -> BlobDigest {
        BlobDigest::from_bytes(self.sha.finalize().into())
    }
}

/// Checks a blob's length against the payload's size (`blob_len(size)`):
/// the first check, before a byte is hashed or opened.
pub fn check_blob_len(opener: &FileOpener, actual: u64) -> Result<(), FileError> {
    let expected = opener.blob_len();
    if actual != expected {
        return Err(FileError::SizeMismatch { expected, actual });
    }
    Ok(())
}

/// The blob of a file, read from the file: each `read` gives blob bytes,
/// sealing the next chunk when the previous one is used up. Only one chunk
/// is in memory. The file must be exactly the sealer's size: a short or
/// long file (it changed since it was measured) is
/// [`FileError::SourceChanged`], on that read and every later one.
pub struct SealingReader<R> {
    inner: R,
    sealer: FileSealer,
    next: u64,
    buf: Vec<u8>,
    pos: usize,
    hasher: Option<BlobHasher>,
    digest: Option<BlobDigest>,
    ended: bool,
    source_changed: bool,
}

impl<R: Read> SealingReader<R> {
    /// Reads the blob from the start; `inner` is at the file's start.
    pub fn new(sealer: FileSealer, inner: R) -> Self {
        Self {
            inner,
            sealer,
            next: 0,
            buf: Vec::with_capacity(SEALED_CHUNK_LEN),
            pos: 0,
            hasher: Some(BlobHasher::new()),
            digest: None,
            ended: false,
            source_changed: false,
        }
    }

    /// Reads the blob from the start of chunk `first` (offset
    /// `sealer.blob_offset(first)`), to resume an upload: `inner` must be
    /// at byte `first * 262144` of the file. No digest is computed (it
    /// covers the whole blob).
    pub fn from_chunk(sealer: FileSealer, inner: R, first: u64) -> Result<Self, FileError> {
        if first > sealer.chunk_count() {
            return Err(FileError::BadChunk { index: first });
        }
        let mut r = Self::new(sealer, inner);
        r.next = first;
        r.hasher = None;
        Ok(r)
    }

    /// The digest of the blob, once all of it was read from chunk 0.
    pub fn digest(&self) -> Option<BlobDigest> {
        self.digest
    }

    /// The sealer (sizes, chunk count).
    pub fn sealer(&self) -> &FileSealer {
        &self.sealer
    }

    /// The file reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Seals the next chunk into `buf`; false at the end of the blob.
    fn fill(&mut self) -> io::Result<bool> {
        let index = self.next;
        if index >= self.sealer.chunk_count() {
            if !self.ended {
                // The file must end where its size said.
                if self.inner.read(&mut [0u8; 1])? != 0 {
                    return Err(self.changed().into());
                }
                self.ended = true;
                self.digest = self.hasher.take().map(BlobHasher::finish);
            }
            return Ok(false);
        }
        self.buf.clear();
        self.buf.resize(self.sealer.file_len(index), 0);
        if let Err(e) = self.inner.read_exact(&mut self.buf) {
            return Err(if e.kind() == io::ErrorKind::UnexpectedEof {
                self.changed().into()
            } else {
                e
            });
        }
        self.sealer.seal_chunk(index, &mut self.buf)?;
        if let Some(h) = &mut self.hasher {
            h.update(&self.buf);
        }
        self.pos = 0;
        self.next += 1;
        Ok(true)
    }

    /// The file is not the size declared; it stays refused.
    fn changed(&mut self) -> FileError {
        self.source_changed = true;
        FileError::SourceChanged {
            expected: self.sealer.size(),
        }
    }
}

impl<R: Read> Read for SealingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        if self.source_changed {
            return Err(self.changed().into());
        }
        if self.pos == self.buf.len() && !self.fill()? {
            return Ok(0);
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The file of a blob, written from the blob: blob bytes are written in
/// pieces of any size, each chunk is opened as soon as it is complete and
/// its file bytes go to `out`. Only one chunk is in memory. The SHA-256 of
/// the blob is computed on the way and compared by [`Self::finish`], which
/// also refuses a blob that stopped short: what was written to `out` is
/// authentic (each chunk's tag held) but not the file until `finish` says
/// so (write it to a `.part` file, rename after `finish`). The first error
/// sticks: every later call returns it (an error of `out` too, since the
/// chunk it failed on is lost).
pub struct OpeningWriter<W> {
    out: W,
    opener: FileOpener,
    digest: BlobDigest,
    digest_matched: bool,
    hasher: BlobHasher,
    buf: Vec<u8>,
    next: u64,
    failed: Option<FileError>,
    out_failed: bool,
}

impl<W: Write> OpeningWriter<W> {
    /// Opens the blob `opener` describes, expecting `digest` (both from
    /// the payload), into `out`.
    pub fn new(opener: FileOpener, digest: BlobDigest, out: W) -> Self {
        Self {
            out,
            opener,
            digest,
            digest_matched: false,
            hasher: BlobHasher::new(),
            buf: Vec::with_capacity(SEALED_CHUNK_LEN),
            next: 0,
            failed: None,
            out_failed: false,
        }
    }

    /// Blob bytes accepted so far (the download's offset).
    pub fn received(&self) -> u64 {
        self.hasher.len()
    }

    /// Checks that the whole blob came and that its digest is the
    /// payload's; returns the writer of the file, flushed.
    pub fn finish(mut self) -> io::Result<W> {
        self.check_failed()?;
        let expected = self.opener.blob_len();
        if self.hasher.len() < expected {
            return Err(FileError::Truncated {
                expected,
                received: self.hasher.len(),
            }
            .into());
        }
        if self.hasher.clone().finish() != self.digest {
            return Err(FileError::DigestMismatch.into());
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn check_failed(&self) -> io::Result<()> {
        if let Some(err) = &self.failed {
            return Err(err.clone().into());
        }
        if self.out_failed {
            return Err(io::Error::other("writing the file failed earlier"));
        }
        Ok(())
    }

    fn fail(&mut self, err: FileError) -> io::Error {
        self.failed = Some(err.clone());
        err.into()
    }

    /// Takes up to one chunk's worth of `data`; opens the chunk when full.
    fn take(&mut self, data: &[u8]) -> io::Result<usize> {
        let want = self.opener.sealed_len(self.next) - self.buf.len();
        let n = want.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        self.hasher.update(&data[..n]);
        if self.buf.len() == self.opener.sealed_len(self.next) {
            let index = self.next;
            if let Err(err) = self.opener.open(index, &mut self.buf, self.digest_matched) {
                return Err(self.fail(err));
            }
            if let Err(e) = self.out.write_all(&self.buf) {
                self.out_failed = true;
                return Err(e);
            }
            self.buf.clear();
            self.next += 1;
        }
        Ok(n)
    }
}

impl<W: Write> Write for OpeningWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.check_failed()?;
        let expected = self.opener.blob_len();
        if self.hasher.len() + data.len() as u64 > expected {
            return Err(self.fail(FileError::TrailingBytes { expected }));
        }
        let mut done = 0;
        while done < data.len() {
            done += self.take(&data[done..])?;
        }
        Ok(done)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Opens a whole blob held in `blob` (a downloaded `.part` file) into
/// `out`, in the order of PROTOCOL.md §5.2: its length against the size,
/// then its digest (one pass), then chunk by chunk (a second pass). So a
/// blob altered on the way is [`FileError::DigestMismatch`], and a chunk
/// error means the sender itself made a bad blob (including one sealed for
/// another blob id: [`FileError::WrongBlob`]).
pub fn open_blob<R: Read + Seek, W: Write>(
    opener: FileOpener,
    digest: BlobDigest,
    blob: &mut R,
    out: W,
) -> io::Result<W> {
    let len = blob.seek(SeekFrom::End(0))?;
    check_blob_len(&opener, len)?;
    blob.seek(SeekFrom::Start(0))?;
    let mut hasher = BlobHasher::new();
    let mut buf = vec![0u8; SEALED_CHUNK_LEN];
    loop {
        let n = blob.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    if hasher.len() != len {
        return Err(FileError::SizeMismatch {
            expected: len,
            actual: hasher.len(),
        }
        .into());
    }
    if hasher.finish() != digest {
        return Err(FileError::DigestMismatch.into());
    }
    drop(buf);
    blob.seek(SeekFrom::Start(0))?;
    let mut w = OpeningWriter::new(opener, digest, out);
    w.digest_matched = true;
    io::copy(blob, &mut w)?;
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::file::ids::{BlobId, FileKey};

    struct Broken;

    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn errors_stick() {
        let key = FileKey::from_parts([3; 32], [4; 8]);
        let blob = BlobId::from_bytes([5; 16]);
        let sealer = FileSealer::new(&key, blob, 10).unwrap();
        let mut r = SealingReader::new(sealer, &[1u8; 10][..]);
        let mut sealed = Vec::new();
        io::copy(&mut r, &mut sealed).unwrap();
        let digest = r.digest().unwrap();

        let opener = FileOpener::new(&key, blob, 10).unwrap();
        let mut w = OpeningWriter::new(opener, digest, Broken);
        assert_eq!(w.write_all(&sealed).unwrap_err().to_string(), "disk full");
        assert!(w.write_all(&sealed).is_err());
        assert!(w.finish().is_err());

        let mut bad = sealed.clone();
        bad[0] ^= 1;
        let opener = FileOpener::new(&key, blob, 10).unwrap();
        let mut w = OpeningWriter::new(opener, digest, Vec::new());
        let err = w.write_all(&bad).unwrap_err();
        assert_eq!(
            FileError::from_io(&err),
            Some(&FileError::TamperedChunk { index: 0 })
        );
        assert!(w.write_all(&sealed).is_err());
        let err = w.finish().unwrap_err();
        assert_eq!(
            FileError::from_io(&err),
            Some(&FileError::TamperedChunk { index: 0 })
        );

        // A file longer than declared fails every time it is read to the end.
        let sealer = FileSealer::new(&key, blob, 10).unwrap();
        let mut r = SealingReader::new(sealer, &[1u8; 11][..]);
        assert!(io::copy(&mut r, &mut io::sink()).is_err());
        assert!(io::copy(&mut r, &mut io::sink()).is_err());
        assert!(r.digest().is_none());
    }
}
