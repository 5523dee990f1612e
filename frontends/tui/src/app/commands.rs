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
    /// `/typing on|off`: send typing indicators or not (chatd's setting).
    Typing(bool),
    /// `/msg #NAME`: open a group's conversation by its name.
    OpenGroup(String),
    /// `/group create NAME [USER...]`: a new group, with us as its admin.
    GroupCreate {
        /// Its name.
        name: String,
        /// The others in it.
        members: Vec<String>,
    },
    /// `/add USER...`: into the open group (admins).
    Add(Vec<String>),
    /// `/remove USER...`: from the open group (admins).
    Remove(Vec<String>),
    /// `/leave`: leave the open group.
    Leave,
    /// `/admin USER [off]`: make a member of the open group an admin, or
    /// no longer one.
    Admin {
        /// The member.
        user: String,
        /// Admin (true) or no longer (false).
        admin: bool,
    },
    /// `/info`: the open group's members and admins.
    Info,
    /// `/send-file PATH` or `/send-file "PATH" CAPTION`: a file into the
    /// open conversation, with text under it when the path is quoted.
    SendFile {
        /// The file as typed.
        path: String,
        /// The text sent with it.
        caption: Option<String>,
    },
    /// `/download [N]`: the newest file of the open conversation, or the
    /// Nth newest.
    Download(usize),
    /// `/cancel`: the open conversation's newest transfer.
    Cancel,
    /// `/help`.
    Help,
    /// `/quit`.
    Quit,
}

/// Every command with its arguments and what it does, for the help
/// overlay.
pub const HELP: &[(&str, &str)] = &[
    ("/msg NAME", "open a conversation with NAME"),
    ("/msg #GROUP", "open a group's conversation by its name"),
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
        "/group create NAME USER...",
        "make a group with USERs; you are its admin",
    ),
    ("/add USER...", "add people to the open group (admins)"),
    (
        "/remove USER...",
        "remove people from the open group (admins)",
    ),
    (
        "/admin USER [off]",
        "make USER an admin of the open group (or not)",
    ),
    ("/leave", "leave the open group (its history stays)"),
    ("/info", "the open group's members, admins and keys"),
    (
        "/send-file PATH",
        "send a file (~/ and paths from where chat-tui started); \"PATH\" TEXT adds a caption",
    ),
    (
        "/download [N]",
        "save the newest file here (N: the Nth newest) to Downloads",
    ),
    ("/cancel", "stop this conversation's newest transfer"),
    (
        "/receipts on|off",
        "send read receipts or not (every frontend)",
    ),
    (
        "/typing on|off",
        "tell people you are typing or not (every frontend)",
    ),
    ("/quit", "leave (chatd keeps running)"),
];

/// The command names Tab completes.
pub const NAMES: &[&str] = &[
    "/add",
    "/admin",
    "/cancel",
    "/close",
    "/download",
    "/fingerprint",
    "/group",
    "/help",
    "/info",
    "/leave",
    "/me",
    "/msg",
    "/quit",
    "/receipts",
    "/remove",
    "/search",
    "/send-file",
    "/trust",
    "/typing",
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
    let users = |usage: &str| -> Result<Vec<String>, String> {
        let names: Vec<&str> = rest.split_whitespace().collect();
        if names.is_empty() {
            return Err(format!("usage: {usage}"));
        }
        names.into_iter().map(checked).collect()
    };
    match name {
        "/msg" | "/open" | "/query" => {
            let word = one_word("/msg NAME or /msg #GROUP")?;
            match word.strip_prefix('#') {
                Some("") => Err("usage: /msg #GROUP, with the group's name".into()),
                Some(group) => Ok(Command::OpenGroup(group.to_string())),
                None => username(&word),
            }
        }
        "/group" => group(rest),
        "/add" | "/invite" => users("/add USER...").map(Command::Add),
        "/remove" | "/kick" => users("/remove USER...").map(Command::Remove),
        "/leave" if rest.is_empty() => Ok(Command::Leave),
        "/leave" => Err("usage: /leave (it leaves the open group)".into()),
        "/info" if rest.is_empty() => Ok(Command::Info),
        "/info" => Err("usage: /info (about the open group)".into()),
        "/admin" => match rest.split_whitespace().collect::<Vec<_>>()[..] {
            [user] => Ok(Command::Admin {
                user: checked(user)?,
                admin: true,
            }),
            [user, "off"] => Ok(Command::Admin {
                user: checked(user)?,
                admin: false,
            }),
            _ => Err("usage: /admin USER, or /admin USER off".into()),
        },
        "/typing" => match rest {
            "on" => Ok(Command::Typing(true)),
            "off" => Ok(Command::Typing(false)),
            _ => Err("usage: /typing on|off".to_string()),
        },
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
        "/send-file" | "/file" | "/upload" if rest.is_empty() => Err(
            "usage: /send-file PATH (from where chat-tui started, or ~/...), \
                 or /send-file \"PATH\" CAPTION"
                .into(),
        ),
        "/send-file" | "/file" | "/upload" => send_file(rest),
        "/download" | "/save" if rest.is_empty() => Ok(Command::Download(1)),
        "/download" | "/save" => match rest.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Command::Download(n)),
            _ => Err("usage: /download [N], N from 1 (the newest file) up".into()),
        },
        "/cancel" if rest.is_empty() => Ok(Command::Cancel),
        "/cancel" => Err("usage: /cancel (it stops this conversation's newest transfer)".into()),
        "/help" | "/?" => Ok(Command::Help),
        "/quit" | "/q" | "/exit" => Ok(Command::Quit),
        other => Err(format!(
            "no command {other}; /help lists them (start a message with // to send a /)"
        )),
    }
}

