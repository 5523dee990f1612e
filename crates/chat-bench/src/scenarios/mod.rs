//! The scenarios, one module each, and what they share: the run's server
//! and accounts, logging pairs in, and writing the report. `all` runs them
//! in order on one server so that accounts made by one are reused by the
//! next (login-storm starts its own, at bcrypt cost 12).

pub mod baseline;
pub mod bystanders;
pub mod connections;
pub mod e2e;
pub mod login_storm;
pub mod presence;
pub mod reconnect_storm;
pub mod relay;

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::accounts::{Accounts, Method, Retries, log_in};
use crate::cli::{
    Cli, ConnectionsArgs, E2eArgs, LoginStormArgs, PresenceArgs, RelayArgs, Scenario,
};
use crate::procstat;
use crate::report;
use crate::target::Target;
use crate::traffic::PairConns;

/// Connections kept free for the bench's own files and the server's.
const FD_SLACK: u64 = 64;

/// Runs what the command line asks and writes the JSON report.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let nofile = procstat::raise_nofile_limit();
    let max_connections = usize::try_from(nofile.saturating_sub(FD_SLACK)).unwrap_or(1024);
    let name = cli.scenario.name();
    crate::progress(format!(
        "{name}: {} build, open-file limit {nofile}{}",
        report::build_profile(),
        if cli.quick { ", quick" } else { "" }
    ));
    let header = report::run_header(name, cli.quick);
    let mut results = Map::new();
    match &cli.scenario {
        Scenario::Relay(cmd) => {
            let v = relay::run(&cli, cmd, max_connections).await?;
            results.insert("relay".into(), v);
        }
        Scenario::Baseline(args) => {
            let v = baseline::run(&relay::Settings::new(args, cli.quick)).await?;
            results.insert("baseline".into(), v);
        }
        Scenario::Connections(args) => {
            let target = Target::start(&cli, 4, max_connections)?;
            let mut accounts = Accounts::new(target.addr())?;
            let (v, _held) = connections::run(&cli, args, nofile, &target, &mut accounts).await?;
            results.insert("connections".into(), v);
        }
        Scenario::ReconnectStorm(args) => {
            let target = Target::start(&cli, 4, max_connections)?;
            let mut accounts = Accounts::new(target.addr())?;
            let v = reconnect_storm::run(&cli, args, nofile, &target, &mut accounts, None).await?;
            results.insert("reconnect-storm".into(), v);
        }
        Scenario::LoginStorm(args) => {
            let v = login_storm::run(&cli, args, max_connections).await?;
            results.insert("login-storm".into(), v);
        }
        Scenario::Presence(args) => {
            let target = Target::start(&cli, 4, max_connections)?;
            let mut accounts = Accounts::new(target.addr())?;
            let v = presence::run(&cli, args, &target, &mut accounts).await?;
            results.insert("presence".into(), v);
        }
        Scenario::E2e(args) => {
            let target = Target::start(&cli, 4, max_connections)?;
            let v = e2e::run(&cli, args, &target).await?;
            results.insert("e2e".into(), v);
        }
        Scenario::All => all(&cli, nofile, max_connections, &mut results).await?,
    }
    let path = cli
        .json_out
        .clone()
        .unwrap_or_else(|| report::default_json_path(name));
    let report = json!({"run": header, "results": results});
    report::write_json(&path, &report)?;
    crate::progress(format!("wrote {}", path.display()));
    Ok(())
}

/// Every scenario with its defaults.
async fn all(
    cli: &Cli,
    nofile: u64,
    max_connections: usize,
    results: &mut Map<String, Value>,
) -> anyhow::Result<()> {
    let target = Target::start(cli, 4, max_connections)?;
    let mut accounts = Accounts::new(target.addr())?;
    let relay_args = RelayArgs {
        pairs: None,
        windows: None,
        rates: None,
        duration: None,
        envelope_bytes: 200,
        drain_timeout: 30.0,
        no_baseline: false,
    };
    let v = relay::run_on(cli, &relay_args, &target, &mut accounts).await?;
    results.insert("relay".into(), v);
    let conn_args = ConnectionsArgs {
        count: None,
        fd_margin: 1000,
        concurrency: 512,
        pairs: 10,
        rate: 200,
    };
    let (v, held) = connections::run(cli, &conn_args, nofile, &target, &mut accounts).await?;
    results.insert("connections".into(), v);
    let v =
        reconnect_storm::run(cli, &conn_args, nofile, &target, &mut accounts, Some(held)).await?;
    results.insert("reconnect-storm".into(), v);
    let presence_args = PresenceArgs {
        users: None,
        watch: None,
    };
    let v = presence::run(cli, &presence_args, &target, &mut accounts).await?;
    results.insert("presence".into(), v);
    let e2e_args = E2eArgs {
        daemons: None,
        windows: None,
        rates: None,
        duration: None,
        text_bytes: 200,
        connections: 4,
        drain_timeout: 30.0,
    };
    let v = e2e::run(cli, &e2e_args, &target).await?;
    results.insert("e2e".into(), v);
    drop(target);
    let storm_args = LoginStormArgs {
        logins: None,
        bcrypt_cost: 12,
        pairs: 10,
        rate: 200,
        before: 5.0,
    };
    let v = login_storm::run(cli, &storm_args, max_connections).await?;
    results.insert("login-storm".into(), v);
    Ok(())
}

/// Logs users `first..first + 2 * pairs` in with their tokens and pairs
/// them: user first + 2i sends to user first + 2i + 1.
pub async fn server_pairs(
    accounts: &Accounts,
    first: usize,
    pairs: usize,
) -> anyhow::Result<Vec<PairConns>> {
    server_pairs_on(accounts, first, pairs, accounts.addr(), accounts.addr()).await
}

/// Like [`server_pairs`], with the senders logged in to `tx_node` and the
/// receivers to `rx_node` (two nodes of a cluster: every message crosses).
pub async fn server_pairs_on(
    accounts: &Accounts,
    first: usize,
    pairs: usize,
    tx_node: SocketAddr,
    rx_node: SocketAddr,
) -> anyhow::Result<Vec<PairConns>> {
    let retries = Arc::new(Retries::default());
    let gate = Arc::new(Semaphore::new(64));
    let mut tasks = JoinSet::new();
    for i in first..first + 2 * pairs {
        let account = accounts.list.get(i).context("too few accounts")?.clone();
        let addr = if (i - first).is_multiple_of(2) {
            tx_node
        } else {
            rx_node
        };
        let key = accounts.key().to_string();
        let (gate, retries) = (gate.clone(), retries.clone());
        tasks.spawn(async move {
            let _permit = gate.acquire_owned().await?;
            let (conn, _) = log_in(addr, i, &account, &key, Method::Token, &retries).await?;
            anyhow::Ok((i, account.name, conn))
        });
    }
    let mut conns = Vec::new();
    while let Some(done) = tasks.join_next().await {
        conns.push(done??);
    }
    conns.sort_by_key(|(i, _, _)| *i);
    let mut out = Vec::with_capacity(pairs);
    let mut it = conns.into_iter();
    while let (Some((_, _, tx)), Some((_, to, rx))) = (it.next(), it.next()) {
        out.push(PairConns {
            tx: (tx.reader, tx.writer),
            rx: (rx.reader, rx.writer),
            to,
        });
    }
    Ok(out)
}
