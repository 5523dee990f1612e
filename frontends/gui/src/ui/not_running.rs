//! The screen shown while chatd cannot be reached: what chatd is, the two
//! ways to start it, and a retry button; the app attaches on its own as
//! soon as chatd answers.

use egui::{RichText, Ui};

use super::App;
use crate::backend::{Command, Link};

/// Draws the screen.
pub fn show(app: &mut App, ui: &mut Ui) {
    let palette = app.palette();
    let (socket, message) = match &app.model.link {
        Link::NotRunning { socket, message } => (socket.clone(), Some(message.clone())),
        _ => (None, None),
    };
    let connecting = message.is_none();
    egui::CentralPanel::default().show(ui, |ui| {
        centered_column(ui, 520.0, |ui| {
            if connecting {
                ui.heading("Connecting to chatd…");
                ui.add_space(8.0);
                ui.spinner();
                return;
            }
            ui.label(RichText::new("⚠").size(40.0).color(palette.warn));
            ui.heading("chatd is not running");
            ui.add_space(6.0);
            ui.label(
                "SecureChat keeps your keys and messages in chatd, a small program that \
                 runs for you in the background. Start it with:",
            );
            command_line(ui, "systemctl --user start chatd");
            ui.label("or run it in a terminal:");
            command_line(ui, "chatd");
            ui.add_space(4.0);
            ui.label(
                RichText::new("This window connects by itself as soon as chatd is up.")
                    .color(palette.muted),
            );
            ui.add_space(10.0);
            if ui.button("Retry now").clicked() {
                app.command(Command::Reconnect);
            }
            ui.add_space(10.0);
            if let Some(socket) = socket {
                ui.label(
                    RichText::new(format!("Socket: {socket}"))
                        .small()
                        .color(palette.muted),
                );
            }
            // The client's own words add something only when they are not
            // the same news (no socket path known, permission denied).
            if let Some(message) = message.filter(|m| !m.starts_with("chatd is not running")) {
                ui.label(RichText::new(message).small().color(palette.muted));
            }
        });
    });
}

/// A command to type, in a monospace box.
fn command_line(ui: &mut Ui, text: &str) {
    egui::Frame::NONE
        .fill(ui.visuals().extreme_bg_color)
        .corner_radius(6)
        .inner_margin(egui::Margin::symmetric(12, 8))
        .show(ui, |ui| {
            ui.label(RichText::new(text).monospace());
        });
}

/// A column of at most `width` in the middle of the panel, a third of the
/// way down.
pub fn centered_column(ui: &mut Ui, width: f32, add: impl FnOnce(&mut Ui)) {
    let avail = ui.available_size();
    let width = width.min(avail.x - 24.0).max(200.0);
    ui.add_space((avail.y * 0.12).max(12.0));
    ui.horizontal(|ui| {
        ui.add_space(((avail.x - width) / 2.0).max(0.0));
        ui.vertical(|ui| {
            ui.set_width(width);
            add(ui);
        });
    });
}
