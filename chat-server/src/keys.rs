//! The server's one long-term RSA key (PROTOCOL.md §1.1): loaded from disk,
//! or generated and stored 0600 on first start. It exists so that the TLS
//! certificate, the sealed-credential decryption and the printed
//! fingerprint all come from the same key, read in one careful place.

use std::fmt;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chat_proto::crypto::{self, CryptoError, RsaPrivateKey, RsaPublicKey};
use der::SecretDocument;
use der::zeroize::Zeroizing;
use rsa::pkcs8::EncodePrivateKey;

use crate::unseal::UnsealKey;

/// File name of the generated key inside the data directory.
pub const DEFAULT_KEY_FILE: &str = "server_privkey.pem";

/// The server's long-term key pair and what is derived from it once.
pub struct ServerKey {
    private: RsaPrivateKey,
    unseal: UnsealKey,
    public: RsaPublicKey,
    public_pem: String,
    fingerprint: String,
    /// PKCS#8 DER for rustls; `SecretDocument` wipes it on drop.
    pkcs8: SecretDocument,
}

impl ServerKey {
    /// Wraps a private key, deriving the public PEM, the fingerprint and the
    /// PKCS#8 encoding. Refuses keys weaker than the protocol allows.
    pub fn from_private_key(private: RsaPrivateKey) -> Result<Self, KeyError> {
        let public = private.to_public_key();
        let public_pem = crypto::public_key_to_pem(&public);
        // Round-trip through the protocol's own parser so that the strength
        // rule (>= 2048 bits, e = 65537) lives in one place.
        crypto::public_key_from_pem(&public_pem).map_err(|_| KeyError::Weak { path: None })?;
        let fingerprint = crypto::fingerprint(&public);
        let pkcs8 = private.to_pkcs8_der().map_err(|_| KeyError::Encode)?;
        let unseal = UnsealKey::from_pkcs8(pkcs8.as_bytes())
            .map_err(|_| KeyError::TooLarge { path: None })?;
        Ok(Self {
            private,
            unseal,
            public,
            public_pem,
            fingerprint,
            pkcs8,
        })
    }

    /// The private key, for signing the certificate (once per start).
    pub fn private_key(&self) -> &RsaPrivateKey {
        &self.private
    }

    /// The same key for opening sealed credentials (RSA-OAEP), the
    /// private-key operation of every login: AWS-LC's, ten times faster
    /// than the `rsa` crate's.
    pub fn unseal_key(&self) -> &UnsealKey {
        &self.unseal
    }

    /// The public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// The public key as SubjectPublicKeyInfo PEM, as sent in `hello`.
    pub fn public_pem(&self) -> &str {
        &self.public_pem
    }

    /// fingerprint(server public key): 64 lowercase hex characters.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The private key as PKCS#8 DER, the form rustls loads.
    pub fn pkcs8_der(&self) -> &[u8] {
        self.pkcs8.as_bytes()
    }
}

impl fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material, only what identifies the key.
        f.debug_struct("ServerKey")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

/// Where the key came from, for the startup log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// No key existed: a new one was generated and written to `path`.
    Generated {
        /// The file written.
        path: PathBuf,
    },
    /// An existing key file was loaded.
    Loaded {
        /// The file read.
        path: PathBuf,
        /// Something the operator should fix (a file readable by others),
        /// to be logged as a warning.
        warning: Option<String>,
    },
}

impl KeySource {
    /// The key file.
    pub fn path(&self) -> &Path {
        match self {
            Self::Generated { path } | Self::Loaded { path, .. } => path,
        }
    }

    /// A warning to log, if any.
    pub fn warning(&self) -> Option<&str> {
        match self {
            Self::Loaded { warning, .. } => warning.as_deref(),
            Self::Generated { .. } => None,
        }
    }
}

