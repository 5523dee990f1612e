//! Where each part of the chat screen goes for a terminal size and a state.
//! Pure geometry shared by the renderer and the app, which needs the
//! height of the message area to scroll by pages.

use ratatui::layout::{Constraint, Layout, Margin, Rect};

use crate::app::App;
use crate::wrap::wrap;

/// Most rows the input line grows to before it scrolls.
pub const MAX_INPUT_ROWS: usize = 5;
/// Most rows a banner takes.
const MAX_BANNER_ROWS: usize = 4;

/// The areas of the chat screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatAreas {
    /// "chatd is not running" across the top (empty when it runs).
    pub down: Rect,
    /// Conversations and online users, with its border.
    pub sidebar: Rect,
    /// The open conversation, with its border.
    pub convo: Rect,
    /// The key banner, or an open group's members, inside the
    /// conversation (empty when none).
    pub banner: Rect,
    /// The messages inside the conversation.
    pub messages: Rect,
    /// The gauge of a transfer of the open conversation, under its
    /// messages (empty when none moves).
    pub transfer: Rect,
    /// The input line, with its border.
    pub input: Rect,
    /// The status bar.
    pub status: Rect,
}

/// Rows `text` takes wrapped at `width`, at most `max`.
fn rows_for(text: Option<&str>, width: u16, max: usize) -> u16 {
    text.map_or(0, |t| {
        let n = wrap(t, usize::from(width), usize::from(width)).len();
        u16::try_from(n.min(max)).unwrap_or(0)
    })
}

/// The status bar takes a second row when the notice needs it.
pub fn status_rows(app: &App, width: u16) -> u16 {
    let room = usize::from(width.saturating_sub(2));
    match app.notice() {
        Some(n) if crate::wrap::width(&n.text) > room => 2,
        _ => 1,
    }
}

/// Width of the left pane: about a quarter of the screen, within limits.
fn sidebar_width(total: u16) -> u16 {
    (total / 4).clamp(16, 28).min(total / 2)
}

/// The chat screen's areas within `area`.
pub fn chat(area: Rect, app: &App) -> ChatAreas {
    let down_text = app.down_banner();
    let down_rows = rows_for(down_text.as_deref(), area.width, MAX_BANNER_ROWS);
    // Like the renderer: one column kept free for the cursor.
    let input_width = usize::from(area.width.saturating_sub(3));
    let input_rows = app
        .input
        .wrapped(input_width, None)
        .rows
        .len()
        .clamp(1, MAX_INPUT_ROWS);
    let input_rows = u16::try_from(input_rows).unwrap_or(1);
    let [down, main, input, status] = Layout::vertical([
        Constraint::Length(down_rows),
        Constraint::Min(0),
        Constraint::Length(input_rows + 2),
        Constraint::Length(status_rows(app, area.width)),
    ])
    .areas(area);
    let [sidebar, convo] = Layout::horizontal([
        Constraint::Length(sidebar_width(area.width)),
        Constraint::Min(0),
    ])
    .areas(main);
    let inner = convo.inner(Margin::new(1, 1));
    let banner_text = app
        .key_banner()
        .map(|(_, t)| t)
        .or_else(|| app.members_line());
    let banner_rows = rows_for(banner_text.as_deref(), inner.width, MAX_BANNER_ROWS);
    let gauge_rows = u16::from(app.transfer_gauge().is_some());
    let [banner, messages, transfer] = Layout::vertical([
        Constraint::Length(banner_rows),
        Constraint::Min(0),
        Constraint::Length(gauge_rows),
    ])
    .areas(inner);
    ChatAreas {
        down,
        sidebar,
        convo,
        banner,
        messages,
        transfer,
        input,
        status,
    }
}

/// A `width` x `height` box in the middle of `area` (clipped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect::new(
        area.x + (area.width - width) / 2,
        area.y + (area.height - height) / 2,
        width,
        height,
    )
}
