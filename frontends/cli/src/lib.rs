//! The `chat` command: a thin frontend of chatd's local API. It is a
//! library with a thin `main` so that tests and the man-page generator can
//! reach the clap definition ([`cli::Cli`]) and run commands in-process.

pub mod cli;
mod commands;
mod display;
mod output;
mod prompt;
mod report;
pub mod when;

pub use commands::{Coverage, covered_by};

use std::process::ExitCode;

use clap::Parser as _;

/// Parses the process's arguments and runs the command. Usage errors exit
/// with 2 (clap's convention), before anything else happens; with `--json`
/// anywhere on the command line they are a JSON object on stderr too.
pub fn main() -> ExitCode {
    let err = match cli::Cli::try_parse() {
        Ok(cli) => return run(cli),
        Err(err) => err,
    };
    let json = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if !json || !err.use_stderr() {
        err.exit();
    }
    let message = err.render().to_string();
    let message = message.trim_end().trim_start_matches("error: ");
    eprintln!("{}", report::local_json("usage", message));
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(chatd_api::client::EXIT_USAGE))
}

/// Runs a parsed command line and maps the outcome to the documented exit
/// codes (see [`cli::EXIT_CODES_HELP`]), printing errors to stderr.
pub fn run(cli: cli::Cli) -> ExitCode {
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat: cannot start the async runtime: {e}");
            return ExitCode::from(chatd_api::client::EXIT_FAILURE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => ExitCode::from(report::failure(&e, json)),
    }
}
