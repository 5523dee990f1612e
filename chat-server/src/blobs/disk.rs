//! [`BlobStore`] on the local file system: one file per blob under
//! `<data dir>/blobs/<first 2 hex digits>/<id>` (256 directories, so no
//! directory grows huge), written with positioned writes and made durable
//! with fsync before the durable offset moves. Files are private to the
//! server's user (0600 in 0700 directories); new files and directories are
//! synced into their parents, so a blob that was acknowledged is still
//! there after a crash of the machine.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{BlobId, BlobStore};

/// Name of the directory under the data directory.
pub const BLOB_DIR: &str = "blobs";
/// Bytes hashed per read at finish: a small buffer, whatever the blob.
const HASH_BUF: usize = 64 * 1024;

/// Blobs as files under one directory.
#[derive(Debug, Clone)]
pub struct DiskBlobs {
    root: PathBuf,
}

impl DiskBlobs {
    /// Blobs under `<data_dir>/blobs`, created (0700) if missing.
    pub fn open(data_dir: &Path) -> io::Result<Self> {
        let root = data_dir.join(BLOB_DIR);
        make_dir(&root)?;
        Ok(Self { root })
    }

    /// The file of `id` (it may not exist).
    pub fn path(&self, id: &BlobId) -> PathBuf {
        let name = id.to_string();
        self.root.join(&name[..2]).join(name)
    }

    fn open_rw(&self, id: &BlobId) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .open(self.path(id))
    }
}

/// Creates `dir` (0700) and syncs its parent when it is new.
fn make_dir(dir: &Path) -> io::Result<()> {
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => sync_parent(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// fsync of the directory holding `path`, so a new entry survives a crash.
fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(parent) => File::open(parent)?.sync_all(),
        None => Ok(()),
    }
}

impl BlobStore for DiskBlobs {
    fn create(&self, id: &BlobId) -> io::Result<()> {
        let path = self.path(id);
        if let Some(dir) = path.parent() {
            make_dir(dir)?;
        }
        // create_new: ids are random, so an existing file is a bug or a
        // leftover; refusing is safer than handing someone else's bytes on.
        OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?
            .sync_all()?;
        sync_parent(&path)
    }

    fn append(&self, id: &BlobId, offset: u64, data: &[u8]) -> io::Result<()> {
        self.open_rw(id)?.write_all_at(data, offset)
    }

    fn sync(&self, id: &BlobId) -> io::Result<()> {
        // fsync acts on the file, not the descriptor: a new one will do.
        self.open_rw(id)?.sync_data()
    }

    fn read_at(&self, id: &BlobId, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let file = File::open(self.path(id))?;
        let mut filled = 0;
        while filled < buf.len() {
            let at = offset.saturating_add(u64::try_from(filled).unwrap_or(u64::MAX));
            match file.read_at(&mut buf[filled..], at) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(filled)
    }

    fn finish(&self, id: &BlobId, size: u64) -> io::Result<[u8; 32]> {
        let file = self.open_rw(id)?;
        // Only ever shorten: bytes a crash left past the end go; a file
        // that is short is reported below, never padded.
        if file.metadata()?.len() > size {
            file.set_len(size)?;
            file.sync_all()?;
        }
        let mut hasher = Sha256::new();
        let mut reader = (&file).take(size);
        let mut buf = vec![0u8; HASH_BUF];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            hasher.update(&buf[..n]);
            total += u64::try_from(n).unwrap_or(u64::MAX);
        }
        if total != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("blob {id} holds {total} bytes, not {size}"),
            ));
        }
        Ok(hasher.finalize().into())
    }

    fn delete(&self, id: &BlobId) -> io::Result<()> {
        match fs::remove_file(self.path(id)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn pieces_written_read_hashed_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = DiskBlobs::open(dir.path()).unwrap();
        let id = BlobId::random().unwrap();
        blobs.create(&id).unwrap();
        assert!(blobs.create(&id).is_err(), "an id is never reused");
        blobs.append(&id, 0, b"hello ").unwrap();
        blobs.append(&id, 6, b"wor").unwrap();
        // A crash left bytes past the durable offset: the next piece
        // overwrites them.
        blobs.append(&id, 9, b"XXXX").unwrap();
        blobs.append(&id, 9, b"ld").unwrap();
        blobs.sync(&id).unwrap();
        let digest = blobs.finish(&id, 11).unwrap();
        let want: [u8; 32] = Sha256::digest(b"hello world").into();
        assert_eq!(digest, want);
        let mut buf = [0u8; 8];
        assert_eq!(blobs.read_at(&id, 6, &mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"world");
        let path = blobs.path(&id);
        assert!(path.starts_with(dir.path().join("blobs")));
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        blobs.delete(&id).unwrap();
        assert!(!path.exists());
        blobs.delete(&id).unwrap();
        assert!(blobs.finish(&id, 11).is_err());
    }
}
