//! `chat watch`: events as they happen until Ctrl-C. A watcher that falls
//! behind is not lost: it reconnects and resumes from the last seq it
//! printed, which chatd replays from its durable event log.

use chatd_api::client::{ClientError, EventStream};
use chatd_api::{Event, SubscribeParams};

use super::Ctx;
use crate::cli::WatchArgs;
use crate::display::event::line;

/// Prints events until interrupted or until chatd goes away.
pub(crate) async fn run(ctx: &Ctx, args: &WatchArgs) -> anyhow::Result<()> {
    let mut since = args.since;
    loop {
        // A fresh connection each time, so chatd drops the old subscription
        // and the replay is the only source of the events we missed.
        let client = ctx.client().await?;
        let params = SubscribeParams {
            events: args.events.clone(),
            since,
        };
        let (subscribed, mut stream) = client.subscribe(params).await?;
        if since.is_none() {
            eprintln!(
                "Watching chatd's events (latest #{}); Ctrl-C stops.",
                subscribed.seq
            );
        }
        tokio::select! {
            ended = print_all(ctx, &mut stream, &mut since) => ended?,
            interrupted = tokio::signal::ctrl_c() => {
                interrupted?;
                return Ok(());
            }
        }
        if !stream.lagged() {
            return Err(ClientError::Disconnected.into());
        }
        eprintln!("(fell behind; resuming after #{})", since.unwrap_or(0));
    }
}

/// Prints events until the stream ends, advancing `since`.
async fn print_all(
    ctx: &Ctx,
    stream: &mut EventStream,
    since: &mut Option<u64>,
) -> anyhow::Result<()> {
    while let Some(event) = stream.recv().await {
        if since.is_some_and(|s| event.seq <= s) {
            continue;
        }
        print(ctx, &event)?;
        *since = Some(event.seq);
    }
    Ok(())
}

fn print(ctx: &Ctx, event: &Event) -> anyhow::Result<()> {
    if ctx.out.json() {
        ctx.out.json_line(event)
    } else {
        Ok(ctx.out.text(&format!("{}\n", line(event)))?)
    }
}
