//! Files in conversations: the transfer of each file message as chatd's
//! `transfer` events and answers report it (the newest transfer per
//! message wins; progress never moves a transfer that has ended), and
//! what a file message shows from that: a progress bar, the local copy to
//! open, or the last failure beside a Download button.

use std::collections::HashMap;

use chatd_api::{Message, Transfer, TransferState};

/// The transfer of each file message, by message id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Transfers {
    by_message: HashMap<String, Transfer>,
}

/// Where a file message's file is, for the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FileStatus<'a> {
    /// No local copy: not downloaded yet, or the last transfer ended
    /// without one (`ended` says how, for a failed or cancelled one).
    Remote {
        /// The transfer that ended without a file, if any.
        ended: Option<&'a Transfer>,
    },
    /// An upload or download waiting or moving.
    Moving {
        /// The transfer.
        transfer: &'a Transfer,
        /// How far, 0 to 1.
        fraction: f32,
    },
    /// Here, at this path (the file sent, or the file downloaded).
    Local {
        /// The local copy.
        path: &'a str,
        /// The last transfer, when it ended without success (an upload
        /// that failed: the sender still has the file).
        ended: Option<&'a Transfer>,
    },
}

impl Transfers {
    /// Takes a transfer from an event (`progress`: only its bytes moved)
    /// or an answer; false when it was stale and ignored.
    pub fn apply(&mut self, transfer: Transfer, progress: bool) -> bool {
        match self.by_message.get_mut(&transfer.message) {
            Some(known) if known.id == transfer.id => {
                if known.state.is_final() && (progress || !transfer.state.is_final()) {
                    // An ended transfer does not move again; a late
                    // progress report (or a replayed older state) is stale.
                    return false;
                }
                if progress {
                    known.bytes = known.bytes.max(transfer.bytes);
                    known.total = transfer.total;
                } else {
                    *known = transfer;
                }
                true
            }
            // A retry is a newer transfer of the same message.
            Some(known) if known.created > transfer.created => false,
            _ => {
                self.by_message.insert(transfer.message.clone(), transfer);
                true
            }
        }
    }

    /// The newest transfer of a message, if any.
    pub fn of(&self, message: &str) -> Option<&Transfer> {
        self.by_message.get(message)
    }

    /// Forgets every transfer (another account).
    pub fn clear(&mut self) {
        self.by_message.clear();
    }

    /// Where `message`'s file is; `None` when it is not a file message.
    pub fn status<'a>(&'a self, message: &'a Message) -> Option<FileStatus<'a>> {
        let file = message.file.as_ref()?;
        let transfer = self.of(&message.id);
        if let Some(t) = transfer
            && !t.state.is_final()
        {
            return Some(FileStatus::Moving {
                transfer: t,
                fraction: fraction(t),
            });
        }
        let done_path = transfer
            .filter(|t| t.state == TransferState::Done)
            .and_then(|t| t.path.as_deref());
        let ended = transfer.filter(|t| t.state != TransferState::Done);
        match file.path.as_deref().or(done_path) {
            Some(path) => Some(FileStatus::Local { path, ended }),
            None => Some(FileStatus::Remote { ended }),
        }
    }
}

/// How far a transfer is, 0 to 1 (0 while its size is not known).
pub fn fraction(t: &Transfer) -> f32 {
    if t.total == 0 {
        return 0.0;
    }
    // The clamp covers a report of more bytes than the total.
    (t.bytes as f64 / t.total as f64).clamp(0.0, 1.0) as f32
}

/// A file's name from a peer as shown: control characters and the
/// invisible bidirectional overrides (which make "exe.jpg" read as
/// "gpj.exe") become "_" (a character every font has), and an empty name
/// says "file".
pub fn shown_name(name: &str) -> String {
    let shown: String = name
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi { '_' } else { c }
        })
        .collect();
    if shown.trim().is_empty() {
        "file".to_string()
    } else {
        shown
    }
}
