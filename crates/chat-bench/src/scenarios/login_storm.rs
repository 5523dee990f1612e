//! `login-storm`: password logins at bcrypt cost 12 (the production
//! default) arriving at once, e.g. after a deploy logged everyone out.
//! bcrypt is deliberately slow, so the question is not speed but fairness:
//! logins should go through at the rate the CPU pool allows, none should
//! be dropped, and users already connected should not feel it. The storm's
//! users only sign up beforehand, so each login in the storm is its first.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::bystanders::{Beside, Bystanders};
use crate::accounts::{Accounts, Method, Retries, log_in};
use crate::cli::{Cli, LoginStormArgs};
use crate::report::{Table, f, opt};
use crate::stats::Latency;
use crate::target::Target;

/// Starts a server at the scenario's bcrypt cost and runs the storm.
pub async fn run(
    cli: &Cli,
    args: &LoginStormArgs,
    max_connections: usize,
) -> anyhow::Result<Value> {
    let logins = args
        .logins
        .unwrap_or(if cli.quick { 10 } else { 200 })
        .max(1);
    let pairs = args.pairs.max(1);
    let target = Target::start(cli, args.bcrypt_cost, max_connections)?;
    let mut accounts = Accounts::new(target.addr())?;
    accounts.ensure(2 * pairs, 32).await?;
    accounts.ensure_with(2 * pairs + logins, 32, false).await?;
    crate::progress(format!(
        "login-storm: {pairs} pairs at {}/s, before the storm",
        args.rate
    ));
    let pairs_around = Bystanders {
        accounts: &accounts,
        first: 0,
        pairs,
        rate: args.rate,
        calm: Duration::from_secs_f64(if cli.quick { 1.0 } else { args.before.max(0.1) }),
        target: &target,
    };
    let Beside {
        before,
        during,
        storm,
    } = pairs_around.around(async {
        crate::progress(format!(
            "login-storm: {logins} password logins at once, bcrypt cost {}",
            args.bcrypt_cost
        ));
        storm(&accounts, 2 * pairs..2 * pairs + logins).await
    })?;
    let (waits, last, retries) = storm;
    let (busy, limited, closed) = retries.snapshot();
    let waited = waits.summary();
    crate::progress(format!("login-storm: the last login took {last:.1} s"));
    let mut t = Table::new(
        format!(
            "login-storm: {logins} password logins at once, bcrypt cost {}",
            args.bcrypt_cost
        ),
        &[
            "logins",
            "logins/s",
            "s until the last",
            "median wait s",
            "server_busy",
            "rate_limited",
            "closed by server",
            "pairs p99 before ms",
            "pairs p99 during ms",
            "pairs max during ms",
            "server cores during",
            "lost",
            "duplicated",
        ],
    );
    t.row(vec![
        logins.to_string(),
        f(logins as f64 / last.max(1e-9), 1),
        f(last, 1),
        f(waited.p50_ms / 1000.0, 1),
        busy.to_string(),
        limited.to_string(),
        closed.to_string(),
        f(before.latency.p99_ms, 2),
        f(during.latency.p99_ms, 2),
        f(during.latency.max_ms, 2),
        opt(during.cpu_cores, 2),
        during.lost.to_string(),
        during.duplicated.to_string(),
    ]);
    t.print();
    Ok(json!({
        "logins": logins,
        "bcrypt_cost": args.bcrypt_cost,
        "logins_per_s": logins as f64 / last.max(1e-9),
        "seconds_until_last": last,
        "login_wait": waited,
        "server_busy": busy,
        "rate_limited": limited,
        "closed_by_server": closed,
        "pairs": pairs,
        "pair_rate": args.rate,
        "before": before,
        "during": during,
    }))
}

/// Logs `users` in with their passwords, all at once; returns how long each
/// waited, when the last got in (seconds) and the server's answers.
async fn storm(
    accounts: &Accounts,
    users: std::ops::Range<usize>,
) -> anyhow::Result<(Latency, f64, Retries)> {
    let retries = Arc::new(Retries::default());
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    for i in users {
        let account = accounts.list.get(i).context("too few accounts")?.clone();
        let (addr, key) = (accounts.addr(), accounts.key().to_string());
        let retries = retries.clone();
        tasks.spawn(async move {
            let (conn, _) = log_in(addr, i, &account, &key, Method::Password, &retries).await?;
            anyhow::Ok((conn, started.elapsed()))
        });
    }
    let mut waits = Latency::new();
    let mut last = Duration::ZERO;
    let mut conns = Vec::new();
    while let Some(done) = tasks.join_next().await {
        let (conn, took) = done??;
        waits.record_us(took.as_micros() as u64);
        last = last.max(took);
        conns.push(conn);
    }
    drop(conns);
    let retries = Arc::try_unwrap(retries).unwrap_or_default();
    Ok((waits, last.as_secs_f64(), retries))
}
