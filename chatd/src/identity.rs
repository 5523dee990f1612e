//! The user's long-term identity key: made once, kept in the data directory
//! with mode 0600, never sent anywhere but as its public half.
//!
//! The file is written so that no other process can see or steer the
//! private key on its way to disk: through a temp file of a fresh random
//! name created with `O_EXCL` and mode 0600 (a file or symlink planted at a
//! predictable name is never opened), synced, renamed into place, and the
//! directory synced so the rename survives a power cut. The PEM text is
//! held only in buffers that are wiped when dropped.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chat_e2e::IdentityKey;
use zeroize::Zeroizing;

/// How many fresh temp names to try before giving up (each is random, so
/// a clash means someone is racing us on purpose).
const TEMP_ATTEMPTS: usize = 16;

/// Loads the identity key, or generates and saves one. Blocking (RSA key
/// generation): call from `spawn_blocking`.
pub fn load_or_create(path: &Path) -> anyhow::Result<IdentityKey> {
    match read_private(path) {
        Ok(pem) => {
            let mode = std::fs::metadata(path)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "identity key is readable by others; fixing its mode to 0600");
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
            }
            let pem = std::str::from_utf8(&pem).with_context(|| {
                format!(
                    "{} is not a PEM file; restore it from a backup or move it away",
                    path.display()
                )
            })?;
            IdentityKey::from_pem(pem).with_context(|| {
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

/// The whole file in a buffer wiped on drop (sized up front, so reading
/// leaves no reallocated copies behind).
fn read_private(path: &Path) -> std::io::Result<Zeroizing<Vec<u8>>> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        usize::try_from(len).unwrap_or(0).saturating_add(1),
    ));
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
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
    write_private(path, pem.as_bytes())
        .with_context(|| format!("cannot write the identity key {}", path.display()))?;
    tracing::info!(path = %path.display(), fingerprint = key.fingerprint(), "generated a new identity key");
    Ok(key)
}

/// Puts `bytes` at `path` atomically and durably, mode 0600: a fresh temp
/// file beside it, fsync, rename, fsync of the directory. The temp file is
/// removed again if any step fails.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let (tmp, mut file) = create_temp(dir, path)?;
    let written = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// Creates `.<name>.<random>.tmp` in `dir` with `O_CREAT | O_EXCL` (which
/// also refuses to follow a symlink) and mode 0600.
fn create_temp(dir: &Path, path: &Path) -> std::io::Result<(PathBuf, File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for _ in 0..TEMP_ATTEMPTS {
        let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
        {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!(
            "no free temp name in {} after {TEMP_ATTEMPTS} tries; is another process racing chatd?",
            dir.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// The old code wrote through `identity.pem.tmp` with create+truncate:
    /// a symlink planted there sent the private key wherever it pointed.
    #[test]
    fn a_symlink_at_the_old_temp_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.pem");
        let victim = dir.path().join("elsewhere");
        std::fs::write(&victim, "untouched").unwrap();
        std::os::unix::fs::symlink(&victim, path.with_extension("pem.tmp")).unwrap();

        let key = load_or_create(&path).unwrap();

        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(
            load_or_create(&path).unwrap().fingerprint(),
            key.fingerprint()
        );
    }

    /// A file someone made readable at a predictable temp name must not
    /// become the key file with its mode.
    #[test]
    fn a_readable_file_at_the_old_temp_name_does_not_become_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.pem");
        let planted = path.with_extension("pem.tmp");
        std::fs::write(&planted, "").unwrap();
        std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o644)).unwrap();

        load_or_create(&path).unwrap();

        assert_eq!(mode(&path), 0o600, "the key file is private");
        assert_eq!(std::fs::read_to_string(&planted).unwrap(), "");
    }

    #[test]
    fn writing_leaves_no_temp_file_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.pem");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["identity.pem"]);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o600);
    }
}
