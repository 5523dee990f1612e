//! Every style in one place. Only the terminal's own named colours and text
//! attributes are used, never fixed RGB, white, black or grey, which vanish
//! on one background or the other: emphasis is bold, de-emphasis is dim,
//! selection is reversed, so dark and light terminals both read well.

use chatd_api::MessageStatus;
use ratatui::style::{Color, Modifier, Style};

use crate::app::notice::Level;
use crate::timeline::Tone;

/// Plain text.
pub fn text() -> Style {
    Style::new()
}

/// Less important text (timestamps, hints).
pub fn dim() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

/// Titles and the focused pane's border.
pub fn accent() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// Borders of panes without the keyboard.
pub fn border() -> Style {
    Style::new()
}

/// Bold, for labels and counts.
pub fn bold() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

/// The highlighted entry of a list.
pub fn selected() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// Online marker.
pub fn online() -> Style {
    Style::new().fg(Color::Green).add_modifier(Modifier::BOLD)
}

/// Something good happened (a check passed).
pub fn good() -> Style {
    Style::new().fg(Color::Green)
}

/// Something is wrong.
pub fn bad() -> Style {
    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
}

/// A notice or banner of `level`.
pub fn level(level: Level) -> Style {
    match level {
        Level::Info => Style::new().fg(Color::Green),
        Level::Warn => Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        Level::Error => bad(),
    }
}

/// A banner across a pane: reversed, so it stands out on any background.
pub fn banner(level: Level) -> Style {
    match level {
        Level::Error => Style::new()
            .fg(Color::Red)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD),
        other => self::level(other),
    }
}

/// The status bar.
pub fn status_bar() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

/// A piece of a conversation row.
pub fn tone(tone: Tone) -> Style {
    match tone {
        Tone::Time | Tone::Day => dim(),
        Tone::Me => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        Tone::Peer => Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
        Tone::Text => text(),
        Tone::Mark(status) => mark(status),
        Tone::System(chatd_api::NoticeKind::KeyChanged) => {
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)
        }
        Tone::System(chatd_api::NoticeKind::Verified) => Style::new().fg(Color::Green),
        Tone::System(chatd_api::NoticeKind::KeyAccepted) => Style::new().fg(Color::Yellow),
        Tone::Unread => Style::new().fg(Color::Red),
        Tone::Group => Style::new().fg(Color::Cyan).add_modifier(Modifier::ITALIC),
    }
}

fn mark(status: MessageStatus) -> Style {
    match status {
        MessageStatus::Sending => dim(),
        MessageStatus::Sent => text(),
        MessageStatus::Delivered => Style::new().fg(Color::Green),
        MessageStatus::Read => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        MessageStatus::Failed => bad(),
    }
}
