//! Windows over the chat screen: the help, search results, and the
//! fingerprints to compare.

use chatd_api::{Fingerprint, MessageStatus, TrustState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

use super::{theme, wrapped_lines};
use crate::app::chat::{KeysView, Overlay, SearchView};
use crate::app::commands::HELP;
use crate::app::{App, Switched};
use crate::layout::centered;
use crate::timeline::{Tone, mark};
use crate::wrap::{truncate, width};

/// The overlay's box within `area`, its lines, and how many of them fit.
struct Laid {
    boxed: Rect,
    title: String,
    footer: &'static str,
    lines: Vec<Line<'static>>,
    visible: usize,
}

fn lay_out(area: Rect, app: &App, overlay: &Overlay) -> Laid {
    let width = area.width.saturating_sub(4).min(76);
    // Inside the border and a column of padding on each side.
    let inner = usize::from(width.saturating_sub(4));
    let (title, lines, footer) = match overlay {
        Overlay::Help => (" Help ".to_string(), help(inner), " Esc closes "),
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
        Overlay::Group(id) => (
            format!(" {} ", app.chat().title(&chatd_api::Chat::group(id))),
            group(app, id, inner),
            " Esc closes ",
        ),
    };
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let boxed = centered(area, width, wanted.min(area.height.saturating_sub(2)));
    let visible = usize::from(boxed.height.saturating_sub(2));
    Laid {
        boxed,
        title,
        footer,
        lines,
        visible,
    }
}

/// How far the help or the fingerprints can scroll at this size: the
/// app keeps its scroll offset within it.
pub fn max_scroll(app: &App, overlay: &Overlay) -> usize {
    let (w, h) = app.size();
    let laid = lay_out(Rect::new(0, 0, w, h), app, overlay);
    laid.lines.len().saturating_sub(laid.visible)
}

pub(super) fn render(frame: &mut Frame<'_>, area: Rect, app: &App, overlay: &Overlay) {
    let laid = lay_out(area, app, overlay);
    let more = laid.lines.len() > laid.visible && !matches!(overlay, Overlay::Search(_));
    let scroll = app
        .chat()
        .overlay_scroll
        .min(laid.lines.len().saturating_sub(laid.visible));
    let mut block = Block::bordered()
        .title(Line::styled(laid.title, theme::accent()))
        .border_style(theme::accent())
        .padding(Padding::horizontal(1));
    if more {
        // Never a silent cut: say where the rest is and how to get there.
        let below = scroll + laid.visible < laid.lines.len();
        let marker = match (scroll > 0, below) {
            (true, true) => " ▲▼ more: ↑ ↓ PgUp PgDn ",
            (false, _) => " ▼ more below: ↓ PgDn ",
            (true, false) => " ▲ more above: ↑ PgUp ",
        };
        block = block
            .title_bottom(Line::styled(marker, theme::accent()))
            .title_bottom(Line::styled(" Esc ", theme::dim()).right_aligned());
    } else {
        block = block.title_bottom(Line::styled(laid.footer, theme::dim()).right_aligned());
    }
    let lines: Vec<Line<'static>> = if more {
        laid.lines.into_iter().skip(scroll).collect()
    } else {
        laid.lines
    };
    frame.render_widget(Clear, laid.boxed);
    frame.render_widget(Paragraph::new(lines).block(block), laid.boxed);
}

/// The box over a screen that changed under the person's hands: what
/// happened, that what they typed is gone, and the one key that goes on.
pub(super) fn switched(frame: &mut Frame<'_>, area: Rect, switched: &Switched) {
    let width = area.width.saturating_sub(4).min(60);
    let inner = usize::from(width.saturating_sub(4));
    let (title, text) = match switched {
        Switched::LoggedIn => (
            " Logged in elsewhere ",
            "chatd was logged in by another program. What you were typing was discarded \
             and nothing was sent."
                .to_string(),
        ),
        Switched::LoggedOut => (
            " Logged out ",
            "chatd is no longer logged in (logged out by another program, or its session \
             ended). What you were typing was discarded and nothing was sent."
                .to_string(),
        ),
    };
    let mut lines = wrapped_lines(&text, inner, theme::text());
    lines.push(Line::default());
    lines.push(Line::styled("Press Esc to go on.", theme::bold()));
    let wanted = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let boxed = centered(area, width, wanted.min(area.height));
    let block = Block::bordered()
        .title(Line::styled(title, theme::accent()))
        .border_style(theme::accent())
        .padding(Padding::horizontal(1));
    frame.render_widget(Clear, boxed);
    frame.render_widget(Paragraph::new(lines).block(block), boxed);
}

/// Columns of the key column in the help.
const KEY_COLUMN: usize = 22;

fn width_of(s: &str) -> usize {
    width(s)
}

fn key_line(keys: &str, what: &str) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("  {keys:<KEY_COLUMN$}"), theme::bold()),
        Span::raw(what.to_string()),
    ])
}

/// Every key, for the help overlay.
pub const KEYS: &[(&str, &str)] = &[
    ("Enter", "send the message or run the /command"),
    ("Alt+Enter, Ctrl+J", "new line in the message"),
    ("Tab, Shift+Tab", "next or previous pane"),
    ("PgUp, PgDn", "scroll the conversation (older loads)"),
    ("Ctrl+N, Ctrl+P", "next or previous conversation"),
    ("↑ ↓ Enter (left pane)", "pick and open a conversation"),
    ("Esc", "dismiss the notice, back to the input"),
    ("F1, or ? and Enter", "this help; Ctrl+C quits"),
    ("Ctrl+U", "clear the whole draft"),
    ("↑ ↓ (input)", "lines you sent before"),
    ("Tab (after a word)", "complete a name or a command"),
];

