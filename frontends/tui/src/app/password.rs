//! The password rules a frontend can check while the person types: only the
//! lengths (PROTOCOL.md §0, D2). The rest (common passwords, the username
//! inside it) needs chat-proto's list, which frontends do not link; chatd
//! checks those and its `invalid_input` message is shown as it is.

/// At least this many characters.
pub const MIN_CHARS: usize = 15;
/// At most this many bytes of UTF-8 (bcrypt reads 72 with its terminator).
pub const MAX_BYTES: usize = 71;

/// One rule and whether the typed password meets it, for the live list
/// under the sign-up form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Met.
    pub ok: bool,
    /// What the rule asks, with the count so far when it helps.
    pub text: String,
}

/// The sign-up checks for `password` and its repetition, in the order a
/// person fixes them.
pub fn checks(password: &str, repeated: &str) -> Vec<Check> {
    let chars = password.chars().count();
    let bytes = password.len();
    vec![
        Check {
            ok: chars >= MIN_CHARS,
            text: format!("at least {MIN_CHARS} characters ({chars} so far)"),
        },
        Check {
            ok: bytes <= MAX_BYTES,
            text: format!("at most {MAX_BYTES} bytes ({bytes} now)"),
        },
        Check {
            ok: !password.is_empty() && password == repeated,
            text: "both passwords the same".to_string(),
        },
    ]
}

/// The first rule the passwords break, as a sentence saying what to do.
pub fn problem(password: &str, repeated: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Some(format!(
            "the password is {chars} characters long; use at least {MIN_CHARS} (a few \
             unrelated words make a good one)"
        ));
    }
    if password.len() > MAX_BYTES {
        return Some(format!(
            "the password is {} bytes long; at most {MAX_BYTES} are allowed, so shorten it",
            password.len()
        ));
    }
    if password != repeated {
        return Some("the two passwords differ; type the same one twice".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_counted_in_chars_and_bytes() {
        assert!(problem("short", "short").unwrap().contains("5 characters"));
        let ok = "correct horse battery";
        assert_eq!(problem(ok, ok), None);
        assert!(problem(ok, "correct horse").unwrap().contains("differ"));
        // 15 characters, but 45 bytes: fine. 24 three-byte chars: too long.
        let fifteen = "é".repeat(15);
        assert_eq!(problem(&fifteen, &fifteen), None);
        let long = "語".repeat(24);
        assert!(problem(&long, &long).unwrap().contains("72 bytes"));
        let all_ok = checks(ok, ok).iter().all(|c| c.ok);
        assert!(all_ok);
        assert!(!checks("", "")[2].ok);
    }
}
