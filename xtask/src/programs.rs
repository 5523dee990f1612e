//! The programs that get a man page and completions, one line each, and
//! the pages written entirely by hand. Adding a program is one line here
//! (plus its dependency in Cargo.toml and, optionally, its hand-written
//! sections in `xtask/pages/`).

use clap::CommandFactory;

/// A program with a clap definition.
pub struct Program {
    /// The binary's name.
    pub name: &'static str,
    /// The man section: 1 for user commands (chatd is a per-user daemon,
    /// like gpg-agent), 8 for system daemons.
    pub section: &'static str,
    /// Its clap definition.
    pub command: fn() -> clap::Command,
    /// Hand-written sections (roff) that follow the generated ones.
    pub extra: &'static str,
}

impl Program {
    /// The man page's file name, e.g. `chat.1`.
    pub fn man_file(&self) -> String {
        format!("{}.{}", self.name, self.section)
    }
}

/// A page with no clap definition behind it.
pub struct HandWritten {
    /// The file name, e.g. `chatd.toml.5`.
    pub file: &'static str,
    /// The whole page (roff), with `@DATE@` and `@SOURCE@` for the title line.
    pub text: &'static str,
}

/// A [`Program`] from its name, section and clap type; its hand-written
/// sections are `xtask/pages/<name>.<section>.in`.
macro_rules! program {
    ($name:literal, $section:literal, $cli:path) => {
        Program {
            name: $name,
            section: $section,
            command: <$cli as CommandFactory>::command,
            extra: include_str!(concat!("../pages/", $name, ".", $section, ".in")),
        }
    };
}

/// Every program, in the order the generated files are listed.
pub fn programs() -> Vec<Program> {
    vec![
        program!("chat", "1", chat_cli::cli::Cli),
        program!("chatd", "1", chatd::config::Cli),
        program!("chat-server", "8", chat_server::cli::Cli),
        program!("chat-notify", "1", chat_notify::cli::Cli),
        program!("chat-tui", "1", chat_tui::cli::Cli),
        program!("chat-gui", "1", chat_gui::cli::Cli),
    ]
}

/// The pages written by hand.
pub fn hand_written_pages() -> Vec<HandWritten> {
    vec![HandWritten {
        file: "chatd.toml.5",
        text: include_str!("../pages/chatd.toml.5.in"),
    }]
}
