//! The notifier's loop: chatd-api's attach session (attach, subscribe from
//! the last event handled, remember it in the state file, attach again
//! with backoff when chatd goes away) feeds events to the decider, and its
//! actions go to the desktop. Nothing here decides what to show (that is
//! `decide`), and nothing here panics or gives up.

use std::future::Future;
use std::time::Instant;

use anyhow::Context;
use chatd_api::attach::{Attach, SeqStore, Session, Update};
use chatd_api::{Event, EventKind};

use crate::decide::{Action, Decider};
use crate::desktop::Sink;
use crate::settings::Settings;

/// The event kinds that can lead to a notification. `Group` brings the
/// group changes that add or remove us, and also the `message` and
/// `receipt` events of group messages, which chatd sends only to
/// subscribers that name it (PROTOCOL.md D14).
pub const KINDS: [EventKind; 5] = [
    EventKind::Message,
    EventKind::Receipt,
    EventKind::KeyChanged,
    EventKind::Security,
    EventKind::Group,
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

/// The notifier with its state.
pub struct Notifier<S> {
    settings: Settings,
    decider: Decider,
    sink: S,
    desktop: Once,
    saving: Once,
}

impl<S: Sink> Notifier<S> {
    /// A notifier showing notes on `sink`.
    pub fn new(settings: Settings, sink: S) -> Self {
        let decider = Decider::new(settings.rules.clone());
        Self {
            settings,
            decider,
            sink,
            desktop: Once::default(),
            saving: Once::default(),
        }
    }

    /// Runs until `shutdown` completes: attaches to chatd, and again after
    /// every loss. Fails only if the state file cannot be read at start.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
        let store = SeqStore::new(self.settings.state_file.clone());
        let mut session = Attach::new(Some(self.settings.socket.clone()))
            .events(KINDS.to_vec())
            .seq_store(store)
            .start()
            .context("cannot tell how far notifications got (pass --state-file to use another)")?;
        let mut shutdown = std::pin::pin!(shutdown);
        let mut chatd = Once::default();
        loop {
            let update = tokio::select! {
                () = &mut shutdown => break,
                update = session.next() => update,
            };
            let Some(update) = update else { break };
            match update {
                Update::Attached(attached) => {
                    chatd.clear();
                    // Events up to here are handled (or, on a first run or
                    // a new chatd data directory, not news).
                    self.decider.set_last_seq(attached.seq);
                    self.decider.set_me(attached.status.username.clone());
                    tracing::info!(
                        socket = %self.settings.socket.display(),
                        since = attached.seq,
                        "attached to chatd"
                    );
                }
                Update::Event(event) => self.handle(event).await,
                Update::Detached(why) => {
                    chatd.failed("not attached to chatd; trying again until it answers", &why);
                }
            }
            self.saved(&session);
        }
        if let Err(e) = session.close().await {
            self.saving.failed(
                "cannot remember how far notifications got; after a restart some may repeat",
                &e,
            );
        }
        tracing::info!("stopped");
        Ok(())
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

    /// Logs once when the session cannot write the state file, and when
    /// it can again.
    fn saved(&mut self, session: &Session) {
        match session.save_error() {
            Some(e) => self.saving.failed(
                "cannot remember how far notifications got; after a restart some may repeat",
                e,
            ),
            None => self.saving.ok("the state file can be written again"),
        }
    }
}
