//! The sign-up form: username, password and confirmation, each with the
//! reason it would be refused right under it, checked as the person types
//! (PROTOCOL.md §0's rules); chatd's own refusal (a common password, a
//! taken name) lands under the field it is about.

use chatd_api::ErrorCode;
use egui::{Key, RichText, Ui};

use super::login::{card, title, wide_button};
use super::not_running::centered_column;
use super::{App, AuthScreen, widgets};
use crate::backend::Command;
use crate::model::SignupChecks;

/// Where chatd's refusal belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Username,
    Password,
    Other,
}

/// Draws the form.
pub fn show(app: &mut App, ui: &mut Ui) {
    let palette = app.palette();
    let form = &app.view.signup;
    let checks = SignupChecks::of(form.username.trim(), &form.password, &form.confirmation);
    let shown = |typed: bool, reason: &Option<String>| {
        (typed || form.submitted).then(|| reason.clone()).flatten()
    };
    let user_reason = shown(!form.username.is_empty(), &checks.username);
    let pass_reason = shown(!form.password.is_empty(), &checks.password);
    let confirm_reason = shown(!form.confirmation.is_empty(), &checks.confirmation);
    let daemon = app.model.auth.failure.clone().map(|f| {
        let field = match f.code {
            Some(ErrorCode::UsernameTaken) => Field::Username,
            Some(ErrorCode::InvalidInput) if f.message.to_lowercase().contains("password") => {
                Field::Password
            }
            Some(ErrorCode::InvalidInput) => Field::Username,
            _ => Field::Other,
        };
        (field, f.message)
    });
    let daemon_says = |field: Field| {
        daemon
            .as_ref()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
    };
    egui::CentralPanel::default().show(ui, |ui| {
        centered_column(ui, 400.0, |ui| {
            card(ui, |ui| {
                title(ui, &palette);
                ui.heading("Create an account");
                ui.add_space(8.0);
                let form = &mut app.view.signup;
                let user = widgets::labelled_field(
                    ui,
                    "Username",
                    &mut form.username,
                    false,
                    "signup_user",
                );
                for r in user_reason
                    .iter()
                    .chain(daemon_says(Field::Username).iter())
                {
                    widgets::reason(ui, r, palette.bad);
                }
                ui.add_space(4.0);
                let pass = widgets::labelled_field(
                    ui,
                    "Password",
                    &mut form.password,
                    true,
                    "signup_password",
                );
                match pass_reason
                    .iter()
                    .chain(daemon_says(Field::Password).iter())
                    .next()
                {
                    Some(r) => {
                        widgets::reason(ui, r, palette.bad);
                    }
                    None => {
                        widgets::reason(
                            ui,
                            "At least 15 characters; a few unrelated words work well",
                            palette.muted,
                        );
                    }
                }
                ui.add_space(4.0);
                let confirm = widgets::labelled_field(
                    ui,
                    "Confirm password",
                    &mut form.confirmation,
                    true,
                    "signup_confirm",
                );
                if let Some(r) = &confirm_reason {
                    widgets::reason(ui, r, palette.bad);
                }
                // Read before focus moves below: `lost_focus` asks memory.
                let entered = (user.lost_focus() || pass.lost_focus() || confirm.lost_focus())
                    && ui.input(|i| i.key_pressed(Key::Enter));
                if app.view.autofocus && !entered && ui.memory(|m| m.focused().is_none()) {
                    user.request_focus();
                }
                ui.add_space(10.0);
                let busy = app.model.auth.busy;
                let clicked = ui
                    .add_enabled(!busy, wide_button(ui, "Create account"))
                    .clicked();
                if busy {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Creating your keys and account…");
                    });
                }
                if let Some(r) = daemon_says(Field::Other) {
                    widgets::reason(ui, &r, palette.bad);
                }
                if (clicked || entered) && !busy {
                    submit(app, &checks);
                }
                ui.add_space(12.0);
                ui.horizontal(|ui| {
                    ui.label(RichText::new("Already have an account?").color(palette.muted));
                    if ui.link("Log in instead").clicked() {
                        app.view.auth_screen = AuthScreen::Login;
                        app.model.auth.failure = None;
                    }
                });
            });
        });
    });
}

fn submit(app: &mut App, checks: &SignupChecks) {
    let form = &mut app.view.signup;
    form.submitted = true;
    app.model.auth.failure = None;
    if !checks.ok() {
        return;
    }
    let username = form.username.trim().to_string();
    // The fields keep their text until chatd answers, so a refusal (a
    // common password) can be fixed rather than retyped.
    let password = form.password.clone();
    app.model.auth.busy = true;
    app.expect_switch();
    app.command(Command::Signup { username, password });
}
