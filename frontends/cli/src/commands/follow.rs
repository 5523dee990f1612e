//! Waiting for a transfer to end, for `send-file` and `download`: the
//! `transfer` events of one subscription, started before the call that
//! makes the transfer so none is missed, with a slow poll of `transfer`
//! underneath in case the stream lags or chatd ends a transfer without an
//! event. What the person sees goes through [`Shown`]: a progress bar on a
//! terminal, one JSON line per event with `--json`, nothing otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use chatd_api::client::ClientError;
use chatd_api::{
    Client, Event, EventBody, EventKind, EventStream, SubscribeParams, Transfer, TransferParams,
    TransferState, call,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ctx;
use crate::display::file::{size, verb};
use crate::display::text::safe;
use crate::output::Out;
use crate::report::TransferEnded;

/// How often chatd is asked about the transfer besides its events.
const POLL: Duration = Duration::from_secs(2);

/// A connection subscribed to transfer events.
pub(crate) struct Watcher {
    /// For the call that starts the transfer, and the polls.
    pub(crate) client: Client,
    events: Option<EventStream>,
}

impl Watcher {
    /// Connects and subscribes, before the transfer exists.
    pub(crate) async fn start(ctx: &Ctx) -> Result<Self, ClientError> {
        let client = ctx.client().await?;
        let params = SubscribeParams {
            events: Some(vec![EventKind::Transfer]),
            since: None,
        };
        let (_, events) = client.subscribe(params).await?;
        Ok(Self {
            client,
            events: Some(events),
        })
    }

    /// Waits until `first` ends, showing how it goes; `Ok` with the
    /// transfer once done, [`TransferEnded`] when it failed or was
    /// cancelled. Ctrl-C stops the waiting only: the transfer goes on.
    pub(crate) async fn wait(mut self, out: Out, first: Transfer) -> anyhow::Result<Transfer> {
        let shown = Shown::new(out, &first);
        let mut now = first;
        let mut poll = tokio::time::interval(POLL);
        // The first tick is at once; the answer of the call is that.
        poll.tick().await;
        while !now.state.is_final() {
            tokio::select! {
                event = next(&mut self.events) => match event {
                    Some(event) => {
                        if let EventBody::Transfer { transfer, .. } = &event.body
                            && transfer.id == now.id
                        {
                            shown.event(&event, transfer)?;
                            now = (**transfer).clone();
                        }
                    }
                    None => {
                        // A lagging stream ended: polling goes on alone.
                        if self.events.as_ref().is_some_and(|e| !e.lagged()) {
                            shown.clear();
                            return Err(ClientError::Disconnected.into());
                        }
                        self.events = None;
                    }
                },
                _ = poll.tick() => {
                    let params = TransferParams { id: now.id.clone() };
                    now = self.client.invoke::<call::Transfer>(&params).await?.transfer;
                    shown.update(&now);
                }
                interrupted = tokio::signal::ctrl_c() => {
                    interrupted?;
                    shown.clear();
                    anyhow::bail!(
                        "stopped waiting; the {} of {} goes on in chatd (`chat transfers` \
                         shows it, `chat cancel-transfer {}` stops it)",
                        verb(now.direction),
                        safe(&now.name),
                        safe(&now.id)
                    );
                }
            }
        }
        shown.clear();
        match now.state {
            TransferState::Done => Ok(now),
            _ => {
                let names = super::names::for_transfers(&self.client, [&now]).await;
                Err(TransferEnded(now, names).into())
            }
        }
    }
}

/// The next event, or never when the stream is gone (polling goes on).
async fn next(events: &mut Option<EventStream>) -> Option<Event> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// What a person or a script sees while waiting.
enum Shown {
    /// A bar on stderr, a terminal.
    Bar(ProgressBar),
    /// Each event as a JSON line on stdout.
    Json(Out),
    /// Nothing (stderr is not a terminal).
    Quiet,
}

impl Shown {
    fn new(out: Out, first: &Transfer) -> Self {
        if out.json() {
            return Shown::Json(out);
        }
        if !std::io::stderr().is_terminal() {
            return Shown::Quiet;
        }
        let bar =
            ProgressBar::with_draw_target(Some(first.total.max(1)), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{msg} [{wide_bar}] {decimal_bytes}/{decimal_total_bytes} {decimal_bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        let shown = Shown::Bar(bar);
        shown.update(first);
        shown
    }

    /// A transfer event of ours.
    fn event(&self, event: &Event, transfer: &Transfer) -> anyhow::Result<()> {
        match self {
            Shown::Json(out) => out.json_line(event),
            _ => {
                self.update(transfer);
                Ok(())
            }
        }
    }

    /// The bar follows the transfer.
    fn update(&self, t: &Transfer) {
        let Shown::Bar(bar) = self else {
            return;
        };
        bar.set_length(t.total.max(1));
        bar.set_position(t.bytes.min(t.total));
        let name = format!("{} ({})", safe(&t.name), size(t.size));
        bar.set_message(match (t.state, &t.error) {
            (TransferState::Waiting, Some(why)) => format!("{name}, waiting: {}", safe(why)),
            (TransferState::Waiting, None) => format!("{name}, waiting"),
            _ => name,
        });
    }

    /// The bar goes before the result is printed.
    fn clear(&self) {
        if let Shown::Bar(bar) = self {
            bar.finish_and_clear();
        }
    }
}