/// Why the server key could not be loaded or created.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file does not exist.
    #[error("server key file {} does not exist: {hint}", path.display())]
    NotFound {
        /// The path looked at.
        path: PathBuf,
        /// What to do about it, depending on how the path was chosen.
        hint: &'static str,
    },
    /// The key file exists but could not be read.
    #[error("cannot read server key file {}: {source}; check that it is a readable file", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file is not an RSA private key in PEM.
    #[error(
        "{} is not an RSA private key in PEM (PKCS#1 or PKCS#8): point --key at the server's private key, or move the file away to have a new key generated",
        path.display()
    )]
    BadPem {
        /// The file.
        path: PathBuf,
    },
    /// The key is weaker than the protocol allows.
    #[error(
        "server key{} is refused: it must be RSA with a modulus of at least 2048 bits and e = 65537; generate one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`, or move the file away to have one generated",
        path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default()
    )]
    Weak {
        /// The file, when the key came from one.
        path: Option<PathBuf>,
    },
    /// The key is larger than AWS-LC decrypts with (8192 bits).
    #[error(
        "server key{} is refused: RSA keys above 8192 bits are not supported; use a 2048- to 8192-bit key (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`), or move the file away to have one generated",
        path.as_ref().map(|p| format!(" in {}", p.display())).unwrap_or_default()
    )]
    TooLarge {
        /// The file, when the key came from one.
        path: Option<PathBuf>,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {}: {source}; choose a writable one with --data-dir", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The generated key could not be written.
    #[error("cannot write server key file {}: {source}; check that the data directory is writable and not full", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Key generation failed (the system RNG).
    #[error(
        "cannot generate the server key: the system random number generator failed; check that /dev/urandom or getrandom(2) is available"
    )]
    Generate,
    /// The key could not be encoded (should not happen with a valid key).
    #[error("cannot encode the server key; report this as a bug")]
    Encode,
}

const HINT_GIVEN: &str =
    "check the path, or drop --key to have a key generated in the data directory";
const HINT_FINGERPRINT: &str =
    "start chat-server once to generate it, or point --key at an existing key";

/// Loads the server key, or generates it on first start.
///
/// With `key_path` that file must exist. Otherwise
/// `<data_dir>/server_privkey.pem` is loaded if present, or a new RSA-2048
/// key is generated and written there (directory 0700, file 0600,
/// atomically). Slow on first start (key generation): call it before the
/// runtime's workers are busy.
pub fn load_or_create(
    data_dir: &Path,
    key_path: Option<&Path>,
) -> Result<(ServerKey, KeySource), KeyError> {
    if let Some(path) = key_path {
        return load(path, HINT_GIVEN);
    }
    let path = data_dir.join(DEFAULT_KEY_FILE);
    match load(&path, HINT_GIVEN) {
        Err(KeyError::NotFound { .. }) => create(data_dir, &path),
        other => other,
    }
}

/// The fingerprint of the key in `path`, for `chat-server fingerprint`.
pub fn fingerprint_of_file(path: &Path) -> Result<String, KeyError> {
    load(path, HINT_FINGERPRINT).map(|(key, _)| key.fingerprint)
}

fn load(path: &Path, hint: &'static str) -> Result<(ServerKey, KeySource), KeyError> {
    let read_err = |source| KeyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let pem = match fs::read_to_string(path) {
        Ok(text) => Zeroizing::new(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(KeyError::NotFound {
                path: path.to_path_buf(),
                hint,
            });
        }
        Err(e) => return Err(read_err(e)),
    };
    let mode = fs::metadata(path).map_err(read_err)?.permissions().mode();
    let private = crypto::private_key_from_pem(&pem).map_err(|e| match e {
        CryptoError::WeakKey => KeyError::Weak {
            path: Some(path.to_path_buf()),
        },
        _ => KeyError::BadPem {
            path: path.to_path_buf(),
        },
    })?;
    let key = ServerKey::from_private_key(private).map_err(|e| match e {
        KeyError::Weak { .. } => KeyError::Weak {
            path: Some(path.to_path_buf()),
        },
        KeyError::TooLarge { .. } => KeyError::TooLarge {
            path: Some(path.to_path_buf()),
        },
        other => other,
    })?;
    let warning = permission_warning(path, mode);
    let source = KeySource::Loaded {
        path: path.to_path_buf(),
        warning,
    };
    Ok((key, source))
}

fn permission_warning(path: &Path, mode: u32) -> Option<String> {
    (mode & 0o077 != 0).then(|| {
        format!(
            "server key file {} is accessible to other users (mode {:04o}); restrict it with `chmod 600 {}`",
            path.display(),
            mode & 0o7777,
            path.display()
        )
    })
}

