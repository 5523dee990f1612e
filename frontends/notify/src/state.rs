//! The seq of the last event chat-notify handled, kept in a small file so
//! that after a restart it asks chatd for exactly what it has not seen yet:
//! nothing missed, nothing shown twice.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

/// The state file.
#[derive(Debug, Clone)]
pub struct SeqFile {
    path: PathBuf,
}

impl SeqFile {
    /// The file at `path` (created on the first store).
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored seq; `None` when there is no file yet, or when it holds
    /// something else (then chat-notify starts from chatd's present, as on
    /// a first run, rather than refusing to work).
    pub fn load(&self) -> anyhow::Result<Option<u64>> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!(
                        "cannot read {}; fix its permissions or pass --state-file",
                        self.path.display()
                    )
                });
            }
        };
        match text.trim().parse() {
            Ok(seq) => Ok(Some(seq)),
            Err(_) => {
                tracing::warn!(
                    path = %self.path.display(),
                    "the state file does not hold an event number; starting from chatd's latest event"
                );
                Ok(None)
            }
        }
    }

    /// Stores `seq`: written to a temporary file beside it, flushed to disk
    /// and renamed over the old one, so a crash leaves the old value or the
    /// new one, never half of either.
    pub fn store(&self, seq: u64) -> anyhow::Result<()> {
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        if !dir.exists() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let mut tmp_name = self.path.file_name().unwrap_or_default().to_os_string();
        tmp_name.push(".tmp");
        let tmp = dir.join(tmp_name);
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            writeln!(file, "{seq}")?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().with_context(|| {
            format!(
                "cannot write {}; fix its directory's permissions or pass --state-file",
                self.path.display()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_loads_creating_a_private_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = SeqFile::new(dir.path().join("state/securechat/notify.seq"));
        assert_eq!(file.load().unwrap(), None);
        file.store(41).unwrap();
        file.store(42).unwrap();
        assert_eq!(file.load().unwrap(), Some(42));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(file.path()), 0o600);
        assert_eq!(mode(file.path().parent().unwrap()), 0o700);
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(file.path().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("notify.seq")]);
    }

    #[test]
    fn garbage_means_start_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.seq");
        std::fs::write(&path, "not a number").unwrap();
        assert_eq!(SeqFile::new(path).load().unwrap(), None);
    }
}
