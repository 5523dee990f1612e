//! Where a message is typed: Enter sends, Shift+Enter starts a new line,
//! the Send button does the same for the mouse; the paper clip sends a
//! file. A message chatd refused comes back into the box with the reason
//! above it. Typing tells chatd
//! (at most once a second, and only while the setting is on), which tells
//! the others "you are typing...".

use std::time::Instant;

use chatd_api::Chat;
use egui::{Key, Modifiers, RichText, TextEdit, Ui};

use super::super::App;
use crate::backend::Command;

/// Draws the composer for `chat` (called `title`) along the bottom of the
/// conversation.
pub fn show(app: &mut App, ui: &mut Ui, chat: &Chat, title: &str) {
    let palette = app.palette();
    if let Chat::Group(id) = chat
        && app.model.groups.get(id).is_some_and(|g| !g.is_member)
    {
        egui::Panel::bottom("composer")
            .frame(
                egui::Frame::NONE
                    .fill(palette.background)
                    .inner_margin(egui::Margin::symmetric(16, 14)),
            )
            .show(ui, |ui| {
                ui.label(
                    RichText::new(format!(
                        "You are no longer a member of {title}: its history stays, \
                         nothing more can be sent or received."
                    ))
                    .color(palette.muted),
                );
            });
        return;
    }
    if app.model.thread(chat).is_some()
        && let Some(text) = app.model.chat_thread_mut(chat).draft_back.take()
    {
        let draft = app.view.drafts.entry(chat.clone()).or_default();
        if draft.is_empty() {
            *draft = text;
        }
    }
    let error = app.model.thread(chat).and_then(|t| t.send_error.clone());
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
            let id = id(chat);
            // Take Enter (without Shift) before the text box sees it, so it
            // sends instead of starting a new line.
            // (`consume_key` would also take Shift+Enter: it ignores Shift.)
            let enter = ui.memory(|m| m.has_focus(id)) && ui.input_mut(take_plain_enter);
            let mut send = enter;
            ui.horizontal(|ui| {
                let button_width = 84.0;
                attach(app, ui, chat);
                let draft = app.view.drafts.entry(chat.clone()).or_default();
                let response = ui
                    .add(
                        TextEdit::multiline(draft)
                            .id(id)
                            .hint_text(format!("Message {title}"))
                            .desired_rows(1)
                            .desired_width(ui.available_width() - button_width - 8.0)
                            .margin(egui::vec2(10.0, 8.0))
                            .return_key(Some(egui::KeyboardShortcut::new(
                                Modifiers::SHIFT,
                                Key::Enter,
                            ))),
                    )
                    .accessible_name(format!("Message to {title}"));
                if std::mem::take(&mut app.view.focus_composer) {
                    response.request_focus();
                }
                if response.changed() && !draft.trim().is_empty() {
                    typed(app, chat);
                }
                let button = egui::Button::new(RichText::new("Send").strong())
                    .min_size(egui::vec2(button_width, 34.0));
                if ui.add(button).clicked() {
                    send = true;
                }
            });
            if send {
                let draft = app.view.drafts.entry(chat.clone()).or_default();
                let text = draft.trim_end().to_string();
                if !text.trim().is_empty() {
                    draft.clear();
                    app.model.chat_thread_mut(chat).send_error = None;
                    app.view.typing_sent.sent(chat);
                    app.command(Command::Send {
                        chat: chat.clone(),
                        text,
                    });
                }
                app.view.focus_composer = true;
            }
        });
}

/// The paper clip left of the text box: the desktop's file dialog (run by
/// the worker, so the window goes on drawing), once at a time; the file
/// picked is sent with what is typed as its caption.
fn attach(app: &mut App, ui: &mut Ui, chat: &Chat) {
    let picking = app.model.picking;
    let button = egui::Button::new(RichText::new("📎").size(17.0)).frame(false);
    let response = ui
        .add_enabled(!picking, button)
        .on_hover_text(
            "Send a file (what you typed goes with it as its caption); or drop files on the window",
        )
        .accessible_name("Attach a file");
    if response.clicked() {
        app.model.picking = true;
        app.command(Command::PickFile { chat: chat.clone() });
    }
}

/// The person typed in `chat`: tells chatd, at most once a second, unless
/// the setting is off or the conversation is one's notes.
fn typed(app: &mut App, chat: &Chat) {
    let notes = chat
        .as_peer()
        .is_some_and(|p| Some(p) == app.model.account());
    if notes || !app.model.typing_indicators() {
        return;
    }
    if app.view.typing_sent.keystroke(chat, Instant::now()) {
        app.command(Command::Typing { chat: chat.clone() });
    }
}

/// The composer's egui id for a conversation.
pub fn id(chat: &Chat) -> egui::Id {
    egui::Id::unique(("composer", chat))
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
