//! `connections`: how many idle logged-in users one server holds and what
//! each costs. Every user connects and logs in with the password (RSA and
//! bcrypt at cost 4 on the server), `--concurrency` at a time, and keeps
//! pinging from then on (`held.rs`); once all are in, each is pinged to
//! prove it is still held. The accounts were only
//! signed up before: their first login here gives the tokens later
//! scenarios resume with, which saves one RSA and one bcrypt per user and
//! keeps `all` within its 10 minutes at 19,000 users. Memory per connection is the growth
//! of the server's RSS over the run divided by the connections; listen
//! overflows come from the host's TcpExt counters (the whole host, so run
//! nothing else meanwhile).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::{Accounts, Method, Retries, log_in};
use crate::cli::{Cli, ConnectionsArgs};
use crate::held::spawn_keep_alive;
use crate::procstat::ListenCounters;
use crate::report::{Table, f, opt};
use crate::target::Target;

pub use crate::held::Held;

/// How many connections `args` asks for, under the open-file limit.
pub fn count(args: &ConnectionsArgs, quick: bool, nofile: u64) -> usize {
    let room = usize::try_from(nofile)
        .unwrap_or(1024)
        .saturating_sub(args.fd_margin);
    match (args.count, quick) {
        (Some(n), _) => n,
        (None, true) => 200,
        (None, false) => room,
    }
    .clamp(1, room.max(1))
}

/// What connecting everyone took.
pub struct Connected {
    /// The connections.
    pub held: Held,
    /// The tokens the logins gave, by user number.
    pub tokens: Vec<(usize, String)>,
    /// The server's (RSS, VmHWM) in KiB just before the first connect.
    pub memory_before: Option<(u64, u64)>,
    /// Seconds from the first connect to the last login_ok.
    pub seconds: f64,
    /// What the server said on the way.
    pub retries: Retries,
    /// Listen queue drops meanwhile.
    pub listen: ListenCounters,
    /// Server CPU meanwhile, microseconds.
    pub cpu_us: Option<u64>,
}

/// Connects `users` and logs each in with `method`, `concurrency` at a
/// time (all at once when `None`).
pub async fn connect_all(
    accounts: &Accounts,
    users: std::ops::Range<usize>,
    method: Method,
    concurrency: Option<usize>,
    target: &Target,
) -> anyhow::Result<Connected> {
    let retries = Arc::new(Retries::default());
    let gate = Arc::new(Semaphore::new(
        concurrency.unwrap_or(Semaphore::MAX_PERMITS),
    ));
    let memory_before = target.memory_kib();
    let listen0 = ListenCounters::read();
    let cpu0 = target.cpu_us();
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    let n = users.len();
    let mut held = Held::default();
    for i in users {
        let account = accounts.list.get(i).context("too few accounts")?.clone();
        let (addr, key) = (accounts.addr(), accounts.key().to_string());
        let (gate, retries, handle) = (gate.clone(), retries.clone(), held.handle());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let (conn, token) = log_in(addr, i, &account, &key, method, &retries).await?;
            anyhow::Ok((i, token, spawn_keep_alive(i, conn, handle)))
        });
    }
    let mut tokens = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        let (i, token, task) = done??;
        held.adopt(task);
        tokens.push((i, token));
    }
    let seconds = started.elapsed().as_secs_f64();
    let cpu_us = target.cpu_us().zip(cpu0).map(|(b, a)| b.saturating_sub(a));
    let retries = Arc::try_unwrap(retries).unwrap_or_default();
    Ok(Connected {
        held,
        tokens,
        memory_before,
        seconds,
        retries,
        listen: ListenCounters::read().since(listen0),
        cpu_us,
    })
}

/// Runs the scenario; returns its JSON and the connections, still held.
pub async fn run(
    cli: &Cli,
    args: &ConnectionsArgs,
    nofile: u64,
    target: &Target,
    accounts: &mut Accounts,
) -> anyhow::Result<(Value, Held)> {
    let n = count(args, cli.quick, nofile);
    let mut c = log_everyone_in(args, n, target, accounts).await?;
    crate::progress(format!(
        "connections: {n} logged in after {:.1} s; pinging",
        c.seconds
    ));
    let mut held = std::mem::take(&mut c.held);
    let alive = held.ping_all().await;
    let before = c.memory_before;
    settle().await;
    let after = target.memory_kib();
    let (busy, limited, closed) = c.retries.snapshot();
    let grown_kib = before
        .zip(after)
        .map(|((b, _), (a, _))| a.saturating_sub(b) as f64);
    let per_conn = grown_kib.map(|g| g / n as f64);
    let mib = |k: Option<(u64, u64)>| k.map(|(rss, _)| rss as f64 / 1024.0);
    let mut t = Table::new(
        format!("connections: {n} idle logged-in connections (password login, bcrypt cost 4)"),
        &[
            "connections",
            "alive (pong)",
            "connect+login s",
            "logins/s",
            "server CPU us/login",
            "server_busy",
            "rate_limited",
            "closed by server",
            "no hello",
            "server RSS before MiB",
            "server RSS after MiB",
            "KiB per connection",
            "server VmHWM MiB",
            "ListenOverflows",
            "ListenDrops",
        ],
    );
    t.row(vec![
        n.to_string(),
        alive.to_string(),
        f(c.seconds, 1),
        f(n as f64 / c.seconds.max(1e-9), 0),
        opt(c.cpu_us.map(|u| u as f64 / n as f64), 0),
        busy.to_string(),
        limited.to_string(),
        closed.to_string(),
        c.retries.no_hello().to_string(),
        opt(mib(before), 1),
        opt(mib(after), 1),
        opt(per_conn, 1),
        opt(after.map(|(_, hwm)| hwm as f64 / 1024.0), 1),
        c.listen.overflows.to_string(),
        c.listen.drops.to_string(),
    ]);
    t.print();
    let v = json!({
        "connections": n,
        "alive": alive,
        "concurrency": args.concurrency,
        "connect_seconds": c.seconds,
        "logins_per_s": n as f64 / c.seconds.max(1e-9),
        "server_cpu_us_per_login": c.cpu_us.map(|u| u as f64 / n as f64),
        "server_busy": busy,
        "rate_limited": limited,
        "closed_by_server": closed,
        "no_hello": c.retries.no_hello(),
        "server_rss_kib_before": before.map(|m| m.0),
        "server_rss_kib_after": after.map(|m| m.0),
        "server_hwm_kib": after.map(|m| m.1),
        "kib_per_connection": per_conn,
        "listen": c.listen,
    });
    Ok((v, held))
}

/// Signs users 0..n up (where needed), then connects and logs each in
/// with the password, keeping the tokens.
pub async fn log_everyone_in(
    args: &ConnectionsArgs,
    n: usize,
    target: &Target,
    accounts: &mut Accounts,
) -> anyhow::Result<Connected> {
    accounts.ensure_with(n, 64, false).await?;
    settle().await;
    crate::progress(format!(
        "connections: {n} users connect and log in, {} at a time",
        args.concurrency
    ));
    let c = connect_all(
        accounts,
        0..n,
        Method::Password,
        Some(args.concurrency.max(1)),
        target,
    )
    .await?;
    for (i, token) in &c.tokens {
        if let Some(a) = accounts.list.get_mut(*i) {
            a.token.clone_from(token);
        }
    }
    Ok(c)
}

/// Lets the server finish what it was doing before memory is read: RSS
/// read mid-burst includes buffers about to be freed.
async fn settle() {
    tokio::time::sleep(Duration::from_secs(1)).await;
}
