//! Where a message is typed: Enter sends, Shift+Enter starts a new line,
//! the Send button does the same for the mouse. A message chatd refused
//! comes back into the box with the reason above it.

use egui::{Key, Modifiers, RichText, TextEdit, Ui};

use super::super::App;
use crate::backend::Command;

/// Draws the composer for `peer` along the bottom of the conversation.
pub fn show(app: &mut App, ui: &mut Ui, peer: &str) {
    let palette = app.palette();
    if let Some(thread) = app.model.threads.get_mut(peer)
        && let Some(text) = thread.draft_back.take()
    {
        let draft = app.view.drafts.entry(peer.to_string()).or_default();
        if draft.is_empty() {
            *draft = text;
        }
    }
    let error = app
        .model
        .threads
        .get(peer)
        .and_then(|t| t.send_error.clone());
    egui::Panel::bottom("composer")
        .frame(
            egui::Frame::NONE
                .fill(palette.background)
                .inner_margin(egui::Margin::symmetric(16, 10)),
        )
        .show(ui, |ui| {
            if let Some(error) = &error {
                ui.label(
                    RichText::new(format!("Not sent: {error}"))
                        .small()
                        .color(palette.bad),
                );
            }
            let id = id(peer);
            // Take Enter (without Shift) before the text box sees it, so it
            // sends instead of starting a new line.
            // (`consume_key` would also take Shift+Enter: it ignores Shift.)
            let enter = ui.memory(|m| m.has_focus(id)) && ui.input_mut(take_plain_enter);
            let mut send = enter;
            ui.horizontal(|ui| {
                let button_width = 84.0;
                let draft = app.view.drafts.entry(peer.to_string()).or_default();
                let response = ui
                    .add(
                        TextEdit::multiline(draft)
                            .id(id)
                            .hint_text(format!("Message {peer}"))
                            .desired_rows(1)
                            .desired_width(ui.available_width() - button_width - 8.0)
                            .margin(egui::vec2(10.0, 8.0))
                            .return_key(Some(egui::KeyboardShortcut::new(
                                Modifiers::SHIFT,
                                Key::Enter,
                            ))),
                    )
                    .accessible_name(format!("Message to {peer}"));
                if std::mem::take(&mut app.view.focus_composer) {
                    response.request_focus();
                }
                let button = egui::Button::new(RichText::new("Send").strong())
                    .min_size(egui::vec2(button_width, 34.0));
                if ui.add(button).clicked() {
                    send = true;
                }
            });
            if send {
                let draft = app.view.drafts.entry(peer.to_string()).or_default();
                let text = draft.trim_end().to_string();
                if !text.trim().is_empty() {
                    draft.clear();
                    if let Some(t) = app.model.threads.get_mut(peer) {
                        t.send_error = None;
                    }
                    app.command(Command::Send {
                        to: peer.to_string(),
                        text,
                    });
                }
                app.view.focus_composer = true;
            }
        });
}

/// The composer's egui id for `peer`.
pub fn id(peer: &str) -> egui::Id {
    egui::Id::unique(("composer", peer))
}

/// Removes a press of Enter without modifiers from this frame's input;
/// true if there was one.
fn take_plain_enter(input: &mut egui::InputState) -> bool {
    let before = input.events.len();
    input.events.retain(|e| {
        !matches!(
            e,
            egui::Event::Key { key: Key::Enter, pressed: true, modifiers, .. } if modifiers.is_none()
        )
    });
    input.events.len() != before
}
