//! The local API socket (PROTOCOL.md §3): a Unix socket in a 0700
//! directory, mode 0600, serving only processes of our own uid. A socket
//! left behind by a crashed chatd is replaced; one that answers means
//! another chatd is running, and we refuse to steal it; anything else at
//! the path is left alone (`stale`).

mod conn;
mod lines;
mod stale;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::{GenericFilePath, ListenerOptions};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::core::Core;

/// A bound socket; one we bound ourselves is removed again when dropped
/// (one passed by systemd belongs to systemd).
pub struct Socket {
    listener: interprocess::local_socket::tokio::Listener,
    path: PathBuf,
    uid: u32,
    owned: bool,
}

impl Drop for Socket {
    fn drop(&mut self) {
        if self.owned {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The socket systemd passed (socket activation, `LISTEN_FDS`), if any.
/// `path` is where the unit put it, for logs and the uid check.
pub fn activated(path: &Path) -> anyhow::Result<Option<Socket>> {
    let mut fds = listenfd::ListenFd::from_env();
    let Some(std_listener) = fds
        .take_unix_listener(0)
        .context("LISTEN_FDS names a socket that is not a Unix listener")?
    else {
        return Ok(None);
    };
    std_listener.set_nonblocking(true)?;
    let sync = interprocess::os::unix::uds_local_socket::Listener::from(std_listener);
    let listener = interprocess::os::unix::uds_local_socket::tokio::Listener::try_from(sync)
        .map_err(|e| anyhow::anyhow!("cannot use the socket systemd passed: {e}"))?;
    // The socket unit creates the file as the user it runs for.
    let uid = std::fs::metadata(path)
        .with_context(|| format!("systemd passed a socket, but {} does not exist; set --socket to the unit's ListenStream", path.display()))?
        .uid();
    tracing::info!(path = %path.display(), "using the socket passed by systemd");
    Ok(Some(Socket {
        listener: listener.into(),
        path: path.to_path_buf(),
        uid,
        owned: false,
    }))
}

/// Prepares the directory, handles a stale socket and binds.
pub async fn bind(path: &Path) -> anyhow::Result<Socket> {
    let dir = path.parent().context("socket path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make {} private (mode 0700)", dir.display()))?;
    stale::clear(path).await?;
    let name = path.to_fs_name::<GenericFilePath>()?;
    let listener = ListenerOptions::new()
        .name(name)
        .create_tokio()
        .with_context(|| format!("cannot listen on {}", path.display()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    // The socket file is ours: its owner is the uid we serve.
    let uid = std::fs::metadata(path)?.uid();
    Ok(Socket {
        listener,
        path: path.to_path_buf(),
        uid,
        owned: true,
    })
}

/// Serves frontends until shutdown.
pub async fn serve(core: Arc<Core>, socket: Socket, shutdown: CancellationToken) {
    let tracker = TaskTracker::new();
    let ids = AtomicU64::new(1);
    tracing::info!(path = %socket.path.display(), "serving the local API");
    loop {
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            s = socket.listener.accept() => match s {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "accept on the local socket failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        match stream.peer_creds().map(|c| c.euid()) {
            Ok(Some(uid)) if uid == socket.uid => {}
            other => {
                tracing::warn!(peer = ?other, "refused a local connection from another user");
                continue;
            }
        }
        let id = ids.fetch_add(1, Ordering::Relaxed);
        tracker.spawn(conn::serve(core.clone(), stream, id, shutdown.clone()));
    }
    tracker.close();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(3), tracker.wait()).await;
}
