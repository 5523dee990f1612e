//! The task that owns the connection to chatd: it attaches (connect,
//! `subscribe` with `since` the last event seen, `status`), forwards events
//! and answers to the app, and when chatd goes away says so and tries
//! again every second, resuming the event stream where it left off.

use std::path::PathBuf;
use std::time::Duration;

use chatd_api::{Client, ClientError, EventStream, Status, SubscribeParams};
use tokio::sync::mpsc;

use super::calls::execute;
use super::seqfile::SeqFile;
use crate::app::{Failure, Msg, Request};

/// Pause between attempts to reach chatd.
pub const RETRY: Duration = Duration::from_secs(1);
/// Pause before reattaching after chatd closed the connection.
const REATTACH: Duration = Duration::from_millis(100);
/// How often the last seen seq is written to disk (and at the end).
const SAVE_EVERY: Duration = Duration::from_secs(2);

/// Where to find chatd and where to remember the last event.
#[derive(Debug, Clone)]
pub struct Config {
    /// chatd's socket.
    pub socket: PathBuf,
    /// The last-seen-seq file.
    pub seq_file: SeqFile,
}

/// Runs until `requests` closes (the app quit); every request gets an
/// answer, even while chatd is away.
pub async fn run(config: Config, mut requests: mpsc::Receiver<Request>, app: mpsc::Sender<Msg>) {
    let mut cursor = Cursor {
        since: config.seq_file.load(),
        saved: None,
        file: config.seq_file.clone(),
    };
    let mut last_reason: Option<String> = None;
    loop {
        match attach(&config, cursor.since).await {
            Ok((client, events, status, latest)) => {
                last_reason = None;
                // Nothing older than what chatd has: a since beyond it
                // (chatd's data was reset) starts over at its latest.
                cursor.since = Some(cursor.since.map_or(latest, |s| s.min(latest)));
                if app.send(Msg::Attached { status }).await.is_err() {
                    return;
                }
                let ended = serve(&client, events, &mut requests, &app, &mut cursor).await;
                match ended {
                    Ended::AppGone => {
                        cursor.save();
                        return;
                    }
                    // Reattach at once, from the last event seen.
                    Ended::Lagged => {}
                    // chatd went away or restarted: the next attempt says
                    // which.
                    Ended::Closed => tokio::time::sleep(REATTACH).await,
                }
            }
            Err(e) => {
                let reason = e.to_string();
                if last_reason.as_ref() != Some(&reason) {
                    last_reason = Some(reason.clone());
                    if app.send(Msg::Detached { reason }).await.is_err() {
                        return;
                    }
                }
                let reason = last_reason.clone().unwrap_or_default();
                if !wait_refusing(&mut requests, &app, &reason).await {
                    cursor.save();
                    return;
                }
            }
        }
    }
}

/// The seq of the last event forwarded, and what is on disk.
struct Cursor {
    since: Option<u64>,
    saved: Option<u64>,
    file: SeqFile,
}

impl Cursor {
    fn save(&mut self) {
        if let Some(seq) = self.since
            && self.saved != Some(seq)
            && self.file.save(seq).is_ok()
        {
            self.saved = Some(seq);
        }
    }
}

/// Connects, subscribes (replaying what came after `since`) and reads the
/// status; also returns chatd's latest seq. The stream is registered
/// before the status call, so no event between the two is lost.
async fn attach(
    config: &Config,
    since: Option<u64>,
) -> Result<(Client, EventStream, Status, u64), ClientError> {
    let client = Client::connect(&config.socket).await?;
    let params = SubscribeParams {
        events: None,
        since,
    };
    let (subscribed, events) = client.subscribe(params).await?;
    let status = client.status().await?;
    Ok((client, events, status, subscribed.seq))
}

/// Why [`serve`] stopped.
enum Ended {
    /// The app quit.
    AppGone,
    /// The event stream fell behind and was cut off; nothing is lost.
    Lagged,
    /// chatd closed the connection.
    Closed,
}

/// Forwards events and runs requests until the stream ends or the app
/// is gone.
async fn serve(
    client: &Client,
    mut events: EventStream,
    requests: &mut mpsc::Receiver<Request>,
    app: &mpsc::Sender<Msg>,
    cursor: &mut Cursor,
) -> Ended {
    let mut save = tokio::time::interval(SAVE_EVERY);
    loop {
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else {
                    return if events.lagged() { Ended::Lagged } else { Ended::Closed };
                };
                cursor.since = Some(event.seq);
                if app.send(Msg::Event(event)).await.is_err() {
                    return Ended::AppGone;
                }
            }
            request = requests.recv() => {
                let Some(request) = request else { return Ended::AppGone };
                let (client, app) = (client.clone(), app.clone());
                tokio::spawn(async move {
                    let outcome = execute(&client, &request).await;
                    let _ = app.send(Msg::Answer { request, outcome }).await;
                });
            }
            _ = save.tick() => cursor.save(),
        }
    }
}

/// Waits [`RETRY`], answering every request with why chatd cannot be
/// reached; false when the app is gone.
async fn wait_refusing(
    requests: &mut mpsc::Receiver<Request>,
    app: &mpsc::Sender<Msg>,
    reason: &str,
) -> bool {
    let pause = tokio::time::sleep(RETRY);
    tokio::pin!(pause);
    loop {
        tokio::select! {
            () = &mut pause => return true,
            request = requests.recv() => {
                let Some(request) = request else { return false };
                let outcome = Err(Failure::unreachable(reason));
                if app.send(Msg::Answer { request, outcome }).await.is_err() {
                    return false;
                }
            }
        }
    }
}
