//! The log-in form: username, password, and a way to the sign-up form.
//! Enter in either field logs in; chatd's refusal is shown under the
//! button in chatd's own words.

use egui::{Key, RichText, Ui};

use super::not_running::centered_column;
use super::{App, AuthScreen, widgets};
use crate::backend::Command;

/// Draws the form.
pub fn show(app: &mut App, ui: &mut Ui) {
    let palette = app.palette();
    if !app.view.login.prefilled
        && let Some(account) = app.model.account()
    {
        app.view.login.prefilled = true;
        if app.view.login.username.is_empty() {
            app.view.login.username = account.to_string();
        }
    }
    egui::CentralPanel::default().show(ui, |ui| {
        centered_column(ui, 380.0, |ui| {
            card(ui, |ui| {
                title(ui, &palette);
                ui.heading("Log in");
                ui.add_space(8.0);
                let form = &mut app.view.login;
                let user = widgets::labelled_field(
                    ui,
                    "Username",
                    &mut form.username,
                    false,
                    "login_user",
                );
                ui.add_space(4.0);
                let pass = widgets::labelled_field(
                    ui,
                    "Password",
                    &mut form.password,
                    true,
                    "login_password",
                );
                // Read before focus moves below: `lost_focus` asks memory.
                let entered = (user.lost_focus() || pass.lost_focus())
                    && ui.input(|i| i.key_pressed(Key::Enter));
                // Only at start or after this window's own Log out: after
                // another frontend logged out, what the person goes on
                // typing was meant for the chat, not for this field.
                if app.view.autofocus && !entered && ui.memory(|m| m.focused().is_none()) {
                    if form.username.is_empty() {
                        user.request_focus();
                    } else {
                        pass.request_focus();
                    }
                }
                ui.add_space(10.0);
                let busy = app.model.auth.busy;
                let clicked = ui.add_enabled(!busy, wide_button(ui, "Log in")).clicked();
                if busy {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label("Logging in…");
                    });
                }
                if let Some(failure) = &app.model.auth.failure {
                    widgets::reason(ui, &failure.message, palette.bad);
                }
                if (clicked || entered) && !busy {
                    submit(app);
                }
                ui.add_space(12.0);
                ui.horizontal(|ui| {
                    ui.label(RichText::new("No account yet?").color(palette.muted));
                    if ui.link("Create an account").clicked() {
                        app.view.auth_screen = AuthScreen::Signup;
                        app.model.auth.failure = None;
                    }
                });
            });
        });
    });
}

fn submit(app: &mut App) {
    let form = &mut app.view.login;
    let username = form.username.trim().to_string();
    if username.is_empty() || form.password.is_empty() {
        app.model.auth.failure = Some(crate::backend::Failure {
            code: None,
            message: "Type your username and password".into(),
        });
        return;
    }
    let password = std::mem::take(&mut form.password);
    app.model.auth.busy = true;
    app.model.auth.failure = None;
    app.expect_switch();
    app.command(Command::Login { username, password });
}

/// The app's name above a form.
pub fn title(ui: &mut Ui, palette: &super::Palette) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("🔒").size(22.0).color(palette.accent));
        ui.label(RichText::new("SecureChat").size(24.0).strong());
    });
    ui.label(RichText::new("End-to-end encrypted chat").color(palette.muted));
    ui.add_space(14.0);
}

/// The framed box a form sits in.
pub fn card(ui: &mut Ui, add: impl FnOnce(&mut Ui)) {
    let fill = ui.visuals().window_fill;
    egui::Frame::NONE
        .fill(fill)
        .corner_radius(14)
        .inner_margin(egui::Margin::same(24))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui);
        });
}

/// A primary button as wide as the form, in the accent colour.
pub fn wide_button(ui: &Ui, text: &str) -> egui::Button<'static> {
    let accent = ui.visuals().hyperlink_color;
    egui::Button::new(
        RichText::new(text.to_string())
            .strong()
            .color(egui::Color32::WHITE),
    )
    .fill(accent)
    .min_size(egui::vec2(ui.available_width(), 36.0))
}
