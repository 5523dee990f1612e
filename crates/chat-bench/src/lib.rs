//! A load generator for chat-server that speaks the wire protocol
//! (PROTOCOL.md §1) directly, the way an independent client would, so that
//! the numbers in docs/BENCHMARKS.md measure the server and not a client
//! library. It starts a server in a temp dir (or targets one), creates
//! accounts once per run, runs the scenarios of issue 14 and prints a
//! Markdown table per scenario plus a JSON file. One scenario, `e2e`,
//! measures through real chatd daemons instead, over their local API.

pub mod accounts;
pub mod cli;
pub mod daemons;
pub mod held;
pub mod local;
pub mod procstat;
pub mod report;
pub mod scenarios;
pub mod stats;
pub mod target;
pub mod traffic;
pub mod wire;

use std::process::ExitCode;

use clap::Parser;

/// Parses the command line, runs the scenarios and writes the reports.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(scenarios::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Prints one progress line on stderr (stdout carries only the tables).
pub fn progress(line: impl std::fmt::Display) {
    eprintln!("chat-bench: {line}");
}
