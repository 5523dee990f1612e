//! Where the daemon's socket lives, computed the same way by chatd and by
//! every client: `$XDG_RUNTIME_DIR/securechat/chatd.sock`, or an explicit
//! override.

use std::path::PathBuf;

/// Environment variable naming the socket explicitly (tests, several
/// daemons on one machine).
pub const SOCKET_ENV: &str = "CHATD_SOCKET";

/// The socket path: `$CHATD_SOCKET`, else `<runtime dir>/securechat/chatd.sock`.
/// `None` when no runtime directory is known (no `XDG_RUNTIME_DIR`).
pub fn default_socket() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(SOCKET_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    runtime_dir().map(|d| socket_in(&d))
}

/// The socket inside a runtime directory.
pub fn socket_in(runtime_dir: &std::path::Path) -> PathBuf {
    runtime_dir.join("securechat").join("chatd.sock")
}

/// `$XDG_RUNTIME_DIR`, when set to an absolute path.
pub fn runtime_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}
