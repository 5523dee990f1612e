//! The chat screen: the "chatd is not running" banner, the left pane, the
//! open conversation with its key banner and the gauge of its transfer,
//! the input line and the status bar, then any overlay on top.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, LineGauge, Paragraph, Wrap};

use super::{overlay, sidebar, status, theme, top_rows};
use crate::app::App;
use crate::app::chat::{Convo, Pane};
use crate::app::notice::Level;
use crate::layout::{self, ChatAreas, MAX_INPUT_ROWS};
use crate::timeline::{self, Row};

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let areas = layout::chat(area, app);
    if let Some(text) = app.down_banner() {
        frame.render_widget(
            Paragraph::new(text)
                .style(theme::banner(Level::Error))
                .wrap(Wrap { trim: true }),
            areas.down,
        );
    }
    sidebar::render(frame, areas.sidebar, app);
    conversation(frame, &areas, app);
    input(frame, areas.input, app);
    status::render(frame, areas.status, app);
    if let Some(o) = &app.chat().overlay {
        overlay::render(frame, area, app, o);
    }
}

fn pane_border(app: &App, pane: Pane) -> ratatui::style::Style {
    if app.chat().pane == pane && app.chat().overlay.is_none() {
        theme::accent()
    } else {
        theme::border()
    }
}

/// ` bob · online · key unverified `, or ` #team · 4 members `.
fn title(convo: &Convo, app: &App) -> Line<'static> {
    let Some(peer) = convo.peer() else {
        let mut spans = vec![Span::styled(
            format!(" {} ", app.chat().title(&convo.chat)),
            theme::accent(),
        )];
        if let Some(g) = app.chat().open_group() {
            let me_admin = g
                .members
                .iter()
                .any(|m| Some(m.user.as_str()) == app.me() && m.admin);
            let mut words = format!("· {} members ", g.members.len());
            if !g.is_member {
                words = "· you left ".to_string();
            } else if me_admin {
                words.push_str("· you are admin ");
            }
            spans.push(Span::styled(words, theme::dim()));
        }
        return Line::from(spans);
    };
    if app.me() == Some(peer) {
        return Line::from(vec![
            Span::styled(" ✎ notes ", theme::accent()),
            Span::styled("to yourself, end-to-end encrypted ", theme::dim()),
        ]);
    }
    let online = app
        .chat()
        .entries(app.me())
        .iter()
        .any(|e| e.chat == convo.chat && e.online);
    let mut spans = vec![Span::styled(format!(" {peer} "), theme::accent())];
    spans.push(if online {
        Span::styled("● online ", theme::online())
    } else {
        Span::styled("○ offline ", theme::dim())
    });
    if let Some(state) = app.key_state(peer) {
        let (word, style) = match state {
            chatd_api::TrustState::Verified => ("✓ key verified ", theme::good()),
            chatd_api::TrustState::Unverified => ("key unverified ", theme::dim()),
            chatd_api::TrustState::Changed => ("KEY CHANGED ", theme::bad()),
        };
        spans.push(Span::raw("· "));
        spans.push(Span::styled(word, style));
    }
    Line::from(spans)
}

