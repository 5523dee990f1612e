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

/// How many times a new password may be typed twice before giving up.
const NEW_PASSWORD_TRIES: usize = 3;

/// A new password, typed twice; when the two differ, just the pair is
/// asked for again (not the name, nor a current password before it).
pub(crate) fn new_password(prompt: &str) -> anyhow::Result<String> {
    new_password_with(prompt, password, |note| eprintln!("{note}"))
}

/// [`new_password`] with the asking and the telling passed in, for tests.
fn new_password_with(
    prompt: &str,
    mut ask: impl FnMut(&str) -> anyhow::Result<String>,
    mut tell: impl FnMut(&str),
) -> anyhow::Result<String> {
    for attempt in 1..=NEW_PASSWORD_TRIES {
        let first = ask(prompt)?;
        let again = ask("Again: ")?;
        if first == again {
            return Ok(first);
        }
        if attempt < NEW_PASSWORD_TRIES {
            tell("The two passwords differ; type the new password twice again.");
        }
    }
    anyhow::bail!(
        "the two passwords differed {NEW_PASSWORD_TRIES} times; nothing was changed, try again"
    )
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

/// Refuses, before anything else happens, a missing account name that
/// cannot be asked for (no terminal on stdin).
pub(crate) fn username_available(given: Option<&str>, command: &str) -> Result<(), UsageError> {
    if given.is_none() && !std::io::stdin().is_terminal() {
        return Err(UsageError(format!("name the account: chat {command} USER")));
    }
    Ok(())
}

/// The account name: as given, or asked for on a terminal.
pub(crate) fn username(given: Option<&str>, command: &str) -> anyhow::Result<String> {
    if let Some(name) = given {
        return Ok(name.to_string());
    }
    username_available(given, command)?;
    let stdin = std::io::stdin();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers from a script, recording the prompts.
    fn scripted(answers: &[&str]) -> (Vec<String>, anyhow::Result<String>, Vec<String>) {
        let mut answers = answers.iter();
        let mut prompts = Vec::new();
        let mut notes = Vec::new();
        let result = new_password_with(
            "New password for alice: ",
            |p| {
                prompts.push(p.to_string());
                answers
                    .next()
                    .map(|a| a.to_string())
                    .ok_or_else(|| anyhow::anyhow!("asked once too often"))
            },
            |n| notes.push(n.to_string()),
        );
        (prompts, result, notes)
    }

    #[test]
    fn a_mismatched_pair_asks_for_the_pair_again() {
        let (prompts, result, notes) = scripted(&["first try", "frist try", "second", "second"]);
        assert_eq!(result.expect("the second pair matches"), "second");
        assert_eq!(
            prompts,
            [
                "New password for alice: ",
                "Again: ",
                "New password for alice: ",
                "Again: "
            ]
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("differ"));
    }

    #[test]
    fn three_mismatches_give_up_saying_nothing_changed() {
        let (prompts, result, _) = scripted(&["a", "b", "c", "d", "e", "f"]);
        let err = result.expect_err("never matched").to_string();
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(prompts.len(), 6);
    }
}
