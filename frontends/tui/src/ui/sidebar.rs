//! The left pane: conversations with presence and unread counts, then the
//! other users online, the highlighted entry kept in view.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::App;
use crate::app::chat::{Entry, Pane};
use crate::wrap::{truncate, width};

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let chat = app.chat();
    let focused = chat.pane == Pane::Sidebar && chat.overlay.is_none();
    let block = Block::bordered()
        .title(Line::styled(" Chats ", theme::accent()))
        .border_style(if focused {
            theme::accent()
        } else {
            theme::border()
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let entries = chat.entries(app.me());
    let inner_width = usize::from(inner.width);
    let mut lines = Vec::new();
    // The row kept in view: the highlight, else the open conversation.
    let mut selected_line = None;
    let mut open_line = None;
    let mut online_header = false;
    for entry in &entries {
        if !entry.conversation && !online_header {
            online_header = true;
            lines.push(Line::styled(truncate("Online", inner_width), theme::dim()));
        }
        let highlighted = focused && chat.selected.as_ref() == Some(&entry.chat);
        if highlighted {
            selected_line = Some(lines.len());
        }
        let open = chat.is_open_chat(&entry.chat);
        if open {
            open_line = Some(lines.len());
        }
        lines.push(entry_line(entry, open, highlighted, inner_width));
    }
    if entries.is_empty() {
        lines.push(Line::styled(
            truncate("No one yet.", inner_width),
            theme::dim(),
        ));
        lines.push(Line::styled(
            truncate("/msg NAME starts", inner_width),
            theme::dim(),
        ));
    }
    let height = usize::from(inner.height);
    let offset = selected_line
        .or(open_line)
        .map_or(0, |i| (i + 1).saturating_sub(height));
    let offset = u16::try_from(offset).unwrap_or(0);
    frame.render_widget(Paragraph::new(lines).scroll((offset, 0)), inner);
}

/// `▸● bob      3`: open or highlighted, presence, name (bold when open),
/// unread count, a key alert, or `…` while someone types there, at the
/// right. The conversation with
/// oneself is `✎ notes`; a group is `#team` (dim once left).
fn entry_line(entry: &Entry, open: bool, highlighted: bool, width_: usize) -> Line<'static> {
    let group = entry.chat.as_group().is_some();
    let (dot, dot_style) = if entry.notes {
        ("✎", theme::accent())
    } else if group {
        (" ", theme::dim())
    } else if entry.online {
        ("●", theme::online())
    } else {
        ("○", theme::dim())
    };
    let badge = if entry.key_alert {
        "!key".to_string()
    } else if entry.unread > 0 {
        entry.unread.to_string()
    } else if entry.typing {
        "…".to_string()
    } else {
        String::new()
    };
    // The open conversation and the highlight both show without colour.
    let marker = match (open, highlighted) {
        (true, _) => "▸",
        (false, true) => "›",
        (false, false) => " ",
    };
    let room = width_.saturating_sub(3 + width(&badge) + usize::from(!badge.is_empty()));
    let shown = if entry.notes {
        "notes".to_string()
    } else if group {
        format!("#{}", entry.name)
    } else {
        entry.name.clone()
    };
    let name = truncate(&shown, room);
    let pad = width_.saturating_sub(3 + width(&name) + width(&badge));
    let mut name_style = if open { theme::bold() } else { theme::text() };
    if entry.left {
        name_style = theme::dim();
    }
    if highlighted {
        name_style = name_style.patch(theme::selected());
    }
    let badge_style = if entry.key_alert {
        theme::bad()
    } else {
        theme::bold()
    };
    Line::from(vec![
        Span::styled(marker, theme::accent()),
        Span::styled(dot, dot_style),
        Span::raw(" "),
        Span::styled(name, name_style),
        Span::raw(" ".repeat(pad)),
        Span::styled(badge, badge_style),
    ])
}
