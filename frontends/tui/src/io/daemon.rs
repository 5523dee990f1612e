//! The task between the app and chatd. Attaching, resuming the event
//! stream and retrying are chatd-api's attach session; this task only turns
//! what the session reports into app messages and carries out the app's
//! requests on the current connection, answering them with why chatd
//! cannot be reached while it is away.

use std::path::{Path, PathBuf};

use chatd_api::Client;
use chatd_api::attach::{Attach, SeqStore, Update};
use tokio::sync::mpsc;

use super::calls::execute;
use crate::app::{Failure, Msg, Request};

/// The file inside the state directory where the last event shown is kept,
/// one line per chatd socket (`SEQ<TAB>SOCKET`).
pub const SEQ_FILE: &str = "chat-tui.seq";

/// Where to find chatd and where to remember the last event.
#[derive(Debug, Clone)]
pub struct Config {
    /// chatd's socket.
    pub socket: PathBuf,
    /// The last event shown, per socket; `None` keeps nothing.
    pub seq_store: Option<SeqStore>,
}

impl Config {
    /// chatd's socket at `socket`, remembering the last event shown in
    /// `$XDG_STATE_HOME/securechat/chat-tui.seq` (else
    /// `~/.local/state/securechat/chat-tui.seq`), so a chat-tui opened
    /// later shows what happened while it was closed (a key change, a
    /// refused message) rather than starting blind.
    pub fn for_socket(socket: &Path) -> Self {
        let seq_store = state_dir()
            .map(|dir| SeqStore::keyed(dir.join(SEQ_FILE), socket.display().to_string()));
        Self {
            socket: socket.to_path_buf(),
            seq_store,
        }
    }
}

/// Runs until `requests` closes (the app quit); every request gets an
/// answer, even while chatd is away.
pub async fn run(config: Config, mut requests: mpsc::Receiver<Request>, app: mpsc::Sender<Msg>) {
    let mut attach = Attach::new(Some(config.socket));
    // An unreadable seq file is no reason to refuse to start: without it
    // chat-tui starts from chatd's present, as on a first run.
    if let Some(store) = config.seq_store.filter(|s| s.load().is_ok()) {
        attach = attach.seq_store(store);
    }
    let Ok(mut session) = attach.start() else {
        return;
    };
    let mut client: Option<Client> = None;
    // Requests wait until the first attempt has an outcome.
    let mut away: Option<String> = None;
    let mut tried = false;
    loop {
        tokio::select! {
            update = session.next() => {
                let Some(update) = update else { break };
                tried = true;
                let msg = match update {
                    Update::Attached(a) => {
                        client = Some(a.client);
                        away = None;
                        Msg::Attached { status: a.status }
                    }
                    Update::Event(event) => Msg::Event(event),
                    Update::Detached(why) => {
                        client = None;
                        let reason = why.to_string();
                        away = Some(reason.clone());
                        Msg::Detached { reason }
                    }
                };
                if app.send(msg).await.is_err() {
                    break;
                }
            }
            request = requests.recv(), if tried => {
                let Some(request) = request else { break };
                match (&client, &away) {
                    (Some(client), _) => {
                        let (client, app) = (client.clone(), app.clone());
                        tokio::spawn(async move {
                            let outcome = execute(&client, &request).await;
                            let _ = app.send(Msg::Answer { request, outcome }).await;
                        });
                    }
                    (None, reason) => {
                        let reason = reason.clone().unwrap_or_default();
                        let outcome = Err(Failure::unreachable(reason));
                        if app.send(Msg::Answer { request, outcome }).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }
    // Saves how far the app got.
    let _ = session.close().await;
}

/// `$XDG_STATE_HOME/securechat`, else `~/.local/state/securechat`.
fn state_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
                .map(|h| h.join(".local/state"))
        })?;
    Some(base.join("securechat"))
}
