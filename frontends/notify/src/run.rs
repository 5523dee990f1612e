//! The notifier's loop: attach to chatd, subscribe from the last event
//! handled, turn each event into notifications, remember how far it got;
//! and when chatd goes away, wait and attach again. Nothing here decides
//! what to show (that is `decide`), and nothing here panics or gives up.

use std::future::Future;
use std::time::Instant;

use chatd_api::{Client, ClientError, Event, EventKind, EventStream, SubscribeParams};

use crate::backoff::Backoff;
use crate::decide::{Action, Decider};
use crate::desktop::Sink;
use crate::settings::Settings;
use crate::state::SeqFile;

/// Events taken in one go before the seq file is written: a `since`
/// replay of thousands of events costs one write per batch, not per event.
const BATCH: usize = 256;

/// The event kinds that can lead to a notification.
const KINDS: [EventKind; 4] = [
    EventKind::Message,
    EventKind::Receipt,
    EventKind::KeyChanged,
    EventKind::Security,
];

/// Logs a failure that repeats (chatd not running, no notification server)
/// once as a warning, then quietly until it clears.
#[derive(Debug, Default)]
struct Once {
    failing: bool,
}

impl Once {
    fn failed(&mut self, what: &str, e: &dyn std::fmt::Display) {
        if self.failing {
            tracing::debug!(error = %e, "{what}");
        } else {
            tracing::warn!(error = %e, "{what}");
            self.failing = true;
        }
    }

    fn ok(&mut self, what: &str) {
        if self.failing {
            tracing::info!("{what}");
            self.failing = false;
        }
    }

    /// Clears the failure without a word (the caller says what happened).
    fn clear(&mut self) {
        self.failing = false;
    }
}

/// Why a session with chatd ended.
enum Ended {
    /// We were asked to stop.
    Shutdown,
    /// chatd went away or could not be reached.
    Lost(String),
}

/// The notifier with its state.
pub struct Notifier<S> {
    settings: Settings,
    decider: Decider,
    sink: S,
    state: SeqFile,
    stored: Option<u64>,
    desktop: Once,
    saving: Once,
}

impl<S: Sink> Notifier<S> {
    /// A notifier showing notes on `sink`.
    pub fn new(settings: Settings, sink: S) -> Self {
        let decider = Decider::new(settings.rules.clone());
        let state = SeqFile::new(settings.state_file.clone());
        Self {
            settings,
            decider,
            sink,
            state,
            stored: None,
            desktop: Once::default(),
            saving: Once::default(),
        }
    }

    /// Runs until `shutdown` completes: attaches to chatd, and again after
    /// every loss, with backoff. Fails only if the state file cannot be
    /// read at start.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        if let Some(seq) = self.state.load()? {
            self.decider.set_last_seq(seq);
            self.stored = Some(seq);
        }
        let mut shutdown = std::pin::pin!(shutdown);
        let mut backoff = Backoff::default();
        let mut chatd = Once::default();
        loop {
            let ended = tokio::select! {
                () = &mut shutdown => Ended::Shutdown,
                ended = self.session(&mut backoff, &mut chatd) => ended,
            };
            match ended {
                Ended::Shutdown => break,
                Ended::Lost(why) => {
                    chatd.failed("not attached to chatd; trying again until it answers", &why);
                }
            }
            let delay = backoff.next_delay();
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(delay) => {}
            }
        }
        self.save();
        tracing::info!("stopped");
        Ok(())
    }

    /// One connection to chatd, until it ends. Never returns `Shutdown`
    /// itself; the caller races it against the shutdown signal, which is
    /// safe because every step persists what it finished.
    async fn session(&mut self, backoff: &mut Backoff, chatd: &mut Once) -> Ended {
        let (client, mut events) = match self.subscribe().await {
            Ok(pair) => pair,
            Err(e) => return Ended::Lost(e.to_string()),
        };
        backoff.reset();
        chatd.clear();
        tracing::info!(
            socket = %self.settings.socket.display(),
            since = ?self.decider.last_seq(),
            "attached to chatd"
        );
        loop {
            let Some(first) = events.recv().await else {
                drop(client);
                return Ended::Lost(if events.lagged() {
                    "fell behind chatd's events; catching up from the last one handled".into()
                } else {
                    "chatd closed the connection".into()
                });
            };
            self.handle(first).await;
            for _ in 1..BATCH {
                match events.try_recv() {
                    Ok(event) => self.handle(event).await,
                    Err(_) => break,
                }
            }
            self.save();
        }
    }

    /// Connects and subscribes from the last event handled.
    async fn subscribe(&mut self) -> Result<(Client, EventStream), ClientError> {
        let client = Client::connect(&self.settings.socket).await?;
        let since = self.decider.last_seq();
        let params = SubscribeParams {
            events: Some(KINDS.to_vec()),
            since,
        };
        let (subscribed, events) = client.subscribe(params).await?;
        match since {
            None => {
                // First run: what happened before is not news.
                self.decider.set_last_seq(subscribed.seq);
                self.save();
            }
            Some(since) if subscribed.seq < since => {
                tracing::warn!(
                    since,
                    latest = subscribed.seq,
                    "chatd's event log starts anew (a new data directory?); notifying from its \
                     latest event on"
                );
                self.decider.set_last_seq(subscribed.seq);
                self.save();
            }
            Some(_) => {}
        }
        Ok((client, events))
    }

    async fn handle(&mut self, event: Event) {
        for action in self.decider.on_event(&event, Instant::now()) {
            match action {
                Action::Show(note) => match self.sink.show(&note).await {
                    Ok(()) => self.desktop.ok("notifications reach the desktop again"),
                    Err(e) => self.desktop.failed(
                        "cannot show notifications (is a notification server running on the \
                         session bus?); carrying on without them",
                        &format!("{e:#}"),
                    ),
                },
                Action::Close(slot) => self.sink.close(&slot).await,
            }
        }
    }

    /// Writes the last seq handled, when it moved.
    fn save(&mut self) {
        let Some(seq) = self.decider.last_seq() else {
            return;
        };
        if self.stored == Some(seq) {
            return;
        }
        match self.state.store(seq) {
            Ok(()) => {
                self.stored = Some(seq);
                self.saving.ok("the state file can be written again");
            }
            Err(e) => self.saving.failed(
                "cannot remember how far notifications got; after a restart some may repeat",
                &format!("{e:#}"),
            ),
        }
    }
}
