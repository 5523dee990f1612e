//! The seq of the last chatd event a frontend handled, kept in a small
//! file so that after a restart it subscribes with `since` and gets exactly
//! what it has not seen: nothing missed, nothing shown twice. Each frontend
//! chooses the file; one type reads and writes them all.
//!
//! The file holds one line per entry: `SEQ` for a file of its own
//! (chat-notify's state file), or `SEQ<TAB>KEY` for files shared by key
//! (chat-tui's, one entry per chatd socket). Writes replace the file
//! atomically (a temporary file beside it, flushed to disk, renamed over
//! it, the directory flushed too), so a crash leaves the old value or the
//! new one, never half of either.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Keyed entries kept at most per file; the least recently saved go first.
pub const MAX_KEYED: usize = 32;

/// What went wrong reading or writing a seq file.
#[derive(Debug, thiserror::Error)]
pub enum SeqStoreError {
    /// The file exists but cannot be read.
    #[error("cannot read {}: {source}; fix its permissions or choose another state file", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file or its directory cannot be written.
    #[error(
        "cannot write {}: {source}; fix its directory's permissions or choose another state file",
        path.display()
    )]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A key with a tab or a line break cannot be stored on one line.
    #[error("cannot remember the seq for {key:?}: the name holds a tab or a line break")]
    BadKey {
        /// The key.
        key: String,
    },
}

/// One entry of a seq file: the whole file, or the line for one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeqStore {
    path: PathBuf,
    key: Option<String>,
}

impl SeqStore {
    /// The file at `path` holds this one entry (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            key: None,
        }
    }

    /// The line for `key` in the file at `path`, shared with other keys.
    pub fn keyed(path: impl Into<PathBuf>, key: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            key: Some(key.into()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved seq; `None` when nothing is saved yet, or when the file
    /// holds something else (then the frontend starts from chatd's present,
    /// as on a first run, rather than refusing to work).
    pub fn load(&self) -> Result<Option<u64>, SeqStoreError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SeqStoreError::Read {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let key = self.key.as_deref();
        Ok(entries(&text)
            .into_iter()
            .find(|(_, k)| *k == key)
            .map(|(seq, _)| seq))
    }

    /// Saves `seq`, replacing the file atomically. A missing directory is
    /// created private to the user (0700), the file is 0600.
    pub fn save(&self, seq: u64) -> Result<(), SeqStoreError> {
        let text = match &self.key {
            None => format!("{seq}\n"),
            Some(key) => self.keyed_text(key, seq)?,
        };
        self.replace(&text).map_err(|source| SeqStoreError::Write {
            path: self.path.clone(),
            source,
        })
    }

    /// The file's new text: this key's line first, then the other keys'.
    fn keyed_text(&self, key: &str, seq: u64) -> Result<String, SeqStoreError> {
        if key.contains(['\t', '\n', '\r']) {
            return Err(SeqStoreError::BadKey {
                key: key.to_string(),
            });
        }
        let old = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => {
                return Err(SeqStoreError::Write {
                    path: self.path.clone(),
                    source,
                });
            }
        };
        let mut text = format!("{seq}\t{key}\n");
        let others = entries(&old)
            .into_iter()
            .filter_map(|(n, k)| k.filter(|k| *k != key).map(|k| (n, k)));
        for (n, k) in others.take(MAX_KEYED - 1) {
            text.push_str(&format!("{n}\t{k}\n"));
        }
        Ok(text)
    }

    /// Writes `text` to a temporary file beside the target, flushes it,
    /// renames it over the target and flushes the directory.
    fn replace(&self, text: &str) -> std::io::Result<()> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.exists() {
            std::fs::create_dir_all(dir)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(self.path.file_name().unwrap_or_default());
        // Unique per process and per save, so two frontends (or two saves
        // in flight) never write the same temporary file.
        tmp_name.push(format!(
            ".tmp.{}.{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let tmp = dir.join(tmp_name);
        let written = (|| {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written?;
        // The rename is durable once the directory is on disk too; a
        // filesystem that cannot sync directories still has the file.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

/// `(seq, key)` per well-formed line (`key` is `None` on a line without a
/// tab); anything else is skipped.
fn entries(text: &str) -> Vec<(u64, Option<&str>)> {
    text.lines()
        .filter_map(|line| match line.split_once('\t') {
            Some((n, key)) => Some((n.trim().parse().ok()?, Some(key))),
            None => Some((line.trim().parse().ok()?, None)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chatd-api-seq-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_file_of_its_own_stores_and_loads_in_a_private_directory() {
        let dir = temp_dir();
        let store = SeqStore::new(dir.join("state/securechat/notify.seq"));
        assert_eq!(store.load().unwrap(), None);
        store.save(41).unwrap();
        store.save(42).unwrap();
        assert_eq!(store.load().unwrap(), Some(42));
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), "42\n");
        assert_eq!(mode(store.path()), 0o600);
        assert_eq!(mode(store.path().parent().unwrap()), 0o700);
        // No temporary file is left behind.
        assert_eq!(names(store.path().parent().unwrap()), ["notify.seq"]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn keyed_entries_share_a_file_most_recent_first_and_bounded() {
        let dir = temp_dir();
        let path = dir.join("chat-tui.seq");
        let a = SeqStore::keyed(&path, "/run/a.sock");
        let b = SeqStore::keyed(&path, "/run/b.sock");
        assert_eq!(a.load().unwrap(), None);
        a.save(7).unwrap();
        b.save(3).unwrap();
        a.save(9).unwrap();
        assert_eq!((a.load().unwrap(), b.load().unwrap()), (Some(9), Some(3)));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "9\t/run/a.sock\n3\t/run/b.sock\n"
        );
        for i in 0..(MAX_KEYED as u64 + 5) {
            SeqStore::keyed(&path, format!("/run/{i}.sock"))
                .save(i)
                .unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), MAX_KEYED);
        assert_eq!(a.load().unwrap(), None, "the stalest entry went first");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn files_written_before_keep_their_place() {
        // chat-tui's and chat-notify's files from before this type.
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let tui = dir.join("chat-tui.seq");
        std::fs::write(
            &tui,
            "12\t/run/user/1000/securechat/chatd.sock\n5\t/tmp/x.sock\n",
        )
        .unwrap();
        let store = SeqStore::keyed(&tui, "/run/user/1000/securechat/chatd.sock");
        assert_eq!(store.load().unwrap(), Some(12));
        assert_eq!(
            SeqStore::keyed(&tui, "/tmp/x.sock").load().unwrap(),
            Some(5)
        );
        let notify = dir.join("notify.seq");
        std::fs::write(&notify, "77\n").unwrap();
        assert_eq!(SeqStore::new(&notify).load().unwrap(), Some(77));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn garbage_means_start_afresh_and_bad_keys_are_refused() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify.seq");
        std::fs::write(&path, "not a number").unwrap();
        assert_eq!(SeqStore::new(&path).load().unwrap(), None);
        let bad = SeqStore::keyed(&path, "a\nb");
        assert!(matches!(bad.save(1), Err(SeqStoreError::BadKey { .. })));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn an_unwritable_directory_is_an_error_that_says_what_to_do() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        // A file where the directory should be.
        std::fs::write(dir.join("file"), "").unwrap();
        let store = SeqStore::new(dir.join("file/notify.seq"));
        let e = store.save(1).unwrap_err();
        assert!(e.to_string().contains("choose another state file"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
