//! The checked-in man pages and completions are what the code generates
//! now, so the documentation cannot drift from the flags; and the pages
//! pass `mandoc -Tlint` without a word.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn listed(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in xtask::OUTPUT_DIRS {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries {
            let path = e.unwrap().path();
            files.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
    files.sort();
    files
}

#[test]
fn checked_in_docs_match_the_code() {
    let root = xtask::repo_root();
    let generated = xtask::generate().unwrap();
    let mut stale = Vec::new();
    for file in &generated {
        let on_disk = std::fs::read_to_string(root.join(&file.path)).unwrap_or_default();
        if on_disk != file.text {
            stale.push(file.path.display().to_string());
        }
    }
    let mut expected: Vec<PathBuf> = generated.iter().map(|f| f.path.clone()).collect();
    expected.sort();
    let extra: Vec<_> = listed(&root)
        .into_iter()
        .filter(|p| !expected.contains(p))
        .collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "out of date: {stale:?}, no longer generated: {extra:?}; run `cargo run -p xtask -- gen` \
         and commit man/, completions/ and docs/api/"
    );
}

#[test]
fn gen_writes_the_same_files_into_another_directory() {
    let dir = tempfile::tempdir().unwrap();
    // A stale file from an earlier generation is removed.
    std::fs::create_dir_all(dir.path().join("man")).unwrap();
    std::fs::write(dir.path().join("man/old.1"), "stale").unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["gen", "--out"])
        .arg(dir.path())
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(listed(dir.path()), listed(&xtask::repo_root()));
    assert!(!dir.path().join("man/old.1").exists());
}

#[test]
fn every_man_page_is_lint_clean() {
    let root = xtask::repo_root();
    let pages: Vec<PathBuf> = listed(&root)
        .into_iter()
        .filter(|p| p.starts_with("man"))
        .map(|p| root.join(p))
        .collect();
    assert!(pages.len() >= 5, "expected the man pages, found {pages:?}");
    let out = Command::new("mandoc")
        .arg("-Tlint")
        .args(&pages)
        .output()
        .expect("mandoc is not installed; `apt-get install mandoc` (.ci/packages.d/desktop.txt)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && report.is_empty(),
        "mandoc -Tlint:\n{report}"
    );
}

#[test]
fn bash_completions_parse() {
    let root = xtask::repo_root();
    for file in listed(&root) {
        if file.extension().is_some_and(|e| e == "bash") {
            let out = Command::new("bash")
                .arg("-n")
                .arg(root.join(&file))
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}: {}",
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}
