//! The worker's loop around chatd-api's attach session (which attaches,
//! resumes the event stream with `since` and retries with backoff): it
//! turns what the session reports into updates for the UI, loads what the
//! UI shows, and runs commands on the current connection.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chatd_api::attach::{Attach, Attached, Update as Session};
use chatd_api::{
    Chat, Client, ClientError, ConnectionState, DownloadParams, Empty, EventBody, GroupInfo,
    HistoryParams, SendFileParams, SettingsPatch, TransferParams, UsersParams, call,
};
use tokio::sync::mpsc;
use zeroize::Zeroize as _;

use super::{Command, Failure, Link, Update, Waker};

/// How often the list of people online is refreshed (presence events only
/// cover people we have talked to).
const ONLINE_REFRESH: Duration = Duration::from_secs(15);
/// Messages loaded when a conversation opens.
const HISTORY_PAGE: u32 = 200;
/// People listed online, and matches shown for a search.
const USERS_PAGE: u32 = 200;

/// Sends updates to the UI and wakes it.
#[derive(Clone)]
pub(super) struct Sink {
    tx: mpsc::Sender<Update>,
    waker: Waker,
}

impl Sink {
    pub(super) fn new(tx: mpsc::Sender<Update>, waker: Waker) -> Self {
        Self { tx, waker }
    }

    /// Queues an update; false once the UI is gone.
    async fn send(&self, update: Update) -> bool {
        let ok = self.tx.send(update).await.is_ok();
        (self.waker)();
        ok
    }

    async fn failed(&self, what: &str, e: ClientError) {
        let failure = Failure::from(e);
        self.send(Update::Failed {
            what: what.to_string(),
            failure,
        })
        .await;
    }
}

/// The worker's state between updates.
struct Worker {
    sink: Sink,
    /// The socket, as the not-running view shows it.
    socket: Option<String>,
    /// The connection of the current attachment.
    client: Option<Client>,
    /// The conversation on screen, told to chatd again after a reattach.
    focus: Option<Chat>,
}

/// Runs until the UI drops its end of the command queue. chat-gui keeps no
/// seq file: after a restart it loads chatd's present state instead.
pub(super) async fn run(
    socket: Option<PathBuf>,
    mut commands: mpsc::Receiver<Command>,
    sink: Sink,
) {
    let path = socket.or_else(chatd_api::paths::default_socket);
    let mut worker = Worker {
        sink,
        socket: path.as_ref().map(|p| p.display().to_string()),
        client: None,
        focus: None,
    };
    // Without a seq store, starting cannot fail.
    let Ok(mut session) = Attach::new(path).start() else {
        return;
    };
    if !worker.sink.send(Update::Link(Link::Connecting)).await {
        return;
    }
    let mut online = tokio::time::interval(ONLINE_REFRESH);
    loop {
        let go_on = tokio::select! {
            update = session.next() => match update {
                Some(update) => worker.update(update).await,
                None => false,
            },
            command = commands.recv() => match command {
                None => false,
                Some(Command::Reconnect) => {
                    session.retry_now();
                    true
                }
                Some(command) => worker.command(command).await,
            },
            _ = online.tick() => {
                if let Some(client) = &worker.client {
                    tokio::spawn(load_online(client.clone(), worker.sink.clone()));
                }
                true
            }
        };
        if !go_on {
            return;
        }
    }
}

impl Worker {
    /// Passes on what the session reports; false once the UI is gone.
    async fn update(&mut self, update: Session) -> bool {
        match update {
            Session::Attached(Attached { client, .. }) => {
                if !self.sink.send(Update::Link(Link::Attached)).await {
                    return false;
                }
                if let Some(chat) = &self.focus {
                    let _ = client.focus_on(Some(chat)).await;
                }
                tokio::spawn(refresh(client.clone(), self.sink.clone()));
                self.client = Some(client);
                true
            }
            Session::Event(event) => {
                if let Some(client) = &self.client {
                    follow_up(client, &event.body, &self.sink);
                }
                self.sink.send(Update::Event(event)).await
            }
            Session::Detached(why) => {
                self.client = None;
                let link = Link::NotRunning {
                    socket: self.socket.clone(),
                    message: why.to_string(),
                };
                self.sink.send(Update::Link(link)).await
            }
        }
    }

