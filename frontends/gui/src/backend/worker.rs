//! The worker's loop: attach to chatd (subscribe, with `since` after the
//! first time so a reattach misses no event), load what the UI shows,
//! forward events, run commands, and retry with backoff while chatd is
//! not running.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chatd_api::{
    Client, ClientError, ConnectionState, EventBody, EventStream, HistoryParams, SubscribeParams,
    UsersParams,
};
use tokio::sync::mpsc;

use super::{Command, Failure, Link, Update, Waker};

/// First wait before reattaching; doubles up to [`RETRY_MAX`].
const RETRY_MIN: Duration = Duration::from_millis(500);
/// Longest wait between attempts, so a freshly started chatd is found soon.
const RETRY_MAX: Duration = Duration::from_secs(4);
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

/// How a session with chatd ended.
enum Ended {
    /// The UI is gone: stop.
    Quit,
    /// chatd went away: reattach.
    Lost,
}

/// What survives from one attachment to the next.
#[derive(Default)]
struct Memory {
    /// The last event seen, for `subscribe` with `since`.
    since: Option<u64>,
    /// The conversation on screen, told to chatd again after a reattach.
    focus: Option<String>,
}

/// Runs until the UI drops its end of the command queue.
pub(super) async fn run(
    socket: Option<PathBuf>,
    mut commands: mpsc::Receiver<Command>,
    sink: Sink,
) {
    let path = socket.or_else(chatd_api::paths::default_socket);
    let mut memory = Memory::default();
    let mut delay = RETRY_MIN;
    loop {
        sink.send(Update::Link(Link::Connecting)).await;
        let error = match attach(path.as_deref(), memory.since).await {
            Ok((client, events, seq)) => {
                memory.since = Some(memory.since.unwrap_or(seq));
                delay = RETRY_MIN;
                match serve(&client, events, &mut commands, &sink, &mut memory).await {
                    Ended::Quit => return,
                    // Reattach at once: chatd may just have restarted.
                    Ended::Lost => continue,
                }
            }
            Err(e) => e,
        };
        let link = Link::NotRunning {
            socket: path.as_ref().map(|p| p.display().to_string()),
            message: error.to_string(),
        };
        if !sink.send(Update::Link(link)).await {
            return;
        }
        if !wait_before_retry(delay, &mut commands, &sink).await {
            return;
        }
        delay = (delay * 2).min(RETRY_MAX);
    }
}

/// Connects and subscribes: the client, its events and the latest seq.
async fn attach(
    path: Option<&Path>,
    since: Option<u64>,
) -> Result<(Client, EventStream, u64), ClientError> {
    let path = path.ok_or(ClientError::NoSocketPath)?;
    let client = Client::connect(path).await?;
    let params = SubscribeParams {
        events: None,
        since,
    };
    let (subscribed, events) = client.subscribe(params).await?;
    Ok((client, events, subscribed.seq))
}

/// Waits `delay` while answering commands with "not attached"; false when
/// the UI is gone. A `Reconnect` command cuts the wait short.
async fn wait_before_retry(
    delay: Duration,
    commands: &mut mpsc::Receiver<Command>,
    sink: &Sink,
) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return true,
            command = commands.recv() => match command {
                None => return false,
                Some(Command::Reconnect) => return true,
                // Focus is remembered by the UI and sent again on attach.
                Some(Command::Focus { .. }) => {}
                Some(_) => {
                    let failure = Failure {
                        code: None,
                        message: "chatd is not running; start it with `systemctl --user start \
                                  chatd` or run `chatd`, then try again"
                            .into(),
                    };
                    sink.send(Update::Failed { what: "talking to chatd".into(), failure }).await;
                }
            },
        }
    }
}

/// One attachment: forwards events and runs commands until chatd goes
/// away or the UI quits.
async fn serve(
    client: &Client,
    mut events: EventStream,
    commands: &mut mpsc::Receiver<Command>,
    sink: &Sink,
    memory: &mut Memory,
) -> Ended {
    if !sink.send(Update::Link(Link::Attached)).await {
        return Ended::Quit;
    }
    if let Some(peer) = memory.focus.clone() {
        let _ = client.focus(Some(&peer)).await;
    }
    tokio::spawn(refresh(client.clone(), sink.clone()));
    let mut online = tokio::time::interval(ONLINE_REFRESH);
    online.tick().await;
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => return Ended::Quit,
                Some(Command::Reconnect) => {}
                Some(Command::Focus { peer }) => {
                    // In order, not spawned: the last focus must win.
                    memory.focus = peer.clone();
                    if let Err(e) = client.focus(peer.as_deref()).await {
                        sink.failed("telling chatd which conversation is open", e).await;
                    }
                }
                Some(command) => {
                    tokio::spawn(handle(client.clone(), command, sink.clone()));
                }
            },
            event = events.recv() => match event {
                Some(event) => {
                    memory.since = Some(event.seq);
                    follow_up(client, &event.body, sink);
                    if !sink.send(Update::Event(event)).await {
                        return Ended::Quit;
                    }
                }
                None if events.lagged() => {
                    // Fell behind: resume from the last event taken.
                    let params = SubscribeParams { events: None, since: memory.since };
                    match client.subscribe(params).await {
                        Ok((_, again)) => events = again,
                        Err(_) => return Ended::Lost,
                    }
                }
                None => return Ended::Lost,
            },
            _ = online.tick() => {
                tokio::spawn(load_online(client.clone(), sink.clone()));
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
    if has_account {
        match client.conversations().await {
            Ok(c) => {
                sink.send(Update::Conversations(c.conversations)).await;
            }
            Err(e) => sink.failed("loading the conversations", e).await,
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
        Command::Login { username, password } => {
            let result = client.login(&username, &password).await;
            auth_done(client, result, sink).await;
        }
        Command::Signup { username, password } => {
            let result = client.signup(&username, &password).await;
            auth_done(client, result, sink).await;
        }
        Command::Logout => {
            if let Err(e) = client.logout().await {
                sink.failed("logging out", e).await;
            }
            refresh(client, sink).await;
        }
        Command::Send { to, text } => {
            let result = client.send(&to, &text).await.map_err(Failure::from);
            sink.send(Update::Sent { to, text, result }).await;
        }
        Command::History { peer, before } => {
            let params = HistoryParams {
                peer: peer.clone(),
                limit: Some(HISTORY_PAGE),
                before,
            };
            match client.history(&params).await {
                Ok(h) => {
                    let complete = h.messages.len() < HISTORY_PAGE as usize;
                    sink.send(Update::History {
                        peer,
                        before,
                        messages: h.messages,
                        complete,
                    })
                    .await;
                }
                Err(e) => sink.failed("loading the history", e).await,
            }
        }
        Command::MarkRead { peer } => {
            if let Err(e) = client.mark_read(&peer).await {
                sink.failed("marking the conversation read", e).await;
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
        // Handled by `serve` itself.
        Command::Focus { .. } | Command::Reconnect => {}
    }
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
