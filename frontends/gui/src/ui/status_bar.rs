//! The strip along the bottom of every view: whether chat-gui is attached
//! to chatd and whether chatd is online with the server, in words and a
//! coloured dot, so the connection state is always visible; above it, the
//! latest problem (a failed request, a refused message) until dismissed.

use chatd_api::ConnectionState;
use egui::{Color32, RichText};

use super::{App, Palette, widgets};
use crate::backend::Link;
use crate::model::Model;

/// The dot colour and the sentence for the current state: the window's
/// link to chatd first (connecting, lost and retrying, never reached),
/// then chatd's link to the server.
pub fn describe(model: &Model, palette: &Palette) -> (Color32, String) {
    match &model.link {
        Link::Connecting => (palette.warn, "Connecting to chatd…".into()),
        Link::NotRunning { .. } if model.attached_once => (
            palette.bad,
            "Lost chatd (it stopped or restarted); reconnecting by itself…".into(),
        ),
        Link::NotRunning { .. } => (
            palette.bad,
            "chatd is not running; this window connects as soon as it starts".into(),
        ),
        Link::Attached => match &model.status {
            None => (
                palette.warn,
                "Attached to chatd, asking for its state…".into(),
            ),
            Some(s) => {
                let server = &s.server;
                match (s.state, s.username.as_deref()) {
                    (ConnectionState::LoggedIn, Some(user)) => {
                        (palette.good, format!("Online as {user} · {server}"))
                    }
                    (ConnectionState::LoggedIn, None) => {
                        (palette.good, format!("Online · {server}"))
                    }
                    (ConnectionState::Connected, _) => (
                        palette.accent,
                        format!("Connected to {server}, not logged in"),
                    ),
                    (ConnectionState::Connecting, _) => {
                        (palette.warn, format!("chatd is connecting to {server}…"))
                    }
                    (ConnectionState::Offline, _) => (
                        palette.bad,
                        format!(
                            "Offline: chatd cannot reach {server}; messages wait in the outbox"
                        ),
                    ),
                }
            }
        },
    }
}

/// Draws the bar.
pub fn show(app: &mut App, ui: &mut egui::Ui) {
    let palette = app.palette();
    let (color, text) = describe(&app.model, &palette);
    let version = app
        .model
        .status
        .as_ref()
        .map(|s| format!("chatd {}", s.version));
    egui::Panel::bottom("status_bar")
        .frame(
            egui::Frame::NONE
                .fill(palette.sidebar)
                .inner_margin(egui::Margin::symmetric(12, 5)),
        )
        .show(ui, |ui| {
            if let Some(notice) = app.model.notices.back().cloned() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new("⚠").color(palette.bad));
                    ui.label(RichText::new(notice).color(palette.bad));
                    if ui.small_button("Dismiss").clicked() {
                        app.model.notices.pop_back();
                    }
                });
            }
            ui.horizontal(|ui| {
                widgets::dot(ui, color, 4.5);
                ui.label(RichText::new(text).small().color(palette.muted));
                if let Some(version) = version {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.label(RichText::new(version).small().color(palette.muted));
                    });
                }
            });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Update;

    fn words(model: &Model) -> String {
        describe(model, &Palette::of(crate::cli::Theme::Dark)).1
    }

    #[test]
    fn the_bar_follows_the_link_to_chatd_after_the_start_too() {
        let mut m = Model::default();
        assert_eq!(words(&m), "Connecting to chatd…");
        let lost = Link::NotRunning {
            socket: None,
            message: "chatd is not running".into(),
        };
        m.apply(Update::Link(lost.clone()));
        assert!(words(&m).contains("as soon as it starts"), "{}", words(&m));
        m.apply(Update::Link(Link::Attached));
        assert!(words(&m).contains("asking for its state"), "{}", words(&m));
        m.apply(Update::Link(lost));
        assert!(words(&m).contains("reconnecting"), "{}", words(&m));
        m.apply(Update::Link(Link::Connecting));
        assert_eq!(words(&m), "Connecting to chatd…");
    }
}