    /// Runs a command on the current connection, or says chatd is away;
    /// false once the UI is gone.
    async fn command(&mut self, command: Command) -> bool {
        // The desktop's, not chatd's: they work without chatd.
        match command {
            Command::PickFile { chat } => {
                tokio::spawn(pick_file(chat, self.sink.clone()));
                return true;
            }
            Command::Open { path, folder } => {
                tokio::spawn(open_path(path, folder, self.sink.clone()));
                return true;
            }
            _ => {}
        }
        if let Command::Focus { chat } = &command {
            // In order, not spawned: the last focus must win. Remembered
            // and sent again on attach.
            self.focus = chat.clone();
            if let Some(client) = &self.client
                && let Err(e) = client.focus_on(chat.as_ref()).await
            {
                self.sink
                    .failed("telling chatd which conversation is open", e)
                    .await;
            }
            return true;
        }
        match &self.client {
            Some(client) => {
                tokio::spawn(handle(client.clone(), command, self.sink.clone()));
                true
            }
            None => {
                let failure = Failure {
                    code: None,
                    message: "chatd is not running; start it with `systemctl --user start \
                              chatd` or run `chatd`, then try again"
                        .into(),
                };
                self.sink
                    .send(Update::Failed {
                        what: "talking to chatd".into(),
                        failure,
                    })
                    .await
            }
        }
    }
}

/// Loads what an event makes stale.
fn follow_up(client: &Client, body: &EventBody, sink: &Sink) {
    if let EventBody::Connection { .. } = body {
        tokio::spawn(refresh(client.clone(), sink.clone()));
    }
}

/// Loads the status and, for an account, its conversations and who is
/// online.
async fn refresh(client: Client, sink: Sink) {
    let status = match client.status().await {
        Ok(status) => status,
        Err(e) => return sink.failed("asking chatd for its status", e).await,
    };
    let logged_in = status.state == ConnectionState::LoggedIn;
    let has_account = status.username.is_some();
    sink.send(Update::Status(status)).await;
    // An older chatd has no settings: the window then shows none.
    if let Ok(settings) = client.settings().await {
        sink.send(Update::Settings(settings)).await;
    }
    if has_account {
        match client.conversations().await {
            Ok(c) => {
                sink.send(Update::Conversations(c.conversations)).await;
            }
            Err(e) => sink.failed("loading the conversations", e).await,
        }
        // A chatd without groups has none to show.
        if let Ok(g) = client.groups().await {
            sink.send(Update::Groups(g.groups)).await;
        }
        // Transfers moving now (and recent ones), whose progress events
        // came while this window was not attached; a chatd without files
        // has none.
        if let Ok(t) = client.invoke::<call::Transfers>(&Empty {}).await {
            for transfer in t.transfers.into_iter().rev() {
                sink.send(Update::Transfer(transfer)).await;
            }
        }
    }
    if logged_in {
        load_online(client, sink).await;
    }
}

/// Loads who is online. Quietly skipped when chatd is not logged in.
async fn load_online(client: Client, sink: Sink) {
    let params = UsersParams {
        prefix: None,
        limit: Some(USERS_PAGE),
        online_only: Some(true),
    };
    if let Ok(users) = client.users(&params).await {
        sink.send(Update::Online(users.users)).await;
    }
}

