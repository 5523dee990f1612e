//! Files in words for the timeline, the gauge and the notices: sizes as
//! file managers show them, and file names (chosen by the sender) cleaned
//! of anything that could steer the terminal.

use chatd_api::{Direction, FileInfo, Message, Transfer, TransferDirection, TransferState};

/// A size for people (chatd-api's rule, shared with `chat`).
pub use chatd_api::domain::file_size as size;

/// A name with control characters (escapes, line breaks) shown as `�`.
pub fn clean(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

/// "📎 photo.jpg (1.2 MB)".
pub fn label(file: &FileInfo) -> String {
    format!("📎 {} ({})", clean(&file.name), size(file.size))
}

/// A file message's text in the timeline: its label, "saved" once a
/// received file is here, then the caption below.
pub fn text(m: &Message, file: &FileInfo) -> String {
    let mut out = label(file);
    if m.direction == Direction::In && file.path.is_some() {
        out.push_str(" · saved");
    }
    if !m.text.is_empty() {
        out.push('\n');
        out.push_str(&m.text);
    }
    out
}

/// "upload" or "download".
pub fn verb(t: &Transfer) -> &'static str {
    match t.direction {
        TransferDirection::Upload => "upload",
        TransferDirection::Download => "download",
    }
}

/// How far a transfer is, 0.0 to 1.0.
pub fn ratio(t: &Transfer) -> f64 {
    if t.total == 0 {
        return 0.0;
    }
    (t.bytes.min(t.total) as f64 / t.total as f64).clamp(0.0, 1.0)
}

/// The gauge's label: "↑ photo.jpg (1.2 MB) 45%", or why it waits.
pub fn gauge_label(t: &Transfer) -> String {
    let arrow = match t.direction {
        TransferDirection::Upload => "↑",
        TransferDirection::Download => "↓",
    };
    let name = format!("{arrow} {} ({})", clean(&t.name), size(t.size));
    match (t.state, &t.error) {
        (TransferState::Waiting, Some(why)) => format!("{name} waiting: {}", clean(why)),
        (TransferState::Waiting, None) => format!("{name} waiting"),
        _ => format!("{name} {:.0}%", ratio(t) * 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_names() {
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(1_234_567), "1.2 MB");
        assert_eq!(size(123_400_000), "123 MB");
        assert_eq!(clean("a\x1b[2J\nb.jpg"), "a\u{fffd}[2J\u{fffd}b.jpg");
    }
}
