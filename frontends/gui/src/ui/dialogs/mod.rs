//! Dialogs over the chat view. A changed key comes first and blocks
//! everything else until the person answers it; the safety-number dialog
//! opens from a conversation's header, the "New group" dialog from the
//! groups list.

mod key_change;
mod new_group;
mod safety;

pub use new_group::NewGroupForm;

use egui::{RichText, Ui};

use super::{App, Palette, format};

/// Draws whichever dialog is due.
pub fn show(app: &mut App, ui: &mut Ui) {
    if let Some(user) = app.model.key_alerts.front().cloned() {
        key_change::show(app, ui, &user);
    } else if let Some(peer) = app.view.safety.clone() {
        safety::show(app, ui, &peer);
    } else if app.view.new_group.is_some() {
        new_group::show(app, ui);
    }
}

/// A fingerprint as a 4×4 block of monospace groups, with a caption; its
/// accessible text is the caption and the 16 groups on one line.
fn fingerprint_block(ui: &mut Ui, palette: &Palette, caption: &str, hex: Option<&str>) {
    egui::Frame::NONE
        .fill(ui.visuals().extreme_bg_color)
        .corner_radius(10)
        .inner_margin(egui::Margin::same(14))
        .show(ui, |ui| {
            ui.set_min_width(230.0);
            ui.vertical(|ui| {
                ui.label(RichText::new(caption).small().strong().color(palette.muted));
                ui.add_space(4.0);
                match hex {
                    Some(hex) => {
                        let spoken = format!("{caption}: {}", format::fingerprint_line(hex));
                        let response = ui.label(
                            RichText::new(format::fingerprint_grid(hex))
                                .monospace()
                                .size(16.0),
                        );
                        response.widget_info(|| {
                            egui::WidgetInfo::labeled(egui::Role::Label, true, &spoken)
                        });
                    }
                    None => {
                        ui.spinner();
                    }
                }
            });
        });
}
