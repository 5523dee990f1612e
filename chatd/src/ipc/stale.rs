//! What to do with a file already at the socket path. Only a socket that
//! nobody answers (left by a chatd that crashed) is ours to remove. A
//! socket that answers belongs to a running chatd, and anything that is not
//! a socket (a file, a directory, a symlink) is not ours at all: chatd
//! refuses to start rather than delete someone's data.

use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::UnixStream;

/// How long a connect may take before the socket counts as alive (a busy
/// chatd with a full backlog is still a running chatd).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Makes `path` free for a new socket: nothing there, or a dead socket
/// removed. Errors say what is in the way and what to do.
pub async fn clear(path: &Path) -> anyhow::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot look at {}", path.display())),
    };
    if !meta.file_type().is_socket() {
        bail!(
            "{} exists and is not a socket; chatd leaves it alone: move it away or pass another --socket",
            path.display()
        );
    }
    match tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(path)).await {
        Ok(Ok(_)) | Err(_) => bail!(
            "another chatd is already serving {}; stop it first (systemctl --user stop chatd) or use --socket",
            path.display()
        ),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing a stale socket left by an earlier chatd");
            std::fs::remove_file(path)
                .with_context(|| format!("cannot remove stale socket {}", path.display()))
        }
        Ok(Err(e)) => bail!(
            "cannot tell whether the socket {} is in use ({e}); if no chatd runs, remove it and start again",
            path.display()
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::net::UnixListener;

    use super::*;

    #[tokio::test]
    async fn a_regular_file_is_left_alone_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chatd.sock");
        std::fs::write(&path, "someone's notes").unwrap();
        let e = clear(&path).await.unwrap_err().to_string();
        assert!(e.contains("is not a socket"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone's notes");
    }

    #[tokio::test]
    async fn a_symlink_is_left_alone_and_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "kept").unwrap();
        let path = dir.path().join("chatd.sock");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        let e = clear(&path).await.unwrap_err().to_string();
        assert!(e.contains("is not a socket"), "{e}");
        assert!(std::fs::symlink_metadata(&path).unwrap().is_symlink());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "kept");
    }

    #[tokio::test]
    async fn a_live_socket_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chatd.sock");
        let _live = UnixListener::bind(&path).unwrap();
        let e = clear(&path).await.unwrap_err().to_string();
        assert!(e.contains("already serving"), "{e}");
        assert!(path.exists());
    }

    #[tokio::test]
    async fn a_dead_socket_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chatd.sock");
        drop(UnixListener::bind(&path).unwrap());
        assert!(path.exists(), "closing a listener leaves its file");
        clear(&path).await.unwrap();
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn nothing_there_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        clear(&dir.path().join("chatd.sock")).await.unwrap();
    }
}