/// `/group create NAME [USER...]`.
fn group(rest: &str) -> Result<Command, String> {
    const USAGE: &str = "usage: /group create NAME USER... (then /add, /remove, /leave, /info \
                         in the group)";
    let words: Vec<&str> = rest.split_whitespace().collect();
    match words[..] {
        ["create", name, ref users @ ..] => {
            let name = name.strip_prefix('#').unwrap_or(name);
            if name.is_empty() {
                return Err(USAGE.into());
            }
            let members = users
                .iter()
                .map(|u| checked(u))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Command::GroupCreate {
                name: name.to_string(),
                members,
            })
        }
        _ => Err(USAGE.into()),
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

/// `/send-file`'s argument: a path as typed, or a path in quotes (" or ')
/// followed by the caption. A path may hold spaces, so only quotes can
/// tell where it ends.
fn send_file(rest: &str) -> Result<Command, String> {
    let Some(quote) = rest.chars().next().filter(|c| matches!(c, '"' | '\'')) else {
        return Ok(Command::SendFile {
            path: rest.to_string(),
            caption: None,
        });
    };
    let inner = &rest[quote.len_utf8()..];
    let Some(end) = inner.find(quote) else {
        return Err(format!(
            "the path's closing {quote} is missing: /send-file {quote}PATH{quote} CAPTION"
        ));
    };
    let path = &inner[..end];
    if path.trim().is_empty() {
        return Err("usage: /send-file \"PATH\" CAPTION (the quotes hold the path)".into());
    }
    let caption = inner[end + quote.len_utf8()..].trim();
    Ok(Command::SendFile {
        path: path.to_string(),
        caption: (!caption.is_empty()).then(|| caption.to_string()),
    })
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
        assert_eq!(parse("/msg #team"), Ok(Command::OpenGroup("team".into())));
        assert_eq!(
            parse("/group create team bob carol"),
            Ok(Command::GroupCreate {
                name: "team".into(),
                members: vec!["bob".into(), "carol".into()]
            })
        );
        assert!(parse("/group").unwrap_err().contains("/group create NAME"));
        assert!(
            parse("/group create team b@d")
                .unwrap_err()
                .contains("not a username")
        );
        assert_eq!(
            parse("/add dave erin"),
            Ok(Command::Add(vec!["dave".into(), "erin".into()]))
        );
        assert!(parse("/remove").unwrap_err().contains("/remove USER"));
        assert_eq!(
            parse("/admin bob off"),
            Ok(Command::Admin {
                user: "bob".into(),
                admin: false
            })
        );
        assert_eq!(parse("/leave"), Ok(Command::Leave));
        assert_eq!(parse("/info"), Ok(Command::Info));
        assert_eq!(parse("/typing off"), Ok(Command::Typing(false)));
        assert_eq!(
            parse("/send-file ~/my photos/a.jpg"),
            Ok(Command::SendFile {
                path: "~/my photos/a.jpg".into(),
                caption: None
            })
        );
        assert_eq!(
            parse("/send-file \"~/my photos/a.jpg\"   the view  "),
            Ok(Command::SendFile {
                path: "~/my photos/a.jpg".into(),
                caption: Some("the view".into())
            })
        );
        assert_eq!(
            parse("/send-file 'it\"s.txt'"),
            Ok(Command::SendFile {
                path: "it\"s.txt".into(),
                caption: None
            })
        );
        assert!(
            parse("/send-file \"a.jpg the view")
                .unwrap_err()
                .contains("closing")
        );
        assert!(parse("/send-file \"\" text").unwrap_err().contains("PATH"));
        assert!(parse("/send-file").unwrap_err().contains("PATH"));
        assert_eq!(parse("/download"), Ok(Command::Download(1)));
        assert_eq!(parse("/download 3"), Ok(Command::Download(3)));
        assert!(parse("/download 0").unwrap_err().contains("from 1"));
        assert_eq!(parse("/cancel"), Ok(Command::Cancel));
    }
}
