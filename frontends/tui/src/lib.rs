//! `chat-tui`, the terminal frontend of SecureChat. A library with a thin
//! `main`, so that tests drive the app and draw its screens without a
//! terminal, and the man-page generator reaches the clap definition
//! ([`cli::Cli`]).
//!
//! The parts: [`app`] is the state machine (messages in, effects out, no
//! I/O); [`ui`] draws it, reading only; [`io`] holds the background tasks
//! (chatd, the keyboard, the clock); `run` wires them with channels.

pub mod app;
pub mod cli;
pub mod files;
pub mod io;
pub mod layout;
mod run;
pub mod time;
pub mod timeline;
pub mod ui;
pub mod wrap;

use std::process::ExitCode;

use clap::Parser;

pub use run::run;

/// Parses the process's arguments and runs chat-tui. Usage errors exit
/// with 2 (clap's convention) before the terminal is touched.
pub fn main() -> ExitCode {
    run(cli::Cli::parse())
}
