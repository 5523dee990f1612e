//! The sign-up rules a person can be told about before anything is sent
//! (PROTOCOL.md §0): the username's alphabet and length, the password's
//! length in characters and in bytes, and a matching confirmation. chatd
//! checks everything again, including the common-password list, and its
//! `invalid_input` message is shown for the rest.

/// Longest username, in characters.
const MAX_USERNAME: usize = 32;
/// Shortest password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 15;
/// Longest password, in bytes of UTF-8 (bcrypt's limit).
pub const MAX_PASSWORD_BYTES: usize = 71;

/// Why a username is refused, if it is.
pub fn check_username(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("Choose a username".into());
    }
    if name.chars().count() > MAX_USERNAME {
        return Some(format!("At most {MAX_USERNAME} characters"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Some(format!(
            "{c:?} is not allowed: use letters, digits, '_', '.' and '-'"
        ));
    }
    None
}

/// Why a password is refused, if it is.
pub fn check_password(password: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!(
            "At least {MIN_PASSWORD_CHARS} characters ({chars} so far)"
        ));
    }
    let bytes = password.len();
    if bytes > MAX_PASSWORD_BYTES {
        return Some(format!(
            "At most {MAX_PASSWORD_BYTES} bytes (this one has {bytes})"
        ));
    }
    None
}

/// Why a confirmation is refused, if it is.
pub fn check_confirmation(password: &str, confirmation: &str) -> Option<String> {
    (password != confirmation).then(|| "The passwords do not match".to_string())
}

/// All three checks of a sign-up form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignupChecks {
    /// About the username.
    pub username: Option<String>,
    /// About the password.
    pub password: Option<String>,
    /// About the confirmation.
    pub confirmation: Option<String>,
}

impl SignupChecks {
    /// Checks a form.
    pub fn of(username: &str, password: &str, confirmation: &str) -> Self {
        Self {
            username: check_username(username),
            password: check_password(password),
            confirmation: check_confirmation(password, confirmation),
        }
    }

    /// Nothing to object to.
    pub fn ok(&self) -> bool {
        self.username.is_none() && self.password.is_none() && self.confirmation.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_counts_characters_and_bytes() {
        assert!(check_password("fourteen chars").is_some());
        assert_eq!(check_password("fifteen chars!!"), None);
        // 15 characters, 30 bytes: fine.
        assert_eq!(check_password(&"é".repeat(15)), None);
        // 36 characters, 72 bytes: too many bytes.
        let long = "é".repeat(36);
        let why = check_password(&long).unwrap_or_default();
        assert!(why.contains("71 bytes") && why.contains("72"), "{why}");
        assert_eq!(check_password(&"a".repeat(71)), None);
        assert!(check_password(&"a".repeat(72)).is_some());
    }

    #[test]
    fn usernames_follow_the_protocol_alphabet() {
        assert_eq!(check_username("alice_1.b-c"), None);
        assert!(check_username("").is_some());
        assert!(check_username("al ice").unwrap_or_default().contains("' '"));
        assert!(check_username(&"a".repeat(33)).is_some());
    }

    #[test]
    fn confirmation_must_match() {
        assert!(check_confirmation("a", "b").is_some());
        assert_eq!(check_confirmation("a", "a"), None);
        assert!(!SignupChecks::of("bob", "correct horse battery", "nope").ok());
        assert!(SignupChecks::of("bob", "correct horse battery", "correct horse battery").ok());
    }
}
