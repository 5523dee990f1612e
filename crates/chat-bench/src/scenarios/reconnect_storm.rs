//! `reconnect-storm`: what a server restart or a network blip looks like
//! from the server's side. N logged-in sessions drop at the same moment
//! and all resume with their tokens at once (no pacing but what the server
//! asks for with `retry_after_ms`), while a few other pairs keep chatting:
//! their latency during the storm is what connected users feel.

use std::time::Duration;

use serde_json::{Value, json};

use super::bystanders::{Beside, Bystanders};
use super::connections::{self, Held};
use crate::accounts::{Accounts, Method};
use crate::cli::{Cli, ConnectionsArgs};
use crate::report::{Table, f, opt};
use crate::target::Target;
use crate::traffic::Phase;

/// Runs the storm on `held` connections (users 0..n), or connects them
/// first when `None`.
pub async fn run(
    cli: &Cli,
    args: &ConnectionsArgs,
    nofile: u64,
    target: &Target,
    accounts: &mut Accounts,
    held: Option<Held>,
) -> anyhow::Result<Value> {
    let n = match &held {
        Some(h) => h.len(),
        None => connections::count(args, cli.quick, nofile),
    };
    let pairs = args.pairs.max(1);
    let held = match held {
        Some(h) => h,
        None => {
            crate::progress(format!("reconnect-storm: connecting {n} sessions first"));
            connections::log_everyone_in(args, n, target, accounts)
                .await?
                .held
        }
    };
    accounts.ensure(n + 2 * pairs, 64).await?;
    crate::progress(format!(
        "reconnect-storm: {pairs} pairs at {}/s, before the storm",
        args.rate
    ));
    let pairs_around = Bystanders {
        accounts,
        first: n,
        pairs,
        rate: args.rate,
        calm: Duration::from_secs(if cli.quick { 1 } else { 3 }),
        target,
    };
    let Beside {
        before,
        during,
        mut storm,
    } = pairs_around.around(async {
        crate::progress(format!(
            "reconnect-storm: dropping {n} sessions and resuming all at once"
        ));
        drop(held);
        connections::connect_all(accounts, 0..n, Method::Token, None, target).await
    })?;
    let (busy, limited, closed) = storm.retries.snapshot();
    crate::progress(format!(
        "reconnect-storm: all {n} resumed after {:.1} s",
        storm.seconds
    ));
    drop(std::mem::take(&mut storm.held));
    table(n, &storm, &before, &during).print();
    Ok(json!({
        "sessions": n,
        "seconds_until_all_resumed": storm.seconds,
        "resumes_per_s": n as f64 / storm.seconds.max(1e-9),
        "server_busy": busy,
        "rate_limited": limited,
        "closed_by_server": closed,
        "no_hello": storm.retries.no_hello(),
        "listen": storm.listen,
        "server_cpu_us": storm.cpu_us,
        "pairs": pairs,
        "pair_rate": args.rate,
        "before": before,
        "during": during,
    }))
}

fn table(n: usize, storm: &connections::Connected, before: &Phase, during: &Phase) -> Table {
    let (busy, limited, closed) = storm.retries.snapshot();
    let mut t = Table::new(
        format!("reconnect-storm: {n} sessions drop and resume with tokens at once"),
        &[
            "sessions",
            "s until all resumed",
            "resumes/s",
            "server_busy",
            "rate_limited",
            "closed by server",
            "no hello",
            "ListenOverflows",
            "pairs p99 before ms",
            "pairs p99 during ms",
            "pairs max during ms",
            "server cores during",
            "lost",
            "duplicated",
        ],
    );
    t.row(vec![
        n.to_string(),
        f(storm.seconds, 1),
        f(n as f64 / storm.seconds.max(1e-9), 0),
        busy.to_string(),
        limited.to_string(),
        closed.to_string(),
        storm.retries.no_hello().to_string(),
        storm.listen.overflows.to_string(),
        f(before.latency.p99_ms, 2),
        f(during.latency.p99_ms, 2),
        f(during.latency.max_ms, 2),
        opt(during.cpu_cores, 2),
        during.lost.to_string(),
        during.duplicated.to_string(),
    ]);
    t
}
