//! The log-in and sign-up forms' text. Passwords are secrets the window
//! holds only while a person types them: a form never prints them
//! (`Debug`), never copies itself (no `Clone`), and wipes the bytes when
//! it is cleared or dropped (zeroize), so a password cannot survive into
//! another screen or linger in freed memory. The buffers are reserved up
//! front so typing a password of a legal length never reallocates (which
//! would leave an unwiped copy behind).

use zeroize::Zeroize;

use crate::model::MAX_PASSWORD_BYTES;

/// A password buffer with room for the longest legal password.
fn password_buffer() -> String {
    String::with_capacity(MAX_PASSWORD_BYTES + 1)
}

/// The log-in form.
pub struct LoginForm {
    /// Typed username.
    pub username: String,
    /// Typed password.
    pub password: String,
    /// The account chatd holds was filled in once (and may be cleared).
    pub prefilled: bool,
}

impl Default for LoginForm {
    fn default() -> Self {
        Self {
            username: String::new(),
            password: password_buffer(),
            prefilled: false,
        }
    }
}

impl LoginForm {
    /// Wipes everything typed.
    pub fn clear(&mut self) {
        // Dropping the old form wipes its password.
        *self = Self::default();
    }
}

impl Drop for LoginForm {
    fn drop(&mut self) {
        self.password.zeroize();
    }
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("username", &self.username)
            .field("password", &format_args!("<{} bytes>", self.password.len()))
            .finish_non_exhaustive()
    }
}

/// The sign-up form.
pub struct SignupForm {
    /// Typed username.
    pub username: String,
    /// Typed password.
    pub password: String,
    /// Typed confirmation.
    pub confirmation: String,
    /// The person pressed "Create account" at least once (show every
    /// reason from then on, not only for fields already typed in).
    pub submitted: bool,
}

impl Default for SignupForm {
    fn default() -> Self {
        Self {
            username: String::new(),
            password: password_buffer(),
            confirmation: password_buffer(),
            submitted: false,
        }
    }
}

impl SignupForm {
    /// Wipes everything typed.
    pub fn clear(&mut self) {
        // Dropping the old form wipes its passwords.
        *self = Self::default();
    }
}

impl Drop for SignupForm {
    fn drop(&mut self) {
        self.password.zeroize();
        self.confirmation.zeroize();
    }
}

impl std::fmt::Debug for SignupForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupForm")
            .field("username", &self.username)
            .field("password", &format_args!("<{} bytes>", self.password.len()))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_password() {
        let mut login = LoginForm::default();
        login.username = "alice".into();
        login.password.push_str("hunter2 hunter2 hunter2");
        let mut signup = SignupForm::default();
        signup.password.push_str("hunter2 hunter2 hunter2");
        signup.confirmation.push_str("hunter2 hunter2 hunter3");
        for shown in [format!("{login:?}"), format!("{signup:?}")] {
            assert!(!shown.contains("hunter"), "{shown}");
        }
        assert!(format!("{login:?}").contains("alice"));
    }

    #[test]
    fn clearing_empties_every_field() {
        let mut login = LoginForm::default();
        login.password.push_str("half a passw");
        login.prefilled = true;
        login.clear();
        assert!(login.password.is_empty() && !login.prefilled);
        let mut signup = SignupForm::default();
        signup.username.push_str("erin");
        signup.password.push_str("half");
        signup.confirmation.push_str("half");
        signup.submitted = true;
        signup.clear();
        assert!(signup.username.is_empty() && signup.password.is_empty());
        assert!(signup.confirmation.is_empty() && !signup.submitted);
    }
}