/// `keys` then `what`, on one row when it fits, else `what` on the rows
/// below, indented.
fn key_lines(keys: &str, what: &str, width: usize, lines: &mut Vec<Line<'static>>) {
    if width_of(keys) < KEY_COLUMN && 2 + KEY_COLUMN + width_of(what) <= width {
        lines.push(key_line(keys, what));
        return;
    }
    lines.push(Line::styled(format!("  {keys}"), theme::bold()));
    for row in crate::wrap::wrap(
        what,
        width.saturating_sub(4).max(1),
        width.saturating_sub(4).max(1),
    ) {
        lines.push(Line::raw(format!("    {row}")));
    }
}

fn help(width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("Keys", theme::accent())];
    for (keys, what) in KEYS {
        key_lines(keys, what, width, &mut lines);
    }
    lines.push(Line::styled("Commands", theme::accent()));
    for (command, what) in HELP {
        key_lines(command, what, width, &mut lines);
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
            let place = m
                .group
                .as_ref()
                .map(|g| format!("#{} ", g.name))
                .unwrap_or_default();
            let head = format!("{:<12} {place}{}: ", app.zone.short(m.ts), m.from);
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

/// `/info`: a group's members, with admin, presence and key marks, and
/// what can be done.
fn group(app: &App, id: &str, width: usize) -> Vec<Line<'static>> {
    let Some(g) = app.chat().group(id) else {
        return vec![Line::styled("Asking chatd…", theme::dim())];
    };
    let mut lines = vec![Line::styled(
        format!(
            "{} members · version {} · id {}",
            g.members.len(),
            g.version,
            g.id
        ),
        theme::dim(),
    )];
    if !g.is_member {
        lines.extend(wrapped_lines(
            "You are no longer a member: nothing is sent to you, and what you send is refused.",
            width,
            theme::bad(),
        ));
    }
    lines.push(Line::default());
    for m in &g.members {
        let me = app.me() == Some(m.user.as_str());
        let (dot, style) = if me || m.online {
            ("● ", theme::online())
        } else {
            ("○ ", theme::dim())
        };
        let mut spans = vec![
            Span::raw("  "),
            Span::styled(dot, style),
            Span::styled(m.user.clone(), theme::bold()),
        ];
        if me {
            spans.push(Span::raw(" (you)"));
        }
        if m.admin {
            spans.push(Span::styled(" ★ admin", theme::accent()));
        }
        let changed = m.trust == Some(TrustState::Changed)
            || app.chat().key_alerts.iter().any(|u| u == &m.user);
        let key = match m.trust {
            _ if changed => Some((
                " !key changed: /msg them, /fingerprint, /trust",
                theme::bad(),
            )),
            Some(TrustState::Verified) => Some((" ✓ key verified", theme::good())),
            Some(TrustState::Unverified) => Some((" key unverified", theme::dim())),
            _ => None,
        };
        if let Some((word, style)) = key {
            spans.push(Span::styled(word, style));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::default());
    lines.extend(wrapped_lines(
        "Admins: /add USER, /remove USER, /admin USER [off]. Everyone: /leave.",
        width,
        theme::dim(),
    ));
    lines
}

/// Columns before each row of a fingerprint.
const INDENT: usize = 4;

/// 64 hex digits in groups of 4, to read aloud: 8 groups a row when they
/// fit, fewer (never a cut group) in a narrow window.
pub fn grouped(fingerprint: &str, width: usize) -> Vec<String> {
    let chars: Vec<char> = fingerprint.chars().filter(|c| !c.is_whitespace()).collect();
    let groups: Vec<String> = chars.chunks(4).map(|g| g.iter().collect()).collect();
    // n groups take 5n - 1 columns.
    let per_row = ((width.saturating_sub(INDENT) + 1) / 5).clamp(1, 8);
    groups.chunks(per_row).map(|row| row.join(" ")).collect()
}

/// The 60-digit safety number in its groups of 5, to read aloud: up to 6
/// groups a row, fewer (never a cut group) in a narrow window.
pub fn safety_rows(number: &str, width: usize) -> Vec<String> {
    let groups: Vec<&str> = number.split_whitespace().collect();
    // n groups take 6n - 1 columns.
    let per_row = ((width.saturating_sub(INDENT) + 1) / 6).clamp(1, 6);
    groups.chunks(per_row).map(|row| row.join(" ")).collect()
}

fn fingerprint_lines(label: String, f: &Fingerprint, width: usize, lines: &mut Vec<Line<'static>>) {
    lines.push(Line::styled(label, theme::bold()));
    let indent = " ".repeat(INDENT.min(width.saturating_sub(4)));
    for row in grouped(&f.fingerprint, width) {
        lines.push(Line::raw(format!("{indent}{row}")));
    }
}

fn keys(view: &KeysView, width: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match &view.own {
        Some(own) => fingerprint_lines(format!("Yours ({}):", own.user), own, width, &mut lines),
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
            fingerprint_lines(format!("{user} ({state}):"), theirs, width, &mut lines);
            if let Some(number) = &theirs.safety_number {
                lines.push(Line::default());
                lines.push(Line::styled(
                    format!("Safety number (you and {user}, the same on both sides):"),
                    theme::bold(),
                ));
                let indent = " ".repeat(INDENT.min(width.saturating_sub(4)));
                for row in safety_rows(number, width) {
                    lines.push(Line::raw(format!("{indent}{row}")));
                }
            }
            lines.push(Line::default());
            let next = match theirs.state {
                TrustState::Unverified if theirs.safety_number.is_some() => format!(
                    "Compare it (or the safety number) with {user} in person or on a call. \
                     If it matches, type /verify followed by the fingerprint."
                ),
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