fn conversation(frame: &mut Frame<'_>, areas: &ChatAreas, app: &App) {
    let convo = app.chat().convo.as_ref();
    let mut block = Block::bordered().border_style(pane_border(app, Pane::Messages));
    block = match convo {
        Some(c) => block.title(title(c, app)),
        None => block.title(Line::styled(" No conversation open ", theme::accent())),
    };
    if convo.is_some_and(|c| c.scroll > 0) {
        block = block
            .title_bottom(Line::styled(" ↓ newer below: PgDn ", theme::accent()).right_aligned());
    }
    if let Some(typing) = app.typing_line() {
        block =
            block.title_bottom(Line::styled(format!(" {typing} "), theme::dim()).left_aligned());
    }
    frame.render_widget(block, areas.convo);
    if let Some((label, ratio)) = app.transfer_gauge() {
        frame.render_widget(
            LineGauge::default()
                .ratio(ratio)
                .label(label)
                .filled_style(theme::accent())
                .unfilled_style(theme::dim()),
            areas.transfer,
        );
    }
    if let Some((level, text)) = app.key_banner() {
        frame.render_widget(
            Paragraph::new(text)
                .style(theme::banner(level))
                .wrap(Wrap { trim: true }),
            areas.banner,
        );
    } else if let Some(text) = app.members_line() {
        frame.render_widget(
            Paragraph::new(text)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            areas.banner,
        );
    }
    let area = areas.messages;
    let Some(convo) = convo else {
        let hint = "Pick a conversation on the left (Tab, then ↑ ↓ and Enter), or type \
                    /msg NAME to start one. Press F1 for help.";
        frame.render_widget(
            Paragraph::new(hint)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    };
    if convo.messages.is_empty() {
        let hint = if convo.loading {
            "Loading…".to_string()
        } else if convo.group().is_some() {
            format!(
                "No messages in {} yet: type below and press Enter; everyone in it gets it.",
                app.chat().title(&convo.chat)
            )
        } else {
            if app.me() == convo.peer() {
                "Your notes: what you write here is kept in your history, for you \
                 alone. Type below and press Enter."
                    .to_string()
            } else {
                format!(
                    "No messages with {} yet: type below and press Enter.",
                    app.chat().title(&convo.chat)
                )
            }
        };
        frame.render_widget(
            Paragraph::new(hint)
                .style(theme::dim())
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let rows = timeline::rows(convo.into(), usize::from(area.width), app.zone);
    let height = usize::from(area.height);
    let end = rows.len().saturating_sub(convo.scroll);
    let start = end.saturating_sub(height);
    // Newest at the bottom, just above the input, as in any chat.
    let blank = height.saturating_sub(end - start);
    let lines: Vec<Line<'static>> = std::iter::repeat_n(Line::default(), blank)
        .chain(
            rows.get(start..end)
                .unwrap_or_default()
                .iter()
                .map(row_line),
        )
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn row_line(row: &Row) -> Line<'static> {
    Line::from(
        row.0
            .iter()
            .map(|(text, tone)| Span::styled(text.clone(), theme::tone(*tone)))
            .collect::<Vec<_>>(),
    )
}

fn input(frame: &mut Frame<'_>, area: Rect, app: &App) {
    let chat = app.chat();
    let mut title = match chat.open_chat() {
        Some(c) if c.as_peer().is_some() && c.as_peer() == app.me() => {
            " Note to yourself ".to_string()
        }
        Some(c) => format!(" Message {} ", chat.title(c)),
        None => " Message (no conversation open) ".to_string(),
    };
    if app.draft_aside().is_some() {
        title.push_str("· your draft is back after the command ");
    }
    let focused = chat.pane == Pane::Input && chat.overlay.is_none() && app.switched().is_none();
    let mut block = Block::bordered()
        .title(Line::styled(title, theme::accent()))
        .title_bottom(
            Line::styled(" Enter send · Alt+Enter new line ", theme::dim()).right_aligned(),
        )
        .border_style(pane_border(app, Pane::Input));
    let inner = block.inner(area);
    let wrapped = app
        .input
        .wrapped(usize::from(inner.width.saturating_sub(1)), None);
    let visible = usize::from(inner.height).clamp(1, MAX_INPUT_ROWS);
    let first = (wrapped.cursor_row + 1).saturating_sub(visible);
    // More lines than the box shows: say so, and where.
    let below = wrapped.rows.len().saturating_sub(first + visible);
    let hidden = match (first, below) {
        (0, 0) => None,
        (above, 0) => Some(format!(" ↑ {above} more ")),
        (0, below) => Some(format!(" ↓ {below} more ")),
        (above, below) => Some(format!(" ↑ {above} ↓ {below} more ")),
    };
    if let Some(hidden) = hidden {
        block = block.title_bottom(Line::styled(hidden, theme::accent()).left_aligned());
    }
    frame.render_widget(block, area);
    let lines: Vec<Line<'static>> = wrapped
        .rows
        .iter()
        .skip(first)
        .take(visible)
        .map(|r| Line::raw(r.clone()))
        .collect();
    frame.render_widget(
        Paragraph::new(lines),
        top_rows(inner, u16::try_from(visible).unwrap_or(1)),
    );
    if focused {
        let row = u16::try_from(wrapped.cursor_row - first).unwrap_or(0);
        let col = u16::try_from(wrapped.cursor_col).unwrap_or(0);
        let x = (inner.x + col).min(inner.right().saturating_sub(1));
        let y = inner.y + row;
        if y < inner.bottom() {
            frame.set_cursor_position(Position::new(x, y));
        }
    }
}
