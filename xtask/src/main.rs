//! `cargo run -p xtask -- gen [--out DIR]`: writes the man pages, shell
//! completions and the local API's OpenRPC document (into the repository
//! by default). Everything is in the
//! library so that the tests run the same code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Repository tasks.
#[derive(Debug, Parser)]
#[command(name = "xtask", about = "SecureChat's repository tasks")]
struct Args {
    #[command(subcommand)]
    task: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Write man/, completions/ and docs/api/openrpc.json from the code
    Gen {
        /// Write under this directory instead of the repository root
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let Task::Gen { out } = Args::parse().task;
    let root = out.unwrap_or_else(xtask::repo_root);
    match xtask::write_all(&root) {
        Ok(files) => {
            for f in files {
                println!("wrote {}", root.join(f).display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("xtask: {e:#}");
            ExitCode::FAILURE
        }
    }
}