/// Runs one command and reports its outcome.
async fn handle(client: Client, command: Command, sink: Sink) {
    match command {
        Command::Login {
            username,
            mut password,
        } => {
            let result = client.login(&username, &password).await;
            password.zeroize();
            auth_done(client, result, sink).await;
        }
        Command::Signup {
            username,
            mut password,
        } => {
            let result = client.signup(&username, &password).await;
            password.zeroize();
            auth_done(client, result, sink).await;
        }
        Command::Logout => {
            if let Err(e) = client.logout().await {
                sink.failed("logging out", e).await;
            }
            refresh(client, sink).await;
        }
        Command::Send { chat, text } => {
            let result = client.send_in(&chat, &text).await.map_err(Failure::from);
            sink.send(Update::Sent { chat, text, result }).await;
        }
        Command::History { chat, before } => {
            let params = HistoryParams {
                peer: chat.as_peer().map(str::to_string),
                group: chat.as_group().map(str::to_string),
                limit: Some(HISTORY_PAGE),
                before,
            };
            match client.history(&params).await {
                Ok(h) => {
                    let complete = h.messages.len() < HISTORY_PAGE as usize;
                    sink.send(Update::History {
                        chat,
                        before,
                        messages: h.messages,
                        notices: h.notices,
                        complete,
                    })
                    .await;
                }
                Err(e) => {
                    let failure = Failure::from(e);
                    sink.send(Update::HistoryFailed { chat, failure }).await;
                }
            }
        }
        Command::MarkRead { chat, up_to } => {
            if let Err(e) = client.mark_read_in(&chat, Some(&up_to)).await {
                sink.failed("marking messages read", e).await;
            }
        }
        Command::Typing { chat } => {
            // Best effort and never news: chatd says `sent: false` when it
            // coalesced, is offline or the setting is off.
            let _ = client.typing(&chat).await;
        }
        Command::SetTypingIndicators(on) => {
            let patch = SettingsPatch {
                read_receipts: None,
                typing_indicators: Some(on),
            };
            match client.set_settings(&patch).await {
                Ok(settings) => {
                    sink.send(Update::Settings(settings)).await;
                }
                Err(e) => {
                    sink.failed("changing the typing-indicator setting", e)
                        .await;
                }
            }
        }
        Command::Groups => {
            // Quietly nothing from a chatd without groups, as in `refresh`.
            if let Ok(g) = client.groups().await {
                sink.send(Update::Groups(g.groups)).await;
            }
        }
        Command::GroupCreate { name, members } => {
            let result = client.group_create(&name, &members).await;
            group_done(true, result, &sink).await;
        }
        Command::GroupAdd { group, users } => {
            group_done(false, client.group_add(&group, &users).await, &sink).await;
        }
        Command::GroupRemove { group, users } => {
            group_done(false, client.group_remove(&group, &users).await, &sink).await;
        }
        Command::GroupLeave { group } => {
            group_done(false, client.group_leave(&group).await, &sink).await;
        }
        Command::GroupAdmin { group, user, admin } => {
            let result = client.group_admin(&group, &user, admin).await;
            group_done(false, result, &sink).await;
        }
        Command::SetReadReceipts(on) => {
            let patch = SettingsPatch {
                read_receipts: Some(on),
                typing_indicators: None,
            };
            match client.set_settings(&patch).await {
                Ok(settings) => {
                    sink.send(Update::Settings(settings)).await;
                }
                Err(e) => sink.failed("changing the read-receipt setting", e).await,
            }
        }
        Command::Directory { prefix } => {
            let params = UsersParams {
                prefix: Some(prefix.clone()),
                limit: Some(USERS_PAGE),
                online_only: None,
            };
            match client.users(&params).await {
                Ok(u) => {
                    sink.send(Update::Directory {
                        prefix,
                        users: u.users,
                    })
                    .await;
                }
                Err(e) => sink.failed("searching people", e).await,
            }
        }
        Command::Fingerprints { peer } => fingerprints(&client, &peer, &sink).await,
        Command::Fingerprint { peer } => match client.fingerprint(Some(&peer)).await {
            Ok(fingerprint) => {
                sink.send(Update::Fingerprint {
                    own: false,
                    fingerprint,
                })
                .await;
            }
            Err(e) => sink.failed("checking a safety number", e).await,
        },
        Command::Verify { user, fingerprint } => {
            let result = client.verify(&user, &fingerprint).await;
            trust_done(&client, user, result, &sink).await;
        }
        Command::Trust { user } => {
            let result = client.trust(&user).await;
            trust_done(&client, user, result, &sink).await;
        }
        Command::Conversations => match client.conversations().await {
            Ok(c) => {
                sink.send(Update::Conversations(c.conversations)).await;
            }
            Err(e) => sink.failed("loading the conversations", e).await,
        },
        Command::SendFile {
            chat,
            path,
            caption,
        } => send_file(&client, chat, path, caption, &sink).await,
        Command::Download { id, name } => {
            let params = DownloadParams { id, path: None };
            match client.invoke::<call::Download>(&params).await {
                Ok(t) => {
                    sink.send(Update::Transfer(t.transfer)).await;
                }
                Err(e) => sink.failed(&format!("downloading {name}"), e).await,
            }
        }
        Command::CancelTransfer { id } => {
            let params = TransferParams { id };
            match client.invoke::<call::CancelTransfer>(&params).await {
                Ok(t) => {
                    sink.send(Update::Transfer(t.transfer)).await;
                }
                Err(e) => sink.failed("cancelling a transfer", e).await,
            }
        }
        // Handled by the loop in `run` itself, or by `Worker::command`.
        Command::Focus { .. }
        | Command::Reconnect
        | Command::PickFile { .. }
        | Command::Open { .. } => {}
    }
}

