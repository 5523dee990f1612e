//! Username and password rules of PROTOCOL.md §0. Both the server (the
//! authority) and clients (for early, friendly errors) call these, so a
//! frontend can say what is wrong before anything is sent.

/// Longest username, in characters.
pub const USERNAME_MAX: usize = 32;
/// Shortest password, in characters (Unicode scalar values).
pub const PASSWORD_MIN_CHARS: usize = 15;
/// Longest password, in UTF-8 bytes (bcrypt reads 72 with its terminator).
pub const PASSWORD_MAX_BYTES: usize = 71;

const COMMON: &str = include_str!("common_passwords.txt");

/// Why a username is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    /// Empty.
    #[error("username is empty")]
    Empty,
    /// Longer than 32 characters.
    #[error("username is longer than {USERNAME_MAX} characters")]
    TooLong,
    /// A character outside `[A-Za-z0-9_.-]`.
    #[error("username may contain only letters A-Z and a-z, digits, `_`, `.` and `-`")]
    BadCharacter,
}

/// Why a password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Fewer than 15 characters.
    #[error(
        "password has {0} characters; use at least {PASSWORD_MIN_CHARS} (a few unrelated words make a good one)"
    )]
    TooShort(usize),
    /// More than 71 bytes of UTF-8.
    #[error("password is {0} bytes long; at most {PASSWORD_MAX_BYTES} bytes of UTF-8 are allowed")]
    TooLong(usize),
    /// Contains a NUL character, which bcrypt implementations disagree on.
    #[error("password must not contain a NUL character")]
    Nul,
    /// On the list of common passwords, or one character repeated.
    #[error("password is too common or too easy to guess; choose another")]
    Common,
    /// Contains the username.
    #[error("password must not contain the username")]
    ContainsUsername,
}

/// Checks a username against `[A-Za-z0-9_.-]{1,32}`.
pub fn validate_username(name: &str) -> Result<(), UsernameError> {
    if name.is_empty() {
        return Err(UsernameError::Empty);
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(UsernameError::BadCharacter);
    }
    if name.len() > USERNAME_MAX {
        return Err(UsernameError::TooLong);
    }
    Ok(())
}

/// Checks a password for `username` against the rules: length in characters
/// and bytes, no NUL, not common, not built around the username.
pub fn validate_password(password: &str, username: &str) -> Result<(), PasswordError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(PasswordError::TooShort(chars));
    }
    if password.len() > PASSWORD_MAX_BYTES {
        return Err(PasswordError::TooLong(password.len()));
    }
    if password.contains('\0') {
        return Err(PasswordError::Nul);
    }
    let folded = fold(password);
    if is_common(&folded) || is_repetitive(&folded) {
        return Err(PasswordError::Common);
    }
    if username.len() >= 4 && folded.contains(&fold(username)) {
        return Err(PasswordError::ContainsUsername);
    }
    Ok(())
}

fn fold(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_common(folded: &str) -> bool {
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l == folded)
}

/// One short unit repeated (`abcabcabc…`, `aaaa…`): as weak as the unit.
fn is_repetitive(folded: &str) -> bool {
    let chars: Vec<char> = folded.chars().collect();
    (1..=4).any(|unit| {
        chars.len() > unit * 2 && chars.iter().enumerate().all(|(i, c)| *c == chars[i % unit])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(validate_username("alice").is_ok());
        assert!(validate_username("A.b-c_9").is_ok());
        assert!(validate_username(&"x".repeat(32)).is_ok());
        assert_eq!(
            validate_username(&"x".repeat(33)),
            Err(UsernameError::TooLong)
        );
        assert_eq!(validate_username(""), Err(UsernameError::Empty));
        assert_eq!(
            validate_username("al ice"),
            Err(UsernameError::BadCharacter)
        );
        assert_eq!(validate_username("ålice"), Err(UsernameError::BadCharacter));
        assert_eq!(validate_username("a/b"), Err(UsernameError::BadCharacter));
    }

    #[test]
    fn password_length_counts_characters_and_bytes() {
        assert_eq!(
            validate_password("fourteen chars", "bob"),
            Err(PasswordError::TooShort(14))
        );
        assert!(validate_password("fifteen chars!!", "bob").is_ok());
        // 15 characters of 2 bytes each: long enough, 30 bytes.
        assert!(validate_password("éèêëàâäôöûüçïîœ", "bob").is_ok());
        let ok71 = format!("{}{}", "word ".repeat(14), "x");
        assert_eq!(ok71.len(), 71);
        assert!(validate_password(&ok71, "bob").is_ok());
        let long = format!("{ok71}y");
        assert_eq!(
            validate_password(&long, "bob"),
            Err(PasswordError::TooLong(72))
        );
        // 24 three-byte characters: few characters, too many bytes.
        assert_eq!(
            validate_password(&"€".repeat(24), "bob"),
            Err(PasswordError::TooLong(72))
        );
    }

    #[test]
    fn common_and_weak_passwords_are_refused() {
        assert_eq!(
            validate_password("passwordpassword", "bob"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            validate_password("Correct Horse Battery Staple", "bob"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            validate_password("aaaaaaaaaaaaaaaaaaaa", "bob"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            validate_password("abcabcabcabcabcabc", "bob"),
            Err(PasswordError::Common)
        );
        assert_eq!(
            validate_password("nul\0 in the middle", "bob"),
            Err(PasswordError::Nul)
        );
        assert_eq!(
            validate_password("my name is alice, hi!", "alice"),
            Err(PasswordError::ContainsUsername)
        );
        assert!(validate_password("correct horse battery", "alice").is_ok());
    }
}
