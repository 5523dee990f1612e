//! Architecture invariant, kept by a test: chatd's socket layer (`ipc/`)
//! and D-Bus layer (`dbus/`) only translate between their wire and
//! `core::api`. They never name the store, the event hub or the server link,
//! so no logic can creep into them and both stay twins of one API.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

/// The layers that must only translate.
const LAYERS: [&str; 2] = ["chatd/src/ipc", "chatd/src/dbus"];

/// What they must not name: the module path and the `Core` field of the
/// store, the hub and the link.
const FORBIDDEN: [&str; 6] = [
    "crate::store",
    ".db",
    "crate::hub",
    ".hub",
    "crate::link",
    ".link",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` names `word` as a whole path or field (so `.dbus` or
/// `crate::linker` do not count).
fn names(line: &str, word: &str) -> bool {
    line.match_indices(word).any(|(i, _)| {
        !line[i + word.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Every `(file:line, word)` in `text` that breaks the rule.
fn offences(file: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for word in FORBIDDEN {
            if names(code, word) {
                found.push(format!("{file}:{}: names `{word}`: {}", n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn ipc_and_dbus_never_touch_the_store_hub_or_link() {
    let root = xtask::repo_root();
    let mut files = Vec::new();
    for layer in LAYERS {
        rust_files(&root.join(layer), &mut files);
    }
    assert!(
        files.len() >= 5,
        "expected chatd's ipc and dbus files, found {files:?}"
    );
    let mut found = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let file = path.strip_prefix(&root).unwrap().display().to_string();
        found.extend(offences(&file, &text));
    }
    assert!(
        found.is_empty(),
        "chatd's ipc/ and dbus/ only translate; go through `core::api` (add a function \
         there if one is missing) instead of:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_rule_sees_fields_and_paths_but_not_longer_names() {
    assert_eq!(
        offences("x.rs", "let s = core.hub.subscribe(None, None);").len(),
        1
    );
    assert_eq!(offences("x.rs", "use crate::store::StoreError;").len(), 1);
    assert_eq!(offences("x.rs", "let w = core.link.watch();").len(), 1);
    assert_eq!(offences("x.rs", "self.core.db.call(f)").len(), 1);
    assert!(offences("x.rs", "mod dbus; let c = x.linked; crate::linker").is_empty());
    assert!(offences("x.rs", "// core.hub is not for us").is_empty());
}
