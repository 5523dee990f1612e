//! Files dragged onto the window: while they hover, a hint over the
//! conversation says where they will go; dropped, each is sent there
//! (the first with what is typed as its caption). With no conversation
//! open, or in a group one has left, a notice says why nothing was sent.

use chatd_api::Chat;
use egui::{RichText, Ui};

use super::super::App;

/// Handles this frame's hovering and dropped files; `title` names the
/// open conversation.
pub fn handle(app: &mut App, ui: &mut Ui, title: Option<&str>) {
    let (hovering, dropped) = ui.input(|i| {
        (
            !i.raw.hovered_files.is_empty(),
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect::<Vec<_>>(),
        )
    });
    let target = app.view.open.clone().filter(|chat| can_send(app, chat));
    if hovering {
        hint(app, ui, target.as_ref().and(title));
    }
    if dropped.is_empty() {
        return;
    }
    let Some(chat) = target else {
        app.model.notice(match app.view.open {
            Some(_) => "Files cannot be sent to a group you have left",
            None => "Open a conversation, then drop files on it to send them",
        });
        return;
    };
    for path in dropped {
        app.send_file(&chat, path);
    }
}

/// Whether files can be sent in `chat` (not a group one has left).
fn can_send(app: &App, chat: &Chat) -> bool {
    match chat {
        Chat::Peer(_) => true,
        Chat::Group(id) => app.model.groups.get(id).is_none_or(|g| g.is_member),
    }
}

/// A banner over the window while files hover over it.
fn hint(app: &App, ui: &Ui, title: Option<&str>) {
    let palette = app.palette();
    let text = match title {
        Some(title) => format!("Drop to send to {title}"),
        None => "Open a conversation to send files to it".to_string(),
    };
    let screen = ui.ctx().content_rect();
    egui::Area::new(egui::Id::unique("drop_hint"))
        .order(egui::Order::Foreground)
        .fixed_pos(screen.min)
        .interactable(false)
        .show(ui.ctx(), |ui| {
            egui::Frame::NONE
                .fill(palette.background.gamma_multiply(0.85))
                .stroke(egui::Stroke::new(2.0, palette.accent))
                .show(ui, |ui| {
                    ui.set_min_size(screen.size());
                    ui.centered_and_justified(|ui| {
                        ui.label(RichText::new(text).size(20.0).strong());
                    });
                });
        });
}
