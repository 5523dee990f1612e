//! The chat view: people on the left, the open conversation on the right,
//! and the keyboard shortcuts that move between them.

mod composer;
mod conversation;
mod sidebar;

use egui::{Key, Modifiers, RichText, Ui};

use super::App;
pub use composer::id as composer_id;

/// Draws the view.
pub fn show(app: &mut App, ui: &mut Ui) {
    shortcuts(app, ui);
    sidebar::show(app, ui);
    let palette = app.palette();
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE.fill(palette.background))
        .show(ui, |ui| match app.view.open.clone() {
            Some(peer) => conversation::show(app, ui, &peer),
            None => {
                ui.vertical_centered(|ui| {
                    ui.add_space(ui.available_height() * 0.35);
                    ui.label(RichText::new("💬").size(40.0).color(palette.muted));
                    ui.label(
                        RichText::new(
                            "Pick a conversation on the left, or search for someone to start one.",
                        )
                        .color(palette.muted),
                    );
                });
            }
        });
}

/// Ctrl+K: search; Alt+Up/Down: previous or next conversation.
fn shortcuts(app: &mut App, ui: &mut Ui) {
    let (search, up, down) = ui.input_mut(|i| {
        (
            i.consume_key(Modifiers::COMMAND, Key::K),
            i.consume_key(Modifiers::ALT, Key::ArrowUp),
            i.consume_key(Modifiers::ALT, Key::ArrowDown),
        )
    });
    if search {
        app.view.focus_search = true;
    }
    if up || down {
        let peers: Vec<String> = app
            .model
            .threads_by_recency()
            .iter()
            .map(|t| t.peer.clone())
            .collect();
        let at = app
            .view
            .open
            .as_ref()
            .and_then(|p| peers.iter().position(|q| q == p));
        let next = match (at, down) {
            (None, _) => peers.first(),
            (Some(i), true) => peers.get(i + 1),
            (Some(i), false) => i.checked_sub(1).and_then(|i| peers.get(i)),
        };
        if let Some(peer) = next.cloned() {
            app.open(&peer);
        }
    }
}
