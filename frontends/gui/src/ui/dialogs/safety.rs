//! The safety-number dialog: your fingerprint and the peer's side by side,
//! 16 groups of 4 each, to compare in person or over a call; Verify records
//! that they matched.

use chatd_api::TrustState;
use egui::{RichText, Ui};

use super::super::{App, format};
use super::fingerprint_block;
use crate::backend::Command;

/// Draws the dialog for `peer`.
pub fn show(app: &mut App, ui: &mut Ui, peer: &str) {
    let palette = app.palette();
    let own = app.model.own_fingerprint.clone();
    let theirs = app.model.fingerprints.get(peer).cloned();
    let me = app.model.account().unwrap_or("you").to_string();
    let modal = egui::Modal::new(egui::Id::unique("safety_dialog")).show(ui.ctx(), |ui| {
        ui.set_max_width(560.0);
        ui.heading(format!("Safety numbers with {peer}"));
        ui.add_space(4.0);
        ui.label(
            RichText::new(format!(
                "Compare both numbers with {peer} in person or on a call you trust. If they \
                 match what {peer} sees, nobody is in the middle."
            ))
            .color(palette.muted),
        );
        ui.add_space(10.0);
        ui.horizontal_top(|ui| {
            fingerprint_block(
                ui,
                &palette,
                &format!("You ({me})"),
                own.as_ref().map(|f| f.fingerprint.as_str()),
            );
            fingerprint_block(
                ui,
                &palette,
                peer,
                theirs.as_ref().map(|f| f.fingerprint.as_str()),
            );
        });
        ui.add_space(10.0);
        let state = theirs.as_ref().map(|f| f.state);
        if let Some(state) = state {
            let color = match state {
                TrustState::Verified => palette.good,
                TrustState::Unverified => palette.warn,
                TrustState::Changed => palette.bad,
            };
            let mark = if state == TrustState::Verified {
                "✔ "
            } else {
                ""
            };
            ui.label(RichText::new(format!("{mark}{}", format::trust_words(state))).color(color));
        }
        ui.add_space(8.0);
        let mut close = false;
        ui.horizontal(|ui| {
            let can_verify = state == Some(TrustState::Unverified);
            if ui
                .add_enabled(
                    can_verify,
                    egui::Button::new(RichText::new("Verify").strong()),
                )
                .on_hover_text(format!("Both numbers match what {peer} sees"))
                .clicked()
                && let Some(f) = &theirs
            {
                app.command(Command::Verify {
                    user: peer.to_string(),
                    fingerprint: f.fingerprint.clone(),
                });
            }
            if ui.button("Close").clicked() {
                close = true;
            }
        });
        close
    });
    if modal.inner || modal.should_close() {
        app.view.safety = None;
    }
}
