//! The first screen, until chatd answers: says what chat-tui waits for
//! and, when chatd is not running, how to start it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};

use super::{daemon_line, theme};
use crate::app::{App, Daemon};
use crate::layout::centered;

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let mut lines = vec![daemon_line(app), Line::default()];
    if let Daemon::Down { .. } = app.daemon() {
        lines.push(Line::from(
            "chat-tui tries again every second and opens as soon as chatd answers.",
        ));
    }
    lines.push(Line::styled("Ctrl+C or q quits.", theme::dim()));
    let width = area.width.saturating_sub(4).min(72);
    let height = 8.min(area.height);
    let block = Block::bordered()
        .title(Line::styled(" SecureChat ", theme::accent()))
        .border_style(theme::border())
        .padding(Padding::horizontal(1));
    let paragraph = Paragraph::new(lines).block(block).wrap(Wrap { trim: true });
    frame.render_widget(paragraph, centered(area, width, height));
}
