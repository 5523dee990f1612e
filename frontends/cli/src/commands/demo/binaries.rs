//! Finding the real `chat-server` and `chatd` next to the `chat` binary:
//! the demo runs them as child processes and links neither, so a missing
//! one is a build step to name, not a bug.

use std::path::{Path, PathBuf};

/// The programs the demo starts.
#[derive(Debug, Clone)]
pub(crate) struct Binaries {
    /// The relay.
    pub(crate) server: PathBuf,
    /// The per-user daemon.
    pub(crate) chatd: PathBuf,
}

/// Looks in the directory of the running executable.
pub(crate) fn locate() -> anyhow::Result<Binaries> {
    let exe = std::env::current_exe()
        .map_err(|e| anyhow::anyhow!("cannot tell where the chat binary is ({e})"))?;
    let dir = exe
        .parent()
        .ok_or_else(|| anyhow::anyhow!("the chat binary {} has no directory", exe.display()))?;
    locate_in(dir)
}

/// Looks in `dir`.
pub(crate) fn locate_in(dir: &Path) -> anyhow::Result<Binaries> {
    let server = dir.join("chat-server");
    let chatd = dir.join("chatd");
    let missing: Vec<&str> = [("chat-server", &server), ("chatd", &chatd)]
        .into_iter()
        .filter(|(_, p)| !p.is_file())
        .map(|(name, _)| name)
        .collect();
    if missing.is_empty() {
        Ok(Binaries { server, chatd })
    } else {
        anyhow::bail!("{}", missing_message(dir, &missing))
    }
}

/// Says what is missing and the exact command that builds it, for the
/// profile the `chat` binary itself was built with.
pub(crate) fn missing_message(dir: &Path, missing: &[&str]) -> String {
    // target/<profile>/chat: the directory is named after the profile,
    // except that the dev profile's is `debug`.
    let profile = match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => String::new(),
        Some("release") | None => "--release ".to_owned(),
        Some(other) => format!("--profile {other} "),
    };
    format!(
        "the demo runs the real programs, and {} not next to chat in {}; build them with \
         `cargo build {profile}-p chat-server -p chatd`",
        match missing {
            [one] => format!("{one} is"),
            _ => format!("{} are", missing.join(" and ")),
        },
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_names_the_build_command() {
        let msg = missing_message(Path::new("/w/target/release"), &["chatd"]);
        assert!(
            msg.contains("chatd is not next to chat in /w/target/release"),
            "{msg}"
        );
        assert!(
            msg.contains("`cargo build --release -p chat-server -p chatd`"),
            "{msg}"
        );
        let msg = missing_message(Path::new("/w/target/debug"), &["chat-server", "chatd"]);
        assert!(msg.contains("chat-server and chatd are"), "{msg}");
        assert!(
            msg.contains("`cargo build -p chat-server -p chatd`"),
            "{msg}"
        );
        let msg = missing_message(Path::new("/w/target/demo"), &["chatd"]);
        assert!(
            msg.contains("`cargo build --profile demo -p chat-server -p chatd`"),
            "{msg}"
        );
    }

    #[test]
    fn an_empty_dir_has_neither() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = locate_in(dir.path()).expect_err("missing");
        assert!(err.to_string().contains("chat-server and chatd are"));
    }
}