async fn group_done(created: bool, result: Result<GroupInfo, ClientError>, sink: &Sink) {
    let result = result.map(|g| g.group).map_err(Failure::from);
    sink.send(Update::GroupDone { created, result }).await;
}

async fn auth_done(client: Client, result: Result<chatd_api::LoggedIn, ClientError>, sink: Sink) {
    let ok = result.is_ok();
    let result = result.map(|l| l.username).map_err(Failure::from);
    sink.send(Update::Auth(result)).await;
    if ok {
        refresh(client, sink).await;
    }
}

async fn trust_done(
    client: &Client,
    user: String,
    result: Result<chatd_api::TrustResult, ClientError>,
    sink: &Sink,
) {
    let result = result.map(|t| t.state).map_err(Failure::from);
    sink.send(Update::Trust {
        user: user.clone(),
        result,
    })
    .await;
    fingerprints(client, &user, sink).await;
}

/// Loads our fingerprint and `peer`'s.
async fn fingerprints(client: &Client, peer: &str, sink: &Sink) {
    for (own, who) in [(true, None), (false, Some(peer))] {
        match client.fingerprint(who).await {
            Ok(fingerprint) => {
                sink.send(Update::Fingerprint { own, fingerprint }).await;
            }
            Err(e) => return sink.failed("loading the safety numbers", e).await,
        }
    }
}

/// Sends the file at `path` (absolute) in `chat`; chatd's `message` and
/// `transfer` events show it, a refusal becomes a notice.
async fn send_file(
    client: &Client,
    chat: Chat,
    path: PathBuf,
    caption: Option<String>,
    sink: &Sink,
) {
    let name = file_name(&path);
    let refused = |message: String| Update::FileFailed {
        chat: chat.clone(),
        name: name.clone(),
        caption: caption.clone(),
        failure: Failure {
            code: None,
            message,
        },
    };
    let Some(text) = path.to_str() else {
        // JSON carries text only; chatd could not be told this path.
        sink.send(refused("its path is not valid UTF-8".into()))
            .await;
        return;
    };
    if !path.is_absolute() {
        sink.send(refused("its path is not absolute".into())).await;
        return;
    }
    let params = SendFileParams {
        to: chat.as_peer().map(str::to_string),
        group: chat.as_group().map(str::to_string),
        path: text.to_string(),
        caption: caption.clone(),
        name: None,
    };
    match client.invoke::<call::SendFile>(&params).await {
        Ok(sent) => {
            sink.send(Update::Transfer(sent.transfer)).await;
        }
        Err(e) => {
            sink.send(Update::FileFailed {
                chat,
                name,
                caption,
                failure: Failure::from(e),
            })
            .await;
        }
    }
}

/// A path's last part, for notices ("photo.jpg").
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Runs the desktop's file dialog (xdg-desktop-portal, or zenity) on a
/// thread of its own, and tells the UI what was picked.
async fn pick_file(chat: Chat, sink: Sink) {
    let picked = rfd::AsyncFileDialog::new()
        .set_title("Send a file")
        .pick_file()
        .await;
    let path = picked.map(|f| f.path().to_path_buf());
    sink.send(Update::Picked { chat, path }).await;
}

/// Opens a file, or its folder, with the desktop's handler; only a
/// handler that cannot be started is news.
async fn open_path(path: PathBuf, folder: bool, sink: Sink) {
    let target = if folder {
        path.parent()
            .map_or_else(|| path.clone(), Path::to_path_buf)
    } else {
        path.clone()
    };
    let name = file_name(&path);
    // `that_detached` starts the handler without waiting for it, but may
    // try several launchers in turn: off the worker's loop.
    let opened = tokio::task::spawn_blocking(move || open::that_detached(&target)).await;
    let what = if folder {
        format!("showing {name} in its folder")
    } else {
        format!("opening {name}")
    };
    let message = match opened {
        Ok(Ok(())) => return,
        Ok(Err(e)) => e.to_string(),
        Err(e) => e.to_string(),
    };
    sink.send(Update::Failed {
        what,
        failure: Failure {
            code: None,
            message,
        },
    })
    .await;
}
