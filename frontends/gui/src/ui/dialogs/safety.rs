//! The safety-number dialog: your fingerprint and the peer's side by side,
//! 16 groups of 4 each, to compare in person, and the 60-digit safety
//! number both sides compute from the two keys (12 groups of 5, easy to
//! read out on a call); Verify records that they matched. Nothing here is
//! typed in or pre-filled: the person compares what is shown.

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
        if let Some(number) = theirs.as_ref().and_then(|f| f.safety_number.as_deref()) {
            ui.add_space(10.0);
            safety_number(ui, &palette, peer, number);
        }
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

/// The safety number in 3 lines of 4 groups of 5 digits, with how to use
/// it; its accessible text is the 12 groups on one line.
fn safety_number(ui: &mut Ui, palette: &super::super::Palette, peer: &str, number: &str) {
    let caption = format!("Safety number with {peer}");
    egui::Frame::NONE
        .fill(ui.visuals().extreme_bg_color)
        .corner_radius(10)
        .inner_margin(egui::Margin::same(14))
        .show(ui, |ui| {
            ui.set_min_width(ui.available_width());
            ui.label(
                RichText::new(&caption)
                    .small()
                    .strong()
                    .color(palette.muted),
            );
            ui.add_space(4.0);
            let spoken = format!("{caption}: {}", format::safety_number_line(number));
            let response = ui.label(
                RichText::new(format::safety_number_grid(number))
                    .monospace()
                    .size(16.0),
            );
            response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &spoken));
            ui.add_space(4.0);
            ui.label(
                RichText::new(format!(
                    "The same on both sides: read it to {peer} on a call, or compare the \
                     fingerprints above."
                ))
                .small()
                .color(palette.muted),
            );
        });
}
