//! Files in the app: `/send-file`, `/download` and `/cancel` in the open
//! conversation, the `transfer` events that move its gauge, and the
//! notices when a transfer ends (saved, failed, cancelled), each said
//! once however often chatd's replay repeats it.

use chatd_api::{Transfer, TransferDirection, TransferState};

use super::notice::Level;
use super::{Answer, App, Outcome, Request};
use crate::files::{clean, gauge_label, ratio, verb};

/// Where to open a conversation first, for the file commands.
const NO_CONVO: &str = "open a conversation first (/msg NAME, or pick one on the left)";

impl App {
    /// `/send-file PATH`: into the open conversation.
    pub(super) fn send_file(&mut self, path: String, caption: Option<String>) {
        match self.chat.open_chat().cloned() {
            Some(chat) => self.call(Request::SendFile {
                chat,
                path,
                caption,
            }),
            None => self.say(Level::Error, NO_CONVO),
        }
    }

    /// `/download [N]`: the `n`th newest file of the open conversation.
    pub(super) fn download(&mut self, n: usize) {
        let Some(convo) = self.chat.convo.as_ref() else {
            self.say(Level::Error, NO_CONVO);
            return;
        };
        let Some(m) = convo.nth_file(n) else {
            let why = match n {
                1 => "no file in this conversation to download".to_string(),
                n => format!("this conversation has fewer than {n} files"),
            };
            self.say(Level::Error, why);
            return;
        };
        let Some(file) = m.file.as_ref() else {
            return;
        };
        let name = clean(&file.name);
        if let Some(path) = &file.path {
            let text = format!("{name} is here already: {}", clean(path));
            self.say(Level::Info, text);
            return;
        }
        let id = m.id.clone();
        self.call(Request::Download { id, name });
    }

    /// `/cancel`: the newest transfer of the open conversation.
    pub(super) fn cancel_transfer(&mut self) {
        let newest = self
            .chat
            .open_chat()
            .and_then(|chat| self.chat.transfers_in(chat).last().map(|t| t.id.clone()));
        match newest {
            Some(id) => self.call(Request::CancelTransfer { id }),
            None => self.say(Level::Error, "no transfer in this conversation to cancel"),
        }
    }

    /// A `transfer` event, or a transfer in an answer: the gauge follows
    /// it; its end is said once, and a finished download shows as saved.
    pub(super) fn transfer_event(&mut self, t: Transfer) {
        if t.state == TransferState::Done
            && t.direction == TransferDirection::Download
            && let (Some(path), Some(convo)) = (&t.path, self.chat.convo.as_mut())
        {
            convo.file_saved(&t.message, path);
        }
        let said = ending(&t);
        if self.chat.transfer(t)
            && let Some((level, text)) = said
        {
            self.say(level, text);
        }
    }

    /// The answers to the file requests.
    pub(super) fn file_answer(&mut self, request: Request, outcome: Outcome) {
        match (request, outcome) {
            (Request::SendFile { .. }, Ok(Answer::FileSent(sent))) => {
                self.transfer_event(sent.transfer);
            }
            (Request::Download { name, .. }, Ok(Answer::Transfer(t))) => {
                if !t.state.is_final() {
                    self.say(Level::Info, format!("downloading {name}…"));
                }
                self.transfer_event(t);
            }
            (Request::CancelTransfer { .. }, Ok(Answer::Transfer(t))) => self.transfer_event(t),
            (Request::SendFile { path, .. }, Err(f)) => {
                self.say(Level::Error, format!("cannot send {path}: {}", f.message));
            }
            (Request::Download { name, .. }, Err(f)) => {
                self.say(
                    Level::Error,
                    format!("cannot download {name}: {}", f.message),
                );
            }
            (Request::CancelTransfer { .. }, Err(f)) => {
                self.say(Level::Error, format!("cannot cancel: {}", f.message));
            }
            _ => {}
        }
    }

    /// The gauge under the open conversation: its newest transfer that
    /// has not ended (label and how far, 0 to 1), "+N more" when there are
    /// others.
    pub fn transfer_gauge(&self) -> Option<(String, f64)> {
        let chat = self.chat.open_chat()?;
        let moving = self.chat.transfers_in(chat);
        let newest = moving.last()?;
        let mut label = gauge_label(newest);
        if moving.len() > 1 {
            label.push_str(&format!(" (+{} more)", moving.len() - 1));
        }
        Some((label, ratio(newest)))
    }
}

/// What to say when a transfer ends; nothing while it moves.
fn ending(t: &Transfer) -> Option<(Level, String)> {
    let name = clean(&t.name);
    let verb = verb(t);
    match t.state {
        TransferState::Waiting | TransferState::Active => None,
        TransferState::Done => match (t.direction, &t.path) {
            (TransferDirection::Download, Some(path)) => {
                Some((Level::Info, format!("saved {name} as {}", clean(path))))
            }
            _ => None,
        },
        TransferState::Failed => {
            let why = t
                .error
                .as_deref()
                .map_or(String::new(), |e| format!(": {}", clean(e)));
            Some((Level::Error, format!("the {verb} of {name} failed{why}")))
        }
        TransferState::Cancelled => {
            Some((Level::Info, format!("the {verb} of {name} was cancelled")))
        }
    }
}
