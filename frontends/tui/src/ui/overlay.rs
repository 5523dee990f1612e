//! Windows over the chat screen: the help, search results, and the
//! fingerprints to compare.

use chatd_api::{Fingerprint, MessageStatus, TrustState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

use super::{theme, wrapped_lines};
use crate::app::App;
use crate::app::chat::{KeysView, Overlay, SearchView};
use crate::app::commands::HELP;
use crate::layout::centered;
use crate::timeline::{Tone, mark};
use crate::wrap::{truncate, width};

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App, overlay: &Overlay) {
    let width = area.width.saturating_sub(4).min(76);
    // Inside the border and a column of padding on each side.
    let inner = usize::from(width.saturating_sub(4));
    let (title, lines, footer) = match overlay {
        Overlay::Help => (" Help ".to_string(), help(), " Esc closes "),
        Overlay::Search(view) => (
            format!(" Search: {} ", view.query),
            search(view, app, inner),
            " ↑ ↓ pick · Enter opens · Esc closes ",
        ),
        Overlay::Keys(view) => (
            " Fingerprints ".to_string(),
            keys(view, inner),
            " Esc closes ",
        ),
    };
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let boxed = centered(area, width, wanted.min(area.height.saturating_sub(2)));
    let block = Block::bordered()
        .title(Line::styled(title, theme::accent()))
        .title_bottom(Line::styled(footer, theme::dim()).right_aligned())
        .border_style(theme::accent())
        .padding(Padding::horizontal(1));
    frame.render_widget(Clear, boxed);
    frame.render_widget(Paragraph::new(lines).block(block), boxed);
}

fn key_line(keys: &str, what: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {keys:<22}"), theme::bold()),
        Span::raw(what.to_string()),
    ])
}

fn help() -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::styled("Keys", theme::accent()),
        key_line("Enter", "send the message or run the /command"),
        key_line("Alt+Enter, Ctrl+J", "new line in the message"),
        key_line("Tab, Shift+Tab", "next or previous pane"),
        key_line("PgUp, PgDn", "scroll the conversation (older loads)"),
        key_line("Ctrl+N, Ctrl+P", "next or previous conversation"),
        key_line("↑ ↓ Enter (left pane)", "pick and open a conversation"),
        key_line("Esc", "dismiss the notice, back to the input"),
        key_line("? (empty input), F1", "this help; Ctrl+C quits"),
        Line::styled("Commands", theme::accent()),
    ];
    for (command, what) in HELP {
        lines.push(key_line(command, what));
    }
    lines.push(Line::styled("Marks", theme::accent()));
    let mut marks = vec![Span::raw("  ")];
    for (status, word) in [
        (MessageStatus::Sending, " sending   "),
        (MessageStatus::Sent, " on the server   "),
        (MessageStatus::Delivered, " delivered   "),
        (MessageStatus::Read, "   "),
        (MessageStatus::Failed, ""),
    ] {
        marks.push(Span::styled(mark(status), theme::tone(Tone::Mark(status))));
        marks.push(Span::raw(word));
    }
    lines.push(Line::from(marks));
    lines
}

fn search(view: &SearchView, app: &App, room: usize) -> Vec<Line<'static>> {
    let Some(results) = &view.results else {
        return vec![Line::styled("Searching…", theme::dim())];
    };
    if results.is_empty() {
        return vec![Line::styled(
            format!("Nothing matches {:?}.", view.query),
            theme::dim(),
        )];
    }
    results
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let head = format!("{:<12} {}: ", app.zone.short(m.ts), m.from);
            let text = m.text.replace('\n', " ");
            let body = truncate(&text, room.saturating_sub(width(&head)));
            let style = if i == view.selected {
                theme::selected()
            } else {
                theme::text()
            };
            Line::from(vec![
                Span::styled(head, theme::dim().patch(style)),
                Span::styled(body, style),
            ])
        })
        .collect()
}

/// 64 hex digits as two rows of 8 groups of 4, to read aloud.
fn grouped(fingerprint: &str) -> [String; 2] {
    let chars: Vec<char> = fingerprint.chars().filter(|c| !c.is_whitespace()).collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    let half = groups.len().div_ceil(2);
    [
        groups.get(..half).unwrap_or_default().join(" "),
        groups.get(half..).unwrap_or_default().join(" "),
    ]
}

fn fingerprint_lines(label: String, f: &Fingerprint, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::styled(label, theme::bold()));
    for row in grouped(&f.fingerprint) {
        lines.push(Line::raw(format!("    {row}")));
    }
}

fn keys(view: &KeysView, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &view.own {
        Some(own) => fingerprint_lines(format!("Yours ({}):", own.user), own, &mut lines),
        None => lines.push(Line::styled("Yours: asking chatd…", theme::dim())),
    }
    let Some(user) = &view.user else {
        lines.push(Line::default());
        lines.extend(wrapped_lines(
            "Read yours to the people you talk to, in person or on a call.",
            width,
            theme::text(),
        ));
        return lines;
    };
    lines.push(Line::default());
    match (&view.theirs, &view.error) {
        (Some(theirs), _) => {
            let state = match theirs.state {
                TrustState::Verified => "verified",
                TrustState::Unverified => "unverified",
                TrustState::Changed => "CHANGED",
            };
            fingerprint_lines(format!("{user} ({state}):"), theirs, &mut lines);
            lines.push(Line::default());
            let next = match theirs.state {
                TrustState::Unverified => format!(
                    "Compare it with {user} in person or on a call. If it matches, type \
                     /verify followed by the fingerprint."
                ),
                TrustState::Verified => "You compared it before; it has not changed.".into(),
                TrustState::Changed => format!(
                    "{user}'s key is not the one you had. Compare this new one with {user}; \
                     /trust accepts it, /verify with it accepts and verifies it."
                ),
            };
            let style = if theirs.state == TrustState::Changed {
                theme::bad()
            } else {
                theme::text()
            };
            lines.extend(wrapped_lines(&next, width, style));
        }
        (None, Some(error)) => {
            lines.extend(wrapped_lines(
                &format!("{user}: {error}"),
                width,
                theme::bad(),
            ));
        }
        (None, None) => lines.push(Line::styled(format!("{user}: asking chatd…"), theme::dim())),
    }
    lines
}
