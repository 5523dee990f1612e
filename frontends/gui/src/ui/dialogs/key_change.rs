//! The warning shown when a peer's key changed: it blocks the window until
//! the person either trusts the new key or cancels (sending to that peer
//! stays blocked then, and the conversation keeps a banner to come back).

use egui::{RichText, Ui};

use super::super::App;
use super::fingerprint_block;
use crate::backend::Command;

/// Draws the warning about `user`.
pub fn show(app: &mut App, ui: &mut Ui, user: &str) {
    let palette = app.palette();
    let new = app
        .model
        .fingerprints
        .get(user)
        .map(|f| f.fingerprint.clone());
    let modal = egui::Modal::new(egui::Id::unique("key_changed_dialog")).show(ui.ctx(), |ui| {
        ui.set_max_width(520.0);
        ui.horizontal(|ui| {
            ui.label(RichText::new("⚠").size(26.0).color(palette.bad));
            ui.heading(format!("{user}'s safety number changed"));
        });
        ui.add_space(6.0);
        ui.label(format!(
            "{user} now has a different key. That happens when {user} reinstalls or moves to \
             a new device, but it is also what someone reading your messages would cause."
        ));
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "Nothing is sent to {user}, and nothing new from {user} is shown, until you \
                 decide. Compare the new fingerprint with {user} before you trust it."
            ))
            .strong(),
        );
        ui.add_space(10.0);
        fingerprint_block(
            ui,
            &palette,
            &format!("{user}'s new key fingerprint"),
            new.as_deref(),
        );
        ui.add_space(12.0);
        let mut answer = None;
        ui.horizontal(|ui| {
            let trust = egui::Button::new(
                RichText::new("Trust new key")
                    .strong()
                    .color(egui::Color32::WHITE),
            )
            .fill(palette.bad);
            if ui.add(trust).clicked() {
                answer = Some(true);
            }
            if ui.button("Cancel").clicked() {
                answer = Some(false);
            }
        });
        answer
    });
    // Escape or a click outside counts as Cancel: nothing is trusted.
    let answer = modal.inner.or(modal.should_close().then_some(false));
    if let Some(trust) = answer {
        app.model.key_alerts.retain(|u| u != user);
        if trust {
            app.command(Command::Trust {
                user: user.to_string(),
            });
        }
    }
}
