//! The `/` commands of the input line, parsed into a closed enum with
//! error messages that show the right form.

/// A parsed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/msg NAME`: open a conversation.
    Msg(String),
    /// `/fingerprint [NAME]`: show fingerprints to compare.
    Fingerprint(Option<String>),
    /// `/verify FINGERPRINT`: the open peer's fingerprint matched.
    Verify(String),
    /// `/trust`: accept the open peer's changed key.
    Trust,
    /// `/search WORDS`.
    Search(String),
    /// `/me TEXT`: an action, sent as `/me TEXT` and shown as `* name TEXT`.
    Me(String),
    /// `/close`: close the open conversation.
    Close,
    /// `/receipts on|off`: send read receipts or not (chatd's setting).
    Receipts(bool),
    /// `/help`.
    Help,
    /// `/quit`.
    Quit,
}

/// Every command with its arguments and what it does, for the help
/// overlay.
pub const HELP: &[(&str, &str)] = &[
    ("/msg NAME", "open a conversation with NAME"),
    (
        "/fingerprint [NAME]",
        "show fingerprints to compare in person",
    ),
    (
        "/verify FINGERPRINT",
        "the peer's fingerprint matched: verified",
    ),
    ("/trust", "accept the peer's changed key"),
    ("/search WORDS", "search every conversation"),
    ("/me TEXT", "send an action: * you TEXT"),
    ("/close", "close the open conversation"),
    (
        "/receipts on|off",
        "send read receipts or not (every frontend)",
    ),
    ("/quit", "leave (chatd keeps running)"),
];

/// The command names Tab completes.
pub const NAMES: &[&str] = &[
    "/close",
    "/fingerprint",
    "/help",
    "/me",
    "/msg",
    "/quit",
    "/receipts",
    "/search",
    "/trust",
    "/verify",
];

/// Parses a line starting with `/`.
pub fn parse(line: &str) -> Result<Command, String> {
    let line = line.trim();
    let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    let rest = rest.trim();
    let one_word = |usage: &str| -> Result<String, String> {
        match rest.split_whitespace().collect::<Vec<_>>()[..] {
            [word] => Ok(word.to_string()),
            _ => Err(format!("usage: {usage}")),
        }
    };
    match name {
        "/msg" | "/open" | "/query" => one_word("/msg NAME").and_then(|n| username(&n)),
        "/fingerprint" | "/fp" | "/keys" => {
            if rest.is_empty() {
                Ok(Command::Fingerprint(None))
            } else {
                let name = one_word("/fingerprint [NAME]")?;
                Ok(Command::Fingerprint(Some(checked(&name)?)))
            }
        }
        "/verify" if rest.is_empty() => Err(
            "usage: /verify FINGERPRINT, with the fingerprint the peer read to you \
             (/fingerprint shows theirs)"
                .to_string(),
        ),
        "/verify" => Ok(Command::Verify(rest.to_string())),
        "/trust" if rest.is_empty() => Ok(Command::Trust),
        "/trust" => Err("usage: /trust (it accepts the open conversation's peer's key)".into()),
        "/search" | "/find" if rest.is_empty() => Err("usage: /search WORDS".to_string()),
        "/search" | "/find" => Ok(Command::Search(rest.to_string())),
        "/me" if rest.is_empty() => Err("usage: /me TEXT".to_string()),
        "/me" => Ok(Command::Me(rest.to_string())),
        "/close" | "/part" if rest.is_empty() => Ok(Command::Close),
        "/close" | "/part" => Err("usage: /close (it closes the open conversation)".into()),
        "/receipts" => match rest {
            "on" => Ok(Command::Receipts(true)),
            "off" => Ok(Command::Receipts(false)),
            _ => Err("usage: /receipts on|off".to_string()),
        },
        "/help" | "/?" => Ok(Command::Help),
        "/quit" | "/q" | "/exit" => Ok(Command::Quit),
        other => Err(format!(
            "no command {other}; /help lists them (start a message with // to send a /)"
        )),
    }
}

fn username(name: &str) -> Result<Command, String> {
    checked(name).map(Command::Msg)
}

/// Checks username syntax (PROTOCOL.md §0): 1 to 32 of `[A-Za-z0-9_.-]`.
pub fn checked(name: &str) -> Result<String, String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if name.is_empty() || name.len() > 32 || !name.chars().all(ok_char) {
        return Err(format!(
            "{name:?} is not a username: 1 to 32 letters, digits, '_', '.' or '-'"
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_helpful_errors() {
        assert_eq!(parse("/msg bob"), Ok(Command::Msg("bob".into())));
        assert!(parse("/msg").unwrap_err().contains("/msg NAME"));
        assert!(parse("/msg b@d").unwrap_err().contains("not a username"));
        assert_eq!(parse("/fingerprint"), Ok(Command::Fingerprint(None)));
        assert_eq!(
            parse("/fp carol"),
            Ok(Command::Fingerprint(Some("carol".into())))
        );
        assert_eq!(
            parse("/verify 1a2b 3c4d"),
            Ok(Command::Verify("1a2b 3c4d".into()))
        );
        assert!(parse("/verify").is_err());
        assert_eq!(parse("/trust"), Ok(Command::Trust));
        assert_eq!(
            parse("/search  lunch  plans "),
            Ok(Command::Search("lunch  plans".into()))
        );
        assert_eq!(parse("/quit"), Ok(Command::Quit));
        assert_eq!(parse("/receipts off"), Ok(Command::Receipts(false)));
        assert!(parse("/receipts").unwrap_err().contains("on|off"));
        assert!(parse("/frobnicate").unwrap_err().contains("/help"));
    }
}
