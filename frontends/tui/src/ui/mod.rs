//! Drawing the app: one function per screen and part, each reading the
//! [`App`] and writing to a ratatui frame, never changing anything. What is
//! drawn is decided by the app's state alone, so a `TestBackend` snapshot
//! shows exactly what a person would see.

mod chat;
mod connecting;
mod login;
pub(crate) mod overlay;
mod sidebar;
mod status;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::{App, Daemon, Screen};

/// Smallest terminal the screens are laid out for.
pub const MIN_SIZE: (u16, u16) = (40, 10);

/// Draws the whole screen.
pub fn render(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let text = format!(
            "chat-tui needs a terminal of at least {}x{}; this one is {}x{}",
            MIN_SIZE.0, MIN_SIZE.1, area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    match app.screen() {
        Screen::Connecting => connecting::render(frame, area, app),
        Screen::Login => login::render(frame, area, app),
        Screen::Chat => chat::render(frame, area, app),
    }
    if let Some(switched) = app.switched() {
        overlay::switched(frame, area, switched);
    }
}

/// One line on chatd's state, for the screens before the chat.
fn daemon_line(app: &App) -> Line<'static> {
    match app.daemon() {
        Daemon::Unknown => Line::styled("Looking for chatd…", theme::dim()),
        Daemon::Down { reason } => Line::styled(format!("{reason}."), theme::bad()),
        Daemon::Up => Line::styled(status::server_words(app), theme::dim()),
    }
}

/// `text` word-wrapped at `width` columns, one line per row.
fn wrapped_lines(text: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    let width = width.max(1);
    crate::wrap::wrap(text, width, width)
        .into_iter()
        .map(|row| Line::styled(row, style))
        .collect()
}

/// Clips `area` to at most `rows` rows from its top.
fn top_rows(area: Rect, rows: u16) -> Rect {
    Rect {
        height: area.height.min(rows),
        ..area
    }
}
