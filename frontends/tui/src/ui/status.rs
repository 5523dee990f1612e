//! The status bar: the latest notice, or who is logged in and chatd's link
//! to the server; the most useful keys on the right.

use chatd_api::ConnectionState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::{App, Daemon};
use crate::wrap::{truncate, width, wrap};

/// chatd's link to the server in words.
pub(super) fn server_words(app: &App) -> String {
    let server = app.status().map(|s| s.server.clone()).unwrap_or_default();
    match app.server_state() {
        Some(ConnectionState::LoggedIn) => format!("chatd is logged in to {server}"),
        Some(ConnectionState::Connected) => format!("chatd is connected to {server}"),
        Some(ConnectionState::Connecting) => format!("chatd is connecting to {server}…"),
        Some(ConnectionState::Offline) | None => {
            format!("chatd cannot reach {server} now; it keeps trying")
        }
    }
}

fn connection(app: &App) -> (String, ratatui::style::Style) {
    if let Daemon::Down { .. } = app.daemon() {
        return ("✗ chatd is not running".to_string(), theme::bad());
    }
    let who = app.me().unwrap_or("?");
    let receipts_off = app.settings().is_some_and(|s| !s.read_receipts);
    let typing_off = app.settings().is_some_and(|s| !s.typing_indicators);
    match app.server_state() {
        Some(ConnectionState::LoggedIn) => {
            let server = app.status().map(|s| s.server.as_str()).unwrap_or("");
            let off = match (receipts_off, typing_off) {
                (true, true) => " · read receipts, typing off",
                (true, false) => " · read receipts off",
                (false, true) => " · typing off",
                (false, false) => "",
            };
            (format!("● {who} @ {server}{off}"), theme::text())
        }
        Some(ConnectionState::Connected) if app.resuming() => {
            (format!("◌ {who} · resuming the session…"), theme::text())
        }
        Some(ConnectionState::Connecting) => (
            format!("◌ {who} · connecting to the server…"),
            theme::text(),
        ),
        Some(ConnectionState::Connected) => {
            (format!("◌ {who} · connected, not logged in"), theme::text())
        }
        Some(ConnectionState::Offline) | None => (
            format!("○ {who} · server unreachable; messages wait in the outbox"),
            theme::text(),
        ),
    }
}

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let keys = " F1 help · Tab panes · ^C quit ";
    let total = usize::from(area.width);
    let (left, style) = match app.notice() {
        Some(n) => (n.text.clone(), theme::level(n.level)),
        None => connection(app),
    };
    if area.height > 1 {
        // A long notice: two rows for it, no key hints.
        let room = total.saturating_sub(2);
        let lines: Vec<Line<'static>> = wrap(&left, room, room)
            .into_iter()
            .take(usize::from(area.height))
            .enumerate()
            .map(|(i, row)| {
                let last = i + 1 == usize::from(area.height);
                let row = if last { truncate(&row, room) } else { row };
                Line::from(vec![Span::raw(" "), Span::styled(row, style)])
            })
            .collect();
        frame.render_widget(Paragraph::new(lines).style(theme::status_bar()), area);
        return;
    }
    let left = truncate(&left, total.saturating_sub(2));
    let keys = if width(&left) + 1 + width(keys) <= total {
        keys
    } else {
        ""
    };
    let pad = total.saturating_sub(width(&left) + 1 + width(keys));
    let line = Line::from(vec![
        Span::raw(" "),
        Span::styled(left, style),
        Span::raw(" ".repeat(pad)),
        Span::styled(keys, theme::dim()),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme::status_bar()), area);
}
