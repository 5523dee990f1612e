//! The local API socket (PROTOCOL.md §3): a Unix socket in a 0700
//! directory, mode 0600, serving only processes of our own uid. A socket
//! left behind by a crashed chatd is replaced; one that answers means
//! another chatd is running, and we refuse to steal it.

mod conn;
mod lines;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::{GenericFilePath, ListenerOptions};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::core::Core;

/// A bound socket, removed again when dropped.
pub struct Socket {
    listener: interprocess::local_socket::tokio::Listener,
    path: PathBuf,
    uid: u32,
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Prepares the directory, handles a stale socket and binds.
pub async fn bind(path: &Path) -> anyhow::Result<Socket> {
    let dir = path.parent().context("socket path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("cannot make {} private (mode 0700)", dir.display()))?;
    if path.exists() {
        let name = path.to_fs_name::<GenericFilePath>()?;
        if interprocess::local_socket::tokio::Stream::connect(name)
            .await
            .is_ok()
        {
            bail!(
                "another chatd is already serving {}; stop it first (systemctl --user stop chatd) or use --socket",
                path.display()
            );
        }
        tracing::info!(path = %path.display(), "removing a stale socket left by an earlier chatd");
        std::fs::remove_file(path)
            .with_context(|| format!("cannot remove stale socket {}", path.display()))?;
    }
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
