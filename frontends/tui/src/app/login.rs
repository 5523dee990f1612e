//! The login and sign-up form: its fields, the keys that move between them,
//! what is checked before anything is sent, and how chatd's refusals are
//! put into words.

use chatd_api::ErrorCode;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::input::TextInput;
use super::password;
use super::request::{Failure, Request, Secret};

/// Logging in to an existing account or creating one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `login`.
    Login,
    /// `signup`: the password is asked twice.
    Signup,
}

/// The field with the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// Account name.
    Username,
    /// Password.
    Password,
    /// The password again (sign-up only).
    Repeat,
}

/// The form's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginForm {
    /// Login or sign-up.
    pub mode: Mode,
    /// Where the cursor is.
    pub field: Field,
    /// Account name.
    pub username: TextInput,
    /// Password (shown masked).
    pub password: TextInput,
    /// Password again (shown masked).
    pub repeat: TextInput,
    /// What went wrong with the last attempt.
    pub error: Option<String>,
    /// A request is on its way; Enter waits for it.
    pub busy: bool,
}

impl Default for LoginForm {
    fn default() -> Self {
        Self {
            mode: Mode::Login,
            field: Field::Username,
            username: TextInput::single_line(),
            password: TextInput::single_line(),
            repeat: TextInput::single_line(),
            error: None,
            busy: false,
        }
    }
}

/// What a key on the form asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum FormAction {
    /// Nothing beyond the form itself.
    None,
    /// Send this to chatd.
    Submit(Request),
}

impl LoginForm {
    /// A form with the account chatd holds data for already filled in.
    pub fn for_account(username: Option<&str>) -> Self {
        let mut form = Self::default();
        if let Some(name) = username {
            form.username.set(name);
            form.field = Field::Password;
        }
        form
    }

    /// The fields in this mode, top to bottom.
    pub fn fields(&self) -> &'static [Field] {
        match self.mode {
            Mode::Login => &[Field::Username, Field::Password],
            Mode::Signup => &[Field::Username, Field::Password, Field::Repeat],
        }
    }

    /// Handles a key.
    pub fn key(&mut self, key: KeyEvent) -> FormAction {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('n') if ctrl => self.toggle_mode(),
            KeyCode::F(2) => self.toggle_mode(),
            KeyCode::Tab | KeyCode::Down => self.step(true),
            KeyCode::BackTab | KeyCode::Up => self.step(false),
            KeyCode::Enter => return self.enter(),
            KeyCode::Esc => self.error = None,
            _ => {
                let field = self.field;
                self.input_mut(field).key(key);
            }
        }
        FormAction::None
    }

    /// Pasted text goes into the field with the cursor.
    pub fn paste(&mut self, text: &str) {
        let field = self.field;
        self.input_mut(field).insert_str(text);
    }

    /// The input behind a field.
    pub fn input(&self, field: Field) -> &TextInput {
        match field {
            Field::Username => &self.username,
            Field::Password => &self.password,
            Field::Repeat => &self.repeat,
        }
    }

    fn input_mut(&mut self, field: Field) -> &mut TextInput {
        match field {
            Field::Username => &mut self.username,
            Field::Password => &mut self.password,
            Field::Repeat => &mut self.repeat,
        }
    }

    fn toggle_mode(&mut self) {
        self.mode = match self.mode {
            Mode::Login => Mode::Signup,
            Mode::Signup => Mode::Login,
        };
        self.repeat.wipe();
        self.error = None;
        if !self.fields().contains(&self.field) {
            self.field = Field::Password;
        }
    }

    fn step(&mut self, forward: bool) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.field).unwrap_or(0);
        let next = if forward {
            (at + 1) % fields.len()
        } else {
            (at + fields.len() - 1) % fields.len()
        };
        self.field = fields[next];
    }

    /// Enter moves to the next field, or submits from the last one.
    fn enter(&mut self) -> FormAction {
        if self.busy {
            return FormAction::None;
        }
        if self.fields().last() != Some(&self.field) {
            self.step(true);
            return FormAction::None;
        }
        self.submit()
    }

    fn submit(&mut self) -> FormAction {
        let username = self.username.text().trim().to_string();
        let problem = if username.is_empty() {
            self.field = Field::Username;
            Some("type your username first".to_string())
        } else if self.password.is_empty() {
            self.field = Field::Password;
            Some("type your password".to_string())
        } else if self.mode == Mode::Signup {
            password::problem(self.password.text(), self.repeat.text())
        } else {
            None
        };
        if let Some(problem) = problem {
            self.error = Some(problem);
            return FormAction::None;
        }
        self.error = None;
        self.busy = true;
        let password = Secret(self.password.text().to_string());
        FormAction::Submit(match self.mode {
            Mode::Login => Request::Login { username, password },
            Mode::Signup => Request::Signup { username, password },
        })
    }

    /// Wipes both password fields and any error about them (the screen is
    /// going away, or coming back): a typed password never outlives the
    /// form it was typed into.
    pub fn clear_secrets(&mut self) {
        self.password.wipe();
        self.repeat.wipe();
        self.error = None;
        if self.field == Field::Repeat {
            self.field = Field::Password;
        }
    }

    /// The answer came: clear the passwords either way.
    pub fn finished(&mut self, failure: Option<&Failure>) {
        self.busy = false;
        let Some(failure) = failure else {
            self.password.wipe();
            self.repeat.wipe();
            self.error = None;
            return;
        };
        self.error = Some(describe(self.mode, failure));
        match failure.code {
            Some(ErrorCode::BadCredentials) => {
                self.password.wipe();
                self.field = Field::Password;
            }
            Some(ErrorCode::UsernameTaken) => self.field = Field::Username,
            _ => {}
        }
    }
}

