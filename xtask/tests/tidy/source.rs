//! Reading the source tree for the tidy rules: every `.rs` file of the
//! workspace, Rust code with comments and literals blanked out (so that
//! prose and strings never match a rule, and braces can be counted), and
//! which parts of it are test code: files in `tests/` directories, files
//! named `tests.rs`, test-support, and items under `#[cfg(test)]` (with
//! the files of `#[cfg(test)] mod name;`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `root`, relative to it, skipping build output
/// and hidden directories.
pub fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    dirs.push(path);
                }
            } else if name.ends_with(".rs")
                && let Ok(relative) = path.strip_prefix(root)
            {
                files.push(relative.to_path_buf());
            }
        }
    }
    files.sort();
    files
}

/// `text` with the contents of comments, string, byte-string and char
/// literals replaced by spaces (newlines kept, so line numbers stay true).
pub fn blank_non_code(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if let Some(hashes) = raw_string_start(&chars, i) {
            // r"..", r#".."#, br#".."#: up to the quote and as many hashes.
            let open = chars[i..].iter().position(|&c| c == '"').unwrap_or(0) + 1;
            for _ in 0..open {
                out.push(' ');
            }
            i += open;
            while i < chars.len() {
                if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&c| c == '#') {
                    out.extend(std::iter::repeat_n(' ', hashes + 1));
                    i += hashes + 1;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                for k in 0..skip {
                    if let Some(&c) = chars.get(i + k) {
                        out.push(blank(c));
                    }
                }
                i += skip;
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' && is_char_literal(&chars, i) {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                let skip = if chars[i] == '\\' { 2 } else { 1 };
                out.extend(std::iter::repeat_n(' ', skip));
                i += skip;
            }
            out.push(' ');
            i += 1;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// The number of `#` of a raw (byte) string literal starting at `i`.
fn raw_string_start(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && is_ident(chars[i - 1]) {
        return None;
    }
    let mut j = i;
    if chars.get(j) == Some(&'b') {
        j += 1;
    }
    if chars.get(j) != Some(&'r') {
        return None;
    }
    j += 1;
    let hashes = chars[j..].iter().take_while(|&&c| c == '#').count();
    (chars.get(j + hashes) == Some(&'"')).then_some(hashes)
}

/// A char literal (`'a'`, `'\n'`, `'\u{1F6E1}'`) rather than a lifetime.
fn is_char_literal(chars: &[char], i: usize) -> bool {
    match chars.get(i + 1) {
        Some('\\') => true,
        Some(_) => chars.get(i + 2) == Some(&'\''),
        None => false,
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Which lines (1-based) of a blanked file are test code, and the files
/// (relative to the file's module directory) its `#[cfg(test)] mod x;`
/// items live in.
pub struct TestParts {
    /// Lines inside `#[cfg(test)]` items.
    pub lines: BTreeSet<usize>,
    /// Names of out-of-line test modules.
    pub modules: Vec<String>,
    /// The whole file is test code (`#![cfg(test)]`).
    pub whole: bool,
}

/// Finds the `#[cfg(test)]` items of a blanked file.
pub fn test_parts(code: &str) -> TestParts {
    let mut parts = TestParts {
        lines: BTreeSet::new(),
        modules: Vec::new(),
        whole: code.contains("#![cfg(test)]"),
    };
    let line_of = |at: usize| code[..at].matches('\n').count() + 1;
    let mut from = 0;
    while let Some(found) = code[from..].find("#[cfg(") {
        let start = from + found;
        let attr_end = match matching(code, start + 1, '[', ']') {
            Some(end) => end,
            None => break,
        };
        from = attr_end;
        let attr: String = code[start..attr_end].split_whitespace().collect();
        if !(attr == "#[cfg(test)]" || attr.starts_with("#[cfg(all(test,")) {
            continue;
        }
        // The item: up to its `;`, or its `{ .. }` block.
        let rest = &code[attr_end..];
        let end = match (rest.find('{'), rest.find(';')) {
            (Some(brace), semi) if semi.is_none_or(|semi| brace < semi) => {
                matching(code, attr_end + brace, '{', '}').unwrap_or(code.len())
            }
            (_, Some(semi)) => {
                let item: Vec<&str> = rest[..semi].split_whitespace().collect();
                if let ["mod", name] | ["pub", "mod", name] | ["pub(crate)", "mod", name] =
                    item.as_slice()
                {
                    parts.modules.push((*name).to_string());
                }
                attr_end + semi + 1
            }
            _ => code.len(),
        };
        parts
            .lines
            .extend(line_of(start)..=line_of(end.saturating_sub(1)));
        from = end;
    }
    parts
}

/// The index just past the bracket closing the one at `open`.
fn matching(code: &str, open: usize, left: char, right: char) -> Option<usize> {
    let mut depth = 0usize;
    for (k, c) in code[open..].char_indices() {
        if c == left {
            depth += 1;
        } else if c == right {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(open + k + c.len_utf8());
            }
        }
    }
    None
}

/// The file of module `name` declared in `file` (relative paths).
pub fn module_file(root: &Path, file: &Path, name: &str) -> Option<PathBuf> {
    let dir = file.parent()?;
    let stem = file.file_stem()?.to_string_lossy();
    let base = match stem.as_ref() {
        "mod" | "lib" | "main" => dir.to_path_buf(),
        _ => dir.join(stem.as_ref()),
    };
    [
        base.join(format!("{name}.rs")),
        base.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|candidate| root.join(candidate).is_file())
}

/// Whether a file is test code as a whole by where it is.
pub fn is_test_file(file: &Path) -> bool {
    file.components().any(|c| c.as_os_str() == "tests")
        || file.file_name().is_some_and(|n| n == "tests.rs")
        || file.starts_with("crates/test-support")
}

/// Each line (1-based) of blanked code that calls something named `sleep`
/// or `sleep_until` (`std::thread::sleep`, `tokio::time::sleep`, or either
/// imported by name).
pub fn sleep_calls(code: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut from = 0;
        while let Some(found) = line[from..].find("sleep") {
            let at = from + found;
            from = at + "sleep".len();
            let before = line[..at].chars().next_back();
            if before.is_some_and(is_ident) {
                continue;
            }
            let after = line[from..].trim_start();
            if after.starts_with('(') || after.starts_with("_until(") {
                lines.push(n + 1);
                break;
            }
        }
    }
    lines
}
