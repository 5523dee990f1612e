//! Files and their transfers in words: "📎 photo.jpg (1.2 MB)" for a file
//! message, a sentence per change of a transfer's state, and the
//! `transfers` table. File names come from the sender, so every one goes
//! through [`safe`] before it reaches the terminal.

use chatd_api::{Direction, FileInfo, Message, Transfer, TransferDirection, TransferState};

use super::event::Known;
use super::table::{Align, render};
use super::text::safe;

/// A size for people (chatd-api's rule, shared with chat-tui).
pub use chatd_api::domain::file_size as size;

/// "📎 photo.jpg (1.2 MB)", the name made safe.
pub fn file_label(file: &FileInfo) -> String {
    format!("📎 {} ({})", safe(&file.name), size(file.size))
}

/// A file message's text for a timeline: the file line, what to do with
/// it (where our copy is, or the command that fetches it), then the
/// caption on lines of its own.
pub fn file_text(m: &Message, file: &FileInfo) -> String {
    let mut out = file_label(file);
    match (m.direction, &file.path) {
        (Direction::In, Some(path)) => out.push_str(&format!(" · saved as {}", safe(path))),
        (Direction::In, None) => {
            out.push_str(&format!(" · chat download {}", safe(&m.id)));
        }
        (Direction::Out, _) => {}
    }
    if !m.text.is_empty() {
        out.push('\n');
        out.push_str(&safe(&m.text));
    }
    out
}

/// A message's text as a timeline shows it: the caption and file line of
/// a file message, else the text (made safe either way).
pub fn message_text(m: &Message) -> String {
    match &m.file {
        Some(file) => file_text(m, file),
        None => safe(&m.text),
    }
}

/// "upload" or "download".
pub fn verb(direction: TransferDirection) -> &'static str {
    match direction {
        TransferDirection::Upload => "upload",
        TransferDirection::Download => "download",
    }
}

/// A state in a word or two.
pub fn state(state: TransferState) -> &'static str {
    match state {
        TransferState::Waiting => "waiting",
        TransferState::Active => "active",
        TransferState::Done => "done",
        TransferState::Failed => "failed",
        TransferState::Cancelled => "cancelled",
    }
}

/// Whole percent moved, 0 while the total is unknown.
pub fn percent(t: &Transfer) -> u64 {
    if t.total == 0 {
        return 0;
    }
    let pct = u128::from(t.bytes.min(t.total)) * 100 / u128::from(t.total);
    u64::try_from(pct).unwrap_or(100)
}

/// Whom a transfer is with: "to bob", "from bob", "in team" (the group
/// by its name when `names` knows it, else by its id).
pub fn party(t: &Transfer, names: &Known) -> String {
    match (&t.group, &t.peer, t.direction) {
        (Some(group), _, _) => format!("in {}", names.name(group)),
        (None, Some(peer), TransferDirection::Upload) => format!("to {}", safe(peer)),
        (None, Some(peer), TransferDirection::Download) => format!("from {}", safe(peer)),
        (None, None, _) => String::new(),
    }
}

/// One transfer event as a sentence for `chat watch`: "upload of
/// photo.jpg to bob: active, 45% of 1.2 MB" or "download of photo.jpg
/// from bob failed: the file was altered".
pub fn transfer_sentence(t: &Transfer, names: &Known) -> String {
    let party = party(t, names);
    let party = if party.is_empty() {
        String::new()
    } else {
        format!(" {party}")
    };
    let what = format!("{} of {}{party}", verb(t.direction), safe(&t.name));
    match t.state {
        TransferState::Waiting | TransferState::Active => {
            let mut out = format!(
                "{what}: {}, {}% of {}",
                state(t.state),
                percent(t),
                size(t.size)
            );
            if let Some(why) = &t.error {
                out.push_str(&format!(" ({})", safe(why)));
            }
            out
        }
        TransferState::Done => match (&t.path, t.direction) {
            (Some(path), TransferDirection::Download) => {
                format!("{what}: done, saved as {}", safe(path))
            }
            _ => format!("{what}: done"),
        },
        TransferState::Failed => match &t.error {
            Some(why) => format!("{what} failed: {}", safe(why)),
            None => format!("{what} failed"),
        },
        TransferState::Cancelled => format!("{what} was cancelled"),
    }
}

