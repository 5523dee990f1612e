//! The number of the last chatd event chat-tui has shown, kept per socket
//! in `$XDG_STATE_HOME/securechat/chat-tui.seq`, so that a chat-tui opened
//! later subscribes with `since` and shows what happened while it was
//! closed (a key change, a refused message) rather than starting blind.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name inside the state directory.
pub const FILE: &str = "chat-tui.seq";
/// Sockets remembered at most (one line each).
const MAX_ENTRIES: usize = 32;

/// Where one socket's last seq is kept.
#[derive(Debug, Clone)]
pub struct SeqFile {
    path: Option<PathBuf>,
    socket: String,
}

impl SeqFile {
    /// The entry for `socket` in the default state directory (nothing is
    /// kept when there is none).
    pub fn for_socket(socket: &Path) -> Self {
        Self::in_dir(state_dir(), socket)
    }

    /// The entry for `socket` in the file inside `dir`.
    pub fn in_dir(dir: Option<PathBuf>, socket: &Path) -> Self {
        Self {
            path: dir.map(|d| d.join(FILE)),
            socket: socket.display().to_string(),
        }
    }

    /// The last seq saved for this socket.
    pub fn load(&self) -> Option<u64> {
        let text = std::fs::read_to_string(self.path.as_ref()?).ok()?;
        entries(&text)
            .into_iter()
            .find(|(_, s)| *s == self.socket)
            .map(|(seq, _)| seq)
    }

    /// Saves `seq` for this socket, replacing the file atomically so that
    /// two chat-tui never leave it half written.
    pub fn save(&self, seq: u64) -> std::io::Result<()> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let old = std::fs::read_to_string(path).unwrap_or_default();
        let mut kept: Vec<(u64, String)> = entries(&old)
            .into_iter()
            .filter(|(_, s)| *s != self.socket)
            .map(|(n, s)| (n, s.to_string()))
            .collect();
        kept.insert(0, (seq, self.socket.clone()));
        kept.truncate(MAX_ENTRIES);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
        let mut file = std::fs::File::create(&tmp)?;
        for (n, s) in &kept {
            writeln!(file, "{n}\t{s}")?;
        }
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    }
}

/// `(seq, socket)` per well-formed line; anything else is skipped.
fn entries(text: &str) -> Vec<(u64, &str)> {
    text.lines()
        .filter_map(|line| {
            let (n, socket) = line.split_once('\t')?;
            Some((n.parse().ok()?, socket))
        })
        .collect()
}

/// `$XDG_STATE_HOME/securechat`, else `~/.local/state/securechat`.
fn state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/state"))
        })?;
    Some(base.join("securechat"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_entry_per_socket() {
        let dir = tempfile::tempdir().unwrap();
        let a = SeqFile::in_dir(Some(dir.path().join("s")), Path::new("/run/a.sock"));
        let b = SeqFile::in_dir(Some(dir.path().join("s")), Path::new("/run/b.sock"));
        assert_eq!(a.load(), None);
        a.save(7).unwrap();
        b.save(3).unwrap();
        a.save(9).unwrap();
        assert_eq!((a.load(), b.load()), (Some(9), Some(3)));
        let none = SeqFile::in_dir(None, Path::new("/run/a.sock"));
        none.save(1).unwrap();
        assert_eq!(none.load(), None);
    }
}
