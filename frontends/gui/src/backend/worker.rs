//! The worker's loop around chatd-api's attach session (which attaches,
//! resumes the event stream with `since` and retries with backoff): it
//! turns what the session reports into updates for the UI, loads what the
//! UI shows, and runs commands on the current connection.

use std::path::PathBuf;
use std::time::Duration;

use chatd_api::attach::{Attach, Attached, Update as Session};
use chatd_api::{
    Chat, Client, ClientError, ConnectionState, EventBody, GroupInfo, HistoryParams, SettingsPatch,
    UsersParams,
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
        // Handled by the loop in `run` itself.
        Command::Focus { .. } | Command::Reconnect => {}
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