fn create(data_dir: &Path, path: &Path) -> Result<(ServerKey, KeySource), KeyError> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .map_err(|source| KeyError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
    let private = crypto::generate_private_key().map_err(|_| KeyError::Generate)?;
    let pem = crypto::private_key_to_pem(&private).map_err(|_| KeyError::Encode)?;
    let key = ServerKey::from_private_key(private)?;
    match write_new_file(data_dir, path, pem.as_bytes()) {
        Ok(()) => Ok((
            key,
            KeySource::Generated {
                path: path.to_path_buf(),
            },
        )),
        // Another process created the key between our look and our write:
        // use theirs, so that every server on this directory agrees.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => load(path, HINT_GIVEN),
        Err(source) => Err(KeyError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` only if it does not exist, so that no reader
/// ever sees a partial key: a 0600 temporary file in the same directory,
/// fsync, then a hard link (which, unlike rename, never replaces a file that
/// appeared meanwhile), then fsync of the directory.
fn write_new_file(dir: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let suffix = hex_suffix()?;
    let tmp = dir.join(format!(".{DEFAULT_KEY_FILE}.{suffix}.tmp"));
    let result = write_tmp_and_link(&tmp, path, bytes);
    // The temporary name is ours alone; failing to remove it leaves only
    // a 0600 file behind.
    let _ = fs::remove_file(&tmp);
    result?;
    File::open(dir)?.sync_all()
}

fn write_tmp_and_link(tmp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    match fs::hard_link(tmp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // Filesystems without hard links: fall back to rename.
        Err(_) => fs::rename(tmp, path),
    }
}

fn hex_suffix() -> io::Result<String> {
    let bytes: [u8; 8] = crypto::random_bytes().map_err(io::Error::other)?;
    Ok(hex::encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn testdata(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../testdata/openssl")
            .join(name)
    }

    /// Copies a checked-in key into a temp dir with the given mode (git does
    /// not keep 0600).
    fn copy_with_mode(dir: &Path, name: &str, mode: u32) -> PathBuf {
        let dest = dir.join(name);
        fs::copy(testdata(name), &dest).unwrap();
        fs::set_permissions(&dest, fs::Permissions::from_mode(mode)).unwrap();
        dest
    }

    #[test]
    fn keys_generated_once_with_mode_0600_then_reloaded() {
        let tmp = tempfile::tempdir().unwrap();
        let data_dir = tmp.path().join("data");
        let (key, source) = load_or_create(&data_dir, None).unwrap();
        let path = data_dir.join(DEFAULT_KEY_FILE);
        assert_eq!(source, KeySource::Generated { path: path.clone() });
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::metadata(&data_dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&data_dir).unwrap().count(), 1);
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("-----BEGIN PRIVATE KEY-----"),
            "PKCS#8 PEM"
        );

        let (again, source) = load_or_create(&data_dir, None).unwrap();
        assert_eq!(again.fingerprint(), key.fingerprint());
        assert_eq!(source.warning(), None);
        assert!(matches!(source, KeySource::Loaded { .. }));
        assert_eq!(fingerprint_of_file(&path).unwrap(), key.fingerprint());
        assert_eq!(key.fingerprint().len(), 64);
        assert_eq!(
            key.public_pem(),
            crypto::public_key_to_pem(key.public_key())
        );
    }

    #[test]
    fn keys_openssl_pkcs1_and_pkcs8_load() {
        let tmp = tempfile::tempdir().unwrap();
        let expected = fs::read_to_string(testdata("pkcs1.fingerprint")).unwrap();
        let pkcs1 = copy_with_mode(tmp.path(), "pkcs1.pem", 0o600);
        let (key, source) = load_or_create(tmp.path(), Some(&pkcs1)).unwrap();
        assert_eq!(key.fingerprint(), expected.trim());
        assert_eq!(source.warning(), None);
        assert_eq!(source.path(), pkcs1);

        let pkcs8 = copy_with_mode(tmp.path(), "pkcs8.pem", 0o600);
        let (key8, _) = load_or_create(tmp.path(), Some(&pkcs8)).unwrap();
        let pub8 = fs::read_to_string(testdata("pkcs8.pub.pem")).unwrap();
        let expected8 = crypto::fingerprint(&crypto::public_key_from_pem(&pub8).unwrap());
        assert_eq!(key8.fingerprint(), expected8);
        // --key never generates into the data dir.
        assert!(!tmp.path().join(DEFAULT_KEY_FILE).exists());
    }

    #[test]
    fn keys_readable_by_others_loads_with_warning() {
        let tmp = tempfile::tempdir().unwrap();
        let path = copy_with_mode(tmp.path(), "pkcs8.pem", 0o644);
        let (_, source) = load_or_create(tmp.path(), Some(&path)).unwrap();
        let warning = source.warning().unwrap();
        assert!(warning.contains("0644"), "{warning}");
        assert!(warning.contains("chmod 600"), "{warning}");
    }

    #[test]
    fn keys_missing_given_file_names_path_and_remedy() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("nope.pem");
        let err = load_or_create(tmp.path(), Some(&path)).unwrap_err();
        assert!(matches!(err, KeyError::NotFound { .. }));
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("drop --key"), "{msg}");
        assert!(!msg.ends_with('.'));
        assert!(!tmp.path().join(DEFAULT_KEY_FILE).exists());

        let msg = fingerprint_of_file(&path).unwrap_err().to_string();
        assert!(msg.contains("start chat-server once"), "{msg}");
    }

    #[test]
    fn keys_garbage_pem_is_a_clear_error() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(DEFAULT_KEY_FILE);
        fs::write(&path, "-----BEGIN PRIVATE KEY-----\nnot base64\n").unwrap();
        let err = load_or_create(tmp.path(), None).unwrap_err();
        assert!(matches!(err, KeyError::BadPem { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("PKCS#1 or PKCS#8"), "{msg}");
        // The garbage file is left alone, never overwritten.
        assert!(fs::read_to_string(&path).unwrap().contains("not base64"));
    }

    /// `openssl genrsa -traditional 1024`.
    const WEAK_1024_PKCS1: &str = "-----BEGIN RSA PRIVATE KEY-----
MIICXAIBAAKBgQC6v7zSg3SH+gBJ0UNKx9RdfZpoMwrCZOJdWEKnAtm+I1j9Gz+G
5vTsPT4dtmJtcbaEClw8WH1rCH4Ry89DVyy0sej223JY0gCRCTzOyBbN0Q0ASotG
bPaHCTz4/gr4YgOm6boCon0594+rpJmjiXoNWbUXTkgY3uzAWCQV4kXEowIDAQAB
AoGAWdY5GLAiU/OBRgGENKoy0BLHP88mIuPzPWJjFgK6CszoV0JPai8arba8dgCy
EuI8IgL14hXTp7S7KQZ5m3SJTUTCkuYTa0LQ2JcpKFIgF8uybF0t5YhR5WkpU2b1
xnT/w3eNSwIs/VfPycoTxIQfver/wjRcXD8+qY0OyW4hqoECQQDrdJXPYgF0VA94
WSCceHV8f7S6fuBgKRWUB/xoTzA5dfxtWm7XMeVMvJ5yjBjdgqB3tjA8TRHicXID
forccw5jAkEAywsv295w5LNry89w+9QucutGnNoCExNoUoU3Tnyrbn1GpceAPtNz
Wr5hloiexQn+16MezhvcF2RklwRZNxYkwQJARd4Pgj1LvzAecxDHe4bHHg1rHJf/
jqlCTO3duToeTj6zi+N01ohoyU+DGOx3iGt1oHBAefRIpVASi/Tl0aqWjwJAft9b
pWCmXFG8vtq9d65K4+Yd9m7HMxJCcqXpPDLskBrZpUc23IsWHpKtufledDLdufKk
kheYfElwDWlbMe+1QQJBAMezEqEJbL20m65Nz1SKu8Qz5vY5FVfrdcePmCojoD7S
lKTWWllUz7c4AqDx2J/ZGBqO+sDvU13PpIYAk89AjH8=
-----END RSA PRIVATE KEY-----
";

    #[test]
    fn keys_1024_bit_key_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("weak.pem");
        fs::write(&path, WEAK_1024_PKCS1).unwrap();
        let err = load_or_create(tmp.path(), Some(&path)).unwrap_err();
        assert!(matches!(err, KeyError::Weak { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("2048"), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
    }

    #[test]
    fn keys_debug_shows_no_secret() {
        let tmp = tempfile::tempdir().unwrap();
        let path = copy_with_mode(tmp.path(), "pkcs8.pem", 0o600);
        let (key, _) = load_or_create(tmp.path(), Some(&path)).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.fingerprint()));
        assert!(shown.len() < 200, "{shown}");
    }

    #[test]
    fn keys_write_new_file_never_replaces() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join(DEFAULT_KEY_FILE);
        fs::write(&path, "theirs").unwrap();
        let err = write_new_file(tmp.path(), &path, b"ours").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(fs::read_to_string(&path).unwrap(), "theirs");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
