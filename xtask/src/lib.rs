//! The repository's own tooling: man pages and shell completions generated
//! from the programs' clap definitions, and the local API's OpenRPC document
//! generated from chatd-api's types, so that the documentation says what
//! the code does. `cargo run -p xtask -- gen` writes them into `man/`,
//! `completions/` and `docs/api/`; a test regenerates them and compares.

pub mod completions;
pub mod man;
pub mod programs;
pub mod roff;

use std::path::{Path, PathBuf};

use anyhow::Context;

/// One generated file: its path relative to the repository root and its
/// contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// e.g. `man/chat.1`.
    pub path: PathBuf,
    /// The text.
    pub text: String,
}

/// Every generated file, in a stable order.
pub fn generate() -> anyhow::Result<Vec<Generated>> {
    let mut files = Vec::new();
    for program in programs::programs() {
        files.push(Generated {
            path: Path::new("man").join(program.man_file()),
            text: man::page(&program)?,
        });
        files.extend(completions::for_program(&program)?);
    }
    for page in programs::hand_written_pages() {
        files.push(Generated {
            path: Path::new("man").join(page.file),
            text: man::hand_written(&page),
        });
    }
    files.push(Generated {
        path: PathBuf::from(OPENRPC),
        text: chatd_api::schema::openrpc_text(),
    });
    Ok(files)
}

/// The local API's OpenRPC document, the contract for script authors.
pub const OPENRPC: &str = "docs/api/openrpc.json";

/// The directories whose contents [`generate`] owns entirely.
pub const OUTPUT_DIRS: [&str; 2] = ["man", "completions"];

/// Writes every generated file under `root`, removing files in the output
/// directories that are no longer generated (a program that was renamed
/// must not leave its old page behind).
pub fn write_all(root: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let files = generate()?;
    for dir in OUTPUT_DIRS {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let relative = path.strip_prefix(root).unwrap_or(&path);
            if path.is_file() && !files.iter().any(|f| f.path == relative) {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove stale {}", path.display()))?;
            }
        }
    }
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        std::fs::write(&path, &file.text)
            .with_context(|| format!("cannot write {}", path.display()))?;
        written.push(file.path);
    }
    Ok(written)
}

/// The repository root (this crate lives in `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}
