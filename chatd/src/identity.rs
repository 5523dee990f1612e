//! The user's long-term identity key: made once, kept in the data directory
//! with mode 0600, never sent anywhere but as its public half.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::Context;
use chat_e2e::IdentityKey;

/// Loads the identity key, or generates and saves one. Blocking (RSA key
/// generation): call from `spawn_blocking`.
pub fn load_or_create(path: &Path) -> anyhow::Result<IdentityKey> {
    match std::fs::read_to_string(path) {
        Ok(pem) => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "identity key is readable by others; fixing its mode to 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            IdentityKey::from_pem(&pem).with_context(|| {
                format!(
                    "{} is not a valid identity key; restore it from a backup or move it away",
                    path.display()
                )
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
        Err(e) => Err(e).with_context(|| format!("cannot read identity key {}", path.display())),
    }
}

fn create(path: &Path) -> anyhow::Result<IdentityKey> {
    let dir = path
        .parent()
        .context("identity key path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    let key = IdentityKey::generate().context("cannot generate an identity key")?;
    let pem = key
        .to_pkcs8_pem()
        .context("cannot encode the identity key")?;
    let tmp = path.with_extension("pem.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    file.write_all(pem.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), fingerprint = key.fingerprint(), "generated a new identity key");
    Ok(key)
}