/// The `transfers` table: id, direction, state with progress, size,
/// name, and whom; a failure's reason on the row.
pub fn table(transfers: &[Transfer], names: &Known) -> String {
    if transfers.is_empty() {
        return "(no transfers: `chat send-file USER PATH` sends a file, `chat download \
                MESSAGE_ID` fetches one)\n"
            .to_string();
    }
    let rows: Vec<Vec<String>> = transfers
        .iter()
        .map(|t| {
            let progress = match t.state {
                TransferState::Waiting | TransferState::Active => {
                    format!("{} {}%", state(t.state), percent(t))
                }
                other => state(other).to_string(),
            };
            let mut name = format!("{} {}", safe(&t.name), party(t, names));
            if let Some(why) = &t.error {
                name.push_str(&format!(" ({})", safe(why)));
            }
            vec![
                safe(&t.id),
                verb(t.direction).to_string(),
                progress,
                size(t.size),
                name.trim_end().to_string(),
            ]
        })
        .collect();
    render(
        &rows,
        &[
            Align::Left,
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Left,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::MessageStatus;

    pub(crate) fn transfer(state: TransferState, bytes: u64) -> Transfer {
        Transfer {
            id: "7d9e0b1a-0000-4000-8000-000000000001".into(),
            message: "0f8a3c2e-1111-4222-8333-444455556666".into(),
            direction: TransferDirection::Upload,
            peer: Some("bob".into()),
            group: None,
            name: "photo.jpg".into(),
            size: 1_200_000,
            bytes,
            total: 1_300_000,
            state,
            error: None,
            path: None,
            created: 0,
            updated: 0,
        }
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(size(0), "0 bytes");
        assert_eq!(size(1), "1 byte");
        assert_eq!(size(999), "999 bytes");
        assert_eq!(size(1_000), "1.0 kB");
        assert_eq!(size(1_234_567), "1.2 MB");
        assert_eq!(size(45_600_000), "45.6 MB");
        assert_eq!(size(123_000_000), "123 MB");
        assert_eq!(size(999_999_999), "1.0 GB");
        assert_eq!(size(u64::MAX), "18447 PB");
    }

    fn file_message(direction: Direction, name: &str, caption: &str) -> Message {
        Message {
            id: "0f8a3c2e-1111-4222-8333-444455556666".into(),
            from: "bob".into(),
            to: "alice".into(),
            text: caption.into(),
            ts: 0,
            direction,
            status: MessageStatus::Delivered,
            group: None,
            receipts: None,
            file: Some(FileInfo {
                name: name.into(),
                size: 1_234_567,
                mime: "image/jpeg".into(),
                thumbnail: None,
                path: None,
                transfer: None,
            }),
        }
    }

    #[test]
    fn a_file_message_shows_name_size_caption_and_how_to_fetch_it() {
        let m = file_message(Direction::In, "photo.jpg", "the view");
        assert_eq!(
            message_text(&m),
            "📎 photo.jpg (1.2 MB) · chat download 0f8a3c2e-1111-4222-8333-444455556666\n\
             the view"
        );
        let mut saved = m.clone();
        if let Some(f) = saved.file.as_mut() {
            f.path = Some("/home/a/Downloads/photo.jpg".into());
        }
        saved.text.clear();
        assert_eq!(
            message_text(&saved),
            "📎 photo.jpg (1.2 MB) · saved as /home/a/Downloads/photo.jpg"
        );
        let out = file_message(Direction::Out, "photo.jpg", "");
        assert_eq!(message_text(&out), "📎 photo.jpg (1.2 MB)");
    }

    #[test]
    fn a_hostile_file_name_cannot_reach_the_terminal() {
        let m = file_message(Direction::Out, "x\x1b]0;owned\x07.jpg", "\x1b[2J");
        let text = message_text(&m);
        assert!(!text.contains('\x1b'), "{text:?}");
        assert!(text.contains("x\\u{1b}]0;owned\\u{7}.jpg"), "{text}");
    }

    #[test]
    fn transfer_events_read_as_sentences() {
        let active = transfer(TransferState::Active, 650_000);
        assert_eq!(
            transfer_sentence(&active, &Known::default()),
            "upload of photo.jpg to bob: active, 50% of 1.2 MB"
        );
        let mut failed = transfer(TransferState::Failed, 0);
        failed.direction = TransferDirection::Download;
        failed.error = Some("the file was altered".into());
        assert_eq!(
            transfer_sentence(&failed, &Known::default()),
            "download of photo.jpg from bob failed: the file was altered"
        );
        let mut done = failed.clone();
        done.state = TransferState::Done;
        done.error = None;
        done.path = Some("/tmp/photo.jpg".into());
        assert_eq!(
            transfer_sentence(&done, &Known::default()),
            "download of photo.jpg from bob: done, saved as /tmp/photo.jpg"
        );
        let cancelled = transfer(TransferState::Cancelled, 0);
        assert_eq!(
            transfer_sentence(&cancelled, &Known::default()),
            "upload of photo.jpg to bob was cancelled"
        );
    }

    #[test]
    fn the_table_has_ids_to_cancel_by() {
        let text = table(
            &[transfer(TransferState::Active, 1_300_000)],
            &Known::default(),
        );
        assert_eq!(
            text,
            "7d9e0b1a-0000-4000-8000-000000000001  upload  active 100%  1.2 MB  photo.jpg to bob\n"
        );
        assert!(table(&[], &Known::default()).contains("chat send-file"));
    }

    #[test]
    fn a_group_transfer_reads_with_the_group_name_when_known() {
        let mut t = transfer(TransferState::Done, 1_300_000);
        t.peer = None;
        t.group = Some("5b0c8f1e-2222-4333-8444-555566667777".into());
        let mut names = Known::default();
        assert_eq!(
            transfer_sentence(&t, &names),
            "upload of photo.jpg in 5b0c8f1e-2222-4333-8444-555566667777: done"
        );
        names.learn("5b0c8f1e-2222-4333-8444-555566667777", "team\x1b[2J");
        assert_eq!(
            transfer_sentence(&t, &names),
            "upload of photo.jpg in team\\u{1b}[2J: done"
        );
        assert!(table(&[t], &names).ends_with("photo.jpg in team\\u{1b}[2J\n"));
    }
}
