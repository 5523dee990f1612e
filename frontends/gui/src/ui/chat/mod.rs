//! The chat view: groups and people on the left, the open conversation
//! on the right (with a group's members beside it), the keyboard
//! shortcuts that move between them, and files dropped on the window.

mod composer;
mod conversation;
mod drop;
mod file;
mod members;
mod sidebar;
mod thumbnail;

use chatd_api::Chat;
use egui::{Key, Modifiers, RichText, Ui};

use super::App;
pub use composer::id as composer_id;
pub use thumbnail::Thumbnails;

/// Draws the view.
pub fn show(app: &mut App, ui: &mut Ui) {
    shortcuts(app, ui);
    let title = app.view.open.as_ref().map(|chat| match chat {
        Chat::Peer(peer) => peer.clone(),
        Chat::Group(id) => app
            .model
            .groups
            .get(id)
            .map_or_else(|| id.clone(), |g| g.name.clone()),
    });
    drop::handle(app, ui, title.as_deref());
    sidebar::show(app, ui);
    let palette = app.palette();
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE.fill(palette.background))
        .show(ui, |ui| match app.view.open.clone() {
            Some(chat) => conversation::show(app, ui, &chat),
            None => {
                ui.vertical_centered(|ui| {
                    ui.add_space(ui.available_height() * 0.35);
                    ui.label(RichText::new("💬").size(40.0).color(palette.muted));
                    ui.label(
                        RichText::new(
                            "Pick a conversation on the left, search for someone to start one, \
                             or make a group.",
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
        // In the order of the list: groups, then conversations.
        let chats: Vec<Chat> = app
            .model
            .groups_by_recency()
            .iter()
            .map(|g| Chat::group(&g.id))
            .chain(
                app.model
                    .threads_by_recency()
                    .iter()
                    .map(|t| Chat::peer(&t.peer)),
            )
            .collect();
        let at = app
            .view
            .open
            .as_ref()
            .and_then(|c| chats.iter().position(|d| d == c));
        let next = match (at, down) {
            (None, _) => chats.first(),
            (Some(i), true) => chats.get(i + 1),
            (Some(i), false) => i.checked_sub(1).and_then(|i| chats.get(i)),
        };
        if let Some(chat) = next.cloned() {
            app.open(&chat);
        }
    }
}
