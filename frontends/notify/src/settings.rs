//! What chat-notify works with, resolved once at start from its flags, the
//! `[notifications]` table of chatd.toml and the XDG defaults, so that the
//! rest never looks at the environment.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::Deserialize;

use crate::cli::Cli;
use crate::decide::Rules;

/// The resolved settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// chatd's socket.
    pub socket: PathBuf,
    /// The seq file.
    pub state_file: PathBuf,
    /// What to show.
    pub rules: Rules,
}

/// The `[notifications]` table of chatd.toml. Unknown keys are refused: a
/// misspelt `preview = false` must not quietly show message text.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct NotificationsTable {
    preview: Option<bool>,
}

/// The environment variables the defaults come from, passed in so that
/// resolution can be tested without touching the process environment.
#[derive(Debug, Default, Clone)]
pub struct Env {
    /// chatd's socket: `$CHATD_SOCKET` or the runtime-dir rule.
    pub socket: Option<PathBuf>,
    /// The XDG config directory of SecureChat.
    pub config_dir: Option<PathBuf>,
    /// `$STATE_DIRECTORY` (set by systemd for `StateDirectory=`).
    pub state_directory: Option<PathBuf>,
    /// The XDG state directory of SecureChat.
    pub state_dir: Option<PathBuf>,
}

impl Env {
    /// Reads the process environment.
    pub fn from_process() -> Self {
        let dirs = directories::ProjectDirs::from("org", "securechat", "securechat");
        Self {
            socket: chatd_api::paths::default_socket(),
            config_dir: dirs.as_ref().map(|d| d.config_dir().to_path_buf()),
            state_directory: std::env::var_os("STATE_DIRECTORY")
                .and_then(|v| std::env::split_paths(&v).next())
                .filter(|p| p.is_absolute()),
            state_dir: dirs
                .as_ref()
                .and_then(|d| d.state_dir())
                .map(Path::to_path_buf),
        }
    }
}

impl Settings {
    /// Resolves flags, chatd.toml and the defaults.
    pub fn resolve(cli: &Cli, env: &Env) -> anyhow::Result<Self> {
        let socket = cli.socket.clone().or_else(|| env.socket.clone()).context(
            "cannot find chatd's socket: XDG_RUNTIME_DIR is not set; pass --socket or set \
             CHATD_SOCKET",
        )?;
        let state_file = cli
            .state_file
            .clone()
            .or_else(|| env.state_directory.as_ref().map(|d| d.join("notify.seq")))
            .or_else(|| env.state_dir.as_ref().map(|d| d.join("notify.seq")))
            .context("cannot find a state directory (no HOME?); pass --state-file")?;
        let config = cli
            .config
            .clone()
            .or_else(|| env.config_dir.as_ref().map(|d| d.join("chatd.toml")));
        let table = match &config {
            Some(path) => read_table(path)?,
            None => NotificationsTable::default(),
        };
        if cli.group_window == 0 {
            bail!("--group-window must be at least 1 second");
        }
        Ok(Self {
            socket,
            state_file,
            rules: Rules {
                preview: !cli.no_preview && table.preview.unwrap_or(true),
                group_window: Duration::from_secs(cli.group_window),
            },
        })
    }
}

/// The `[notifications]` table of the file at `path`; a missing file means
/// the defaults (chatd runs without one too).
fn read_table(path: &Path) -> anyhow::Result<NotificationsTable> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(NotificationsTable::default());
        }
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut doc: toml::Table = toml::from_str(&text)
        .with_context(|| format!("{} is not valid TOML; fix it and restart", path.display()))?;
    let Some(value) = doc.remove("notifications") else {
        return Ok(NotificationsTable::default());
    };
    value.try_into().with_context(|| {
        format!(
            "the [notifications] table of {} is wrong; the key chat-notify knows is \
             `preview` (true or false)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("chat-notify").chain(args.iter().copied())).unwrap()
    }

    fn env(dir: &Path) -> Env {
        Env {
            socket: Some(dir.join("run/chatd.sock")),
            config_dir: Some(dir.join("config")),
            state_directory: None,
            state_dir: Some(dir.join("state")),
        }
    }

    #[test]
    fn defaults_come_from_the_xdg_directories() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::resolve(&cli(&[]), &env(dir.path())).unwrap();
        assert_eq!(s.socket, dir.path().join("run/chatd.sock"));
        assert_eq!(s.state_file, dir.path().join("state/notify.seq"));
        assert_eq!(s.rules, Rules::default());
        // systemd's StateDirectory= wins over XDG.
        let mut e = env(dir.path());
        e.state_directory = Some(dir.path().join("systemd"));
        let s = Settings::resolve(&cli(&[]), &e).unwrap();
        assert_eq!(s.state_file, dir.path().join("systemd/notify.seq"));
    }

    #[test]
    fn preview_is_off_by_flag_or_by_chatd_toml() {
        let dir = tempfile::tempdir().unwrap();
        let e = env(dir.path());
        let s = Settings::resolve(&cli(&["--no-preview"]), &e).unwrap();
        assert!(!s.rules.preview);
        std::fs::create_dir_all(dir.path().join("config")).unwrap();
        let toml = dir.path().join("config/chatd.toml");
        std::fs::write(
            &toml,
            "server = \"h:1\"\n[notifications]\npreview = false\n",
        )
        .unwrap();
        assert!(!Settings::resolve(&cli(&[]), &e).unwrap().rules.preview);
        std::fs::write(&toml, "[notifications]\npreview = true\n").unwrap();
        assert!(Settings::resolve(&cli(&[]), &e).unwrap().rules.preview);
        assert!(
            !Settings::resolve(&cli(&["--no-preview"]), &e)
                .unwrap()
                .rules
                .preview
        );
    }

    #[test]
    fn a_misspelt_key_is_refused_with_the_right_name() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("chatd.toml");
        std::fs::write(&toml, "[notifications]\npreveiw = false\n").unwrap();
        let path = toml.to_string_lossy().to_string();
        let err = Settings::resolve(&cli(&["--config", &path]), &env(dir.path())).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("preveiw") && msg.contains("`preview`"),
            "{msg}"
        );
    }

    #[test]
    fn flags_override_everything() {
        let dir = tempfile::tempdir().unwrap();
        let s = Settings::resolve(
            &cli(&[
                "--socket",
                "/x/s.sock",
                "--state-file",
                "/x/seq",
                "--group-window",
                "5",
            ]),
            &Env::default(),
        )
        .unwrap();
        assert_eq!(s.socket, PathBuf::from("/x/s.sock"));
        assert_eq!(s.state_file, PathBuf::from("/x/seq"));
        assert_eq!(s.rules.group_window, Duration::from_secs(5));
        assert!(Settings::resolve(&cli(&["--group-window", "0"]), &env(dir.path())).is_err());
    }
}