/// A refusal in words that say what to do next.
fn describe(mode: Mode, failure: &Failure) -> String {
    let what = match mode {
        Mode::Login => "log in",
        Mode::Signup => "sign up",
    };
    match failure.code {
        Some(ErrorCode::BadCredentials) => {
            "wrong username or password; try again (Ctrl+N creates a new account)".to_string()
        }
        Some(ErrorCode::UsernameTaken) => {
            "that username is taken; pick another, or log in if it is yours (Ctrl+N)".to_string()
        }
        Some(ErrorCode::Offline) => format!(
            "chatd cannot reach the server right now, so you cannot {what} yet; it keeps \
             trying, try again in a moment ({})",
            failure.message
        ),
        Some(ErrorCode::RateLimited) => format!("too many attempts: {}", failure.message),
        // invalid_input and the rest: chatd's own words name the rule.
        _ => format!("cannot {what}: {}", failure.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn type_str(form: &mut LoginForm, s: &str) {
        for c in s.chars() {
            form.key(key(KeyCode::Char(c)));
        }
    }

    #[test]
    fn signup_checks_lengths_and_repetition_before_sending() {
        let mut form = LoginForm::default();
        form.key(KeyEvent::new(KeyCode::Char('n'), KeyModifiers::CONTROL));
        assert_eq!(form.mode, Mode::Signup);
        type_str(&mut form, "alice");
        form.key(key(KeyCode::Enter));
        assert_eq!(form.field, Field::Password);
        type_str(&mut form, "too short");
        form.key(key(KeyCode::Enter));
        assert_eq!(form.field, Field::Repeat);
        type_str(&mut form, "too short");
        assert_eq!(form.key(key(KeyCode::Enter)), FormAction::None);
        assert!(form.error.as_deref().unwrap().contains("at least 15"));
        form.key(key(KeyCode::Up));
        type_str(&mut form, " but longer");
        form.key(key(KeyCode::Down));
        assert_eq!(form.key(key(KeyCode::Enter)), FormAction::None);
        assert!(form.error.as_deref().unwrap().contains("differ"));
        type_str(&mut form, " but longer");
        let FormAction::Submit(Request::Signup { username, password }) =
            form.key(key(KeyCode::Enter))
        else {
            panic!("no submit: {:?}", form.error)
        };
        assert_eq!(username, "alice");
        assert_eq!(password.0, "too short but longer");
        assert!(form.busy);
        assert_eq!(form.key(key(KeyCode::Enter)), FormAction::None);
        form.finished(Some(&Failure::api(
            ErrorCode::InvalidInput,
            "the password is too common",
        )));
        assert_eq!(
            form.error.as_deref(),
            Some("cannot sign up: the password is too common")
        );
        form.finished(None);
        assert!(form.password.is_empty() && form.repeat.is_empty());
    }
}
