//! Asking for names and passwords: passwords without echo on the terminal
//! (rpassword reads /dev/tty), or from stdin for scripts, never from the
//! command line where `ps` and shell history would keep them.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;

use crate::report::UsageError;

/// Prompts on the terminal without echo.
pub(crate) fn password(prompt: &str) -> anyhow::Result<String> {
    rpassword::prompt_password(prompt).map_err(|e| {
        anyhow::Error::new(UsageError(format!(
            "cannot ask for a password without a terminal ({e}); pipe it in with \
             --password-stdin"
        )))
    })
}

/// A new password, typed twice.
pub(crate) fn new_password(prompt: &str) -> anyhow::Result<String> {
    let first = password(prompt)?;
    let again = password("Again: ")?;
    if first != again {
        anyhow::bail!("the two passwords differ; nothing was changed, try again");
    }
    Ok(first)
}

/// The first `n` lines of stdin, without their line endings.
pub(crate) fn stdin_lines(n: usize, what: &str) -> anyhow::Result<Vec<String>> {
    let mut lines = Vec::with_capacity(n);
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    for _ in 0..n {
        let mut line = String::new();
        let read = input.read_line(&mut line).context("cannot read stdin")?;
        if read == 0 {
            return Err(UsageError(format!("stdin ended early: expected {what}")).into());
        }
        let trimmed = line.trim_end_matches(['\n', '\r']);
        lines.push(trimmed.to_string());
    }
    Ok(lines)
}

/// The account name: as given, or asked for on a terminal.
pub(crate) fn username(given: Option<&str>, command: &str) -> anyhow::Result<String> {
    if let Some(name) = given {
        return Ok(name.to_string());
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(UsageError(format!("name the account: chat {command} USER")).into());
    }
    let mut stderr = std::io::stderr();
    write!(stderr, "Username: ")?;
    stderr.flush()?;
    let mut name = String::new();
    stdin.lock().read_line(&mut name)?;
    let name = name.trim();
    if name.is_empty() {
        return Err(UsageError(format!("name the account: chat {command} USER")).into());
    }
    Ok(name.to_string())
}
