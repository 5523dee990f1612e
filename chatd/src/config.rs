//! Where chatd finds its server, its pin and its files: flags first, then
//! `chatd.toml`, then the XDG defaults. Resolved once at start into a plain
//! value so the rest of the daemon never looks at the environment.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Parser;
use serde::Deserialize;

/// The per-user SecureChat daemon: holds the server connection, the
/// identity key, the end-to-end sessions and the history, and serves
/// frontends on a local socket.
#[derive(Debug, Clone, Parser)]
#[command(name = "chatd", version, about, long_about = None)]
pub struct Cli {
    /// Server address, HOST:PORT [default: from chatd.toml, else 127.0.0.1:9876].
    #[arg(long, value_name = "HOST:PORT")]
    pub server: Option<String>,
    /// The server's key fingerprint to pin (64 hex characters; spaces and
    /// colons allowed). Without it the first server seen is trusted and
    /// remembered.
    #[arg(long, value_name = "FPR")]
    pub server_fingerprint: Option<String>,
    /// Talk to the server over bare TCP (only for a server on loopback).
    #[arg(long)]
    pub plaintext: bool,
    /// Configuration file [default: $XDG_CONFIG_HOME/securechat/chatd.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Data directory for the identity key and the database
    /// [default: $XDG_DATA_HOME/securechat].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Local API socket [default: $CHATD_SOCKET, else
    /// $XDG_RUNTIME_DIR/securechat/chatd.sock].
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Do not offer the D-Bus interface (org.securechat.Chatd1 on the
    /// session bus); serve the local socket only.
    #[arg(long)]
    pub no_dbus: bool,
    /// Where downloaded files go when a download names no path
    /// [default: from chatd.toml, else the XDG download directory, else
    /// ~/Downloads].
    #[arg(long, value_name = "DIR")]
    pub downloads: Option<PathBuf>,
}

/// `chatd.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// HOST:PORT of the server.
    pub server: Option<String>,
    /// Pinned server fingerprint.
    pub server_fingerprint: Option<String>,
    /// Bare TCP to a loopback server.
    #[serde(default)]
    pub plaintext: bool,
    /// Where downloads go by default.
    pub downloads: Option<PathBuf>,
    /// Notification settings (read by chat-notify).
    #[serde(default)]
    pub notifications: Option<toml::Table>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// HOST:PORT.
    pub server: String,
    /// Pin given by the person (flag or file); TOFU when absent.
    pub server_fingerprint: Option<String>,
    /// Bare TCP.
    pub plaintext: bool,
    /// Identity key and database.
    pub data_dir: PathBuf,
    /// The local API socket.
    pub socket: PathBuf,
    /// Offer D-Bus.
    pub dbus: bool,
    /// Where downloads go when a download names no path.
    pub downloads: PathBuf,
    /// At most one typing indicator per conversation this often
    /// ([`TYPING_INTERVAL`]; tests lower it).
    pub typing_interval: std::time::Duration,
}

/// How often a typing indicator may leave for one conversation
/// (docs/PROTOCOL.md §4.1).
pub const TYPING_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3);

/// Default server when nothing says otherwise.
pub const DEFAULT_SERVER: &str = "127.0.0.1:9876";

impl Config {
    /// Resolves flags, the config file and the XDG defaults.
    pub fn resolve(cli: &Cli) -> anyhow::Result<Self> {
        let dirs = directories::ProjectDirs::from("org", "securechat", "securechat");
        let config_path = cli
            .config
            .clone()
            .or_else(|| dirs.as_ref().map(|d| d.config_dir().join("chatd.toml")));
        let file = match &config_path {
            Some(p) => load_file(p, cli.config.is_some())?,
            None => FileConfig::default(),
        };
        let server = cli
            .server
            .clone()
            .or(file.server)
            .unwrap_or_else(|| DEFAULT_SERVER.to_string());
        let pin_text = cli.server_fingerprint.clone().or(file.server_fingerprint);
        let server_fingerprint = match pin_text {
            Some(text) => Some(chat_proto::crypto::parse_fingerprint(&text).with_context(|| {
                format!("server fingerprint {text:?} is not 64 hex characters; copy it from `chat-server fingerprint`")
            })?),
            None => None,
        };
        let data_dir = cli
            .data_dir
            .clone()
            .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
            .context("cannot find a data directory (no HOME?); pass --data-dir")?;
        let socket = cli
            .socket
            .clone()
            .or_else(chatd_api::paths::default_socket)
            .context("cannot place the socket: XDG_RUNTIME_DIR is not set; pass --socket or set CHATD_SOCKET")?;
        let downloads = cli
            .downloads
            .clone()
            .or(file.downloads)
            .or_else(|| {
                directories::UserDirs::new().map(|u| {
                    u.download_dir()
                        .map_or_else(|| u.home_dir().join("Downloads"), Path::to_path_buf)
                })
            })
            .unwrap_or_else(|| data_dir.join("downloads"));
        let plaintext = cli.plaintext || file.plaintext;
        check_plaintext(&server, plaintext)?;
        Ok(Self {
            server,
            server_fingerprint,
            plaintext,
            data_dir,
            socket,
            dbus: !cli.no_dbus,
            downloads,
            typing_interval: TYPING_INTERVAL,
        })
    }

    /// The database file.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("chatd.db")
    }

    /// The identity key file.
    pub fn identity_path(&self) -> PathBuf {
        self.data_dir.join("identity.pem")
    }

    /// chatd's own copies of files in transfer (D18): inside the data
    /// directory, so only this user reads them.
    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("spool")
    }
}

fn load_file(path: &Path, explicit: bool) -> anyhow::Result<FileConfig> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text)
            .with_context(|| format!("{} is not a valid chatd.toml", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok(FileConfig::default())
        }
        // An explicit --config that does not exist yet is fine too: the
        // defaults apply (the demo and tests point at fresh directories).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Bare TCP only to a loopback server: anything else would expose the
/// traffic (and the credentials' metadata) to the network.
fn check_plaintext(server: &str, plaintext: bool) -> anyhow::Result<()> {
    if !plaintext {
        return Ok(());
    }
    let host = server
        .rsplit_once(':')
        .map_or(server, |(h, _)| h)
        .trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback {
        bail!(
            "--plaintext is only allowed for a server on loopback (got {server}); drop --plaintext to use TLS"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plaintext_only_on_loopback() {
        assert!(check_plaintext("127.0.0.1:9876", true).is_ok());
        assert!(check_plaintext("[::1]:9876", true).is_ok());
        assert!(check_plaintext("localhost:1", true).is_ok());
        assert!(check_plaintext("example.org:9876", true).is_err());
        assert!(check_plaintext("10.0.0.1:9876", true).is_err());
        assert!(check_plaintext("example.org:9876", false).is_ok());
    }

    #[test]
    fn file_config_rejects_unknown_keys() {
        assert!(toml::from_str::<FileConfig>("server = \"h:1\"\nbogus = 1").is_err());
        let ok: FileConfig = toml::from_str("server = \"h:1\"\n[notifications]\npreview = false")
            .unwrap_or_default();
        assert_eq!(ok.server.as_deref(), Some("h:1"));
    }
}
