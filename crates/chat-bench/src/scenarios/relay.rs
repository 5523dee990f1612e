//! `relay`: the server's core job, send -> durable -> deliver -> ack,
//! between many pairs at once. Closed loop finds the peak (how many
//! messages per second the server delivers when every sender keeps a
//! window full); open loop at fixed rates shows latency at a load the
//! server should carry. Each figure is also shown as a ratio to the
//! baseline relay, run in the same invocation on the same machine.
//!
//! The same phases run against each topology asked for (`--topology`):
//! one node on SQLite, one on PostgreSQL, two on PostgreSQL and NATS with
//! every pair split across the nodes, so that the comparison shows what
//! the shared database and the bus hop cost a message, with the same
//! traffic, in one run.

use std::time::Duration;

use anyhow::bail;
use serde::Serialize;
use serde_json::{Value, json};

use crate::accounts::Accounts;
use crate::cli::{Cli, RelayArgs, RelayCmd};
use crate::report::{Table, columns_around, f, opt, speed_cells};
use crate::target::{Services, Target};
use crate::traffic::{Engine, Load, Mode, Phase, Stop};

/// The relay knobs with `--quick` and the defaults applied.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Pairs.
    pub pairs: usize,
    /// Closed-loop windows.
    pub windows: Vec<usize>,
    /// Open-loop rates.
    pub rates: Vec<u64>,
    /// Each phase's length.
    pub duration: Duration,
    /// Envelope size.
    pub envelope_bytes: usize,
    /// Drain timeout.
    pub drain: Duration,
    /// Run the baseline too.
    pub baseline: bool,
}

impl Settings {
    /// Resolves `args` (quick shrinks every default).
    pub fn new(args: &RelayArgs, quick: bool) -> Self {
        let (pairs, windows, rates, secs) = if quick {
            (10, vec![1, 8], vec![200, 500], 1.0)
        } else {
            (500, vec![1, 32], vec![1_000, 2_000, 5_000, 10_000], 8.0)
        };
        Self {
            pairs: args.pairs.unwrap_or(pairs).max(1),
            windows: args.windows.clone().unwrap_or(windows),
            rates: args.rates.clone().unwrap_or(rates),
            duration: Duration::from_secs_f64(args.duration.unwrap_or(secs).max(0.1)),
            envelope_bytes: args.envelope_bytes,
            drain: Duration::from_secs_f64(args.drain_timeout.max(0.0)),
            baseline: !args.no_baseline,
        }
    }

    /// Every load phase, closed loop first.
    pub fn loads(&self) -> Vec<Load> {
        let closed = self.windows.iter().map(|&window| Load::Closed { window });
        let open = self.rates.iter().map(|&rate| Load::Open { rate });
        closed.chain(open).collect()
    }
}

/// One topology's measurement: the servers, how the pairs were split over
/// them, and every phase (or why the topology was skipped).
#[derive(Debug, Serialize)]
pub struct TopologyRun {
    /// `sqlite`, `postgres`, `two-nodes` (or `external`).
    pub topology: &'static str,
    /// What ran.
    pub servers: &'static str,
    /// How the pairs were split over the nodes.
    pub pairs_split: &'static str,
    /// Why it did not run (PostgreSQL or nats-server not installed).
    pub skipped: Option<String>,
    /// Its phases, in the order of [`Settings::loads`].
    pub phases: Vec<Phase>,
    /// Each node's memory after the phases.
    pub server_memory_kib_at_end: Vec<Value>,
}

/// `chat-bench relay`: every topology asked for, one after the other, each
/// started on a fresh database and stopped before the next, then the
/// baseline once; prints the tables, returns the JSON figures.
pub async fn run(cli: &Cli, cmd: &RelayCmd, max_connections: usize) -> anyhow::Result<Value> {
    let settings = Settings::new(&cmd.args, cli.quick);
    if cli.server.is_some() {
        if cmd.topology.is_some() {
            bail!("--topology starts the servers it measures; drop --server (or --topology)");
        }
        let target = Target::start(cli, 4, max_connections)?;
        let mut accounts = Accounts::new(target.addr())?;
        let measured = measure(&settings, &target, &mut accounts).await?;
        return finish(&settings, vec![measured], false).await;
    }
    let mut services = Services::default();
    let mut runs = Vec::new();
    for topology in cmd.topologies() {
        if let Some(why) = tokio::task::block_in_place(|| services.prepare(topology)) {
            crate::progress(format!("relay: skipping {}: {why}", topology.name()));
            runs.push(TopologyRun {
                topology: topology.name(),
                servers: topology.servers(),
                pairs_split: "",
                skipped: Some(why),
                phases: Vec::new(),
                server_memory_kib_at_end: Vec::new(),
            });
            continue;
        }
        crate::progress(format!(
            "relay on {}: {}",
            topology.name(),
            topology.servers()
        ));
        let target = tokio::task::block_in_place(|| {
            Target::start_topology(cli, topology, &services, 4, max_connections)
        })?;
        let mut accounts = Accounts::new(target.addr())?;
        runs.push(measure(&settings, &target, &mut accounts).await?);
    }
    if runs.iter().all(|r| r.skipped.is_some()) {
        bail!("no topology could run: install what the lines above name");
    }
    finish(&settings, runs, cmd.topology.is_some()).await
}

/// Runs the relay phases against `target` (then the baseline), prints the
/// tables and returns the JSON figures: `all` on its one server.
pub async fn run_on(
    cli: &Cli,
    args: &RelayArgs,
    target: &Target,
    accounts: &mut Accounts,
) -> anyhow::Result<Value> {
    let settings = Settings::new(args, cli.quick);
    let measured = measure(&settings, target, accounts).await?;
    finish(&settings, vec![measured], false).await
}

/// Every load phase against `target`: senders log in to its node 1,
/// receivers to its last node.
async fn measure(
    settings: &Settings,
    target: &Target,
    accounts: &mut Accounts,
) -> anyhow::Result<TopologyRun> {
    let name = target.name();
    accounts.ensure(2 * settings.pairs, 64).await?;
    crate::progress(format!(
        "relay on {name}: logging in {} pairs, {}",
        settings.pairs,
        target.pairs_split()
    ));
    let conns =
        super::server_pairs_on(accounts, 0, settings.pairs, target.addr(), target.rx_addr())
            .await?;
    let mut engine = Engine::start(Mode::Server, conns, settings.envelope_bytes);
    let mut phases = Vec::new();
    for load in settings.loads() {
        crate::progress(format!(
            "relay on {name}: {} for {:?}",
            load.label(),
            settings.duration
        ));
        let phase = engine
            .run(load, Stop::After(settings.duration), settings.drain, target)
            .await;
        crate::progress(format!(
            "relay on {name}: {:.0} msgs/s, p99 {:.2} ms, lost {}, duplicated {}",
            phase.delivered_per_s, phase.latency.p99_ms, phase.lost, phase.duplicated
        ));
        phases.push(phase);
    }
    engine.close();
    Ok(TopologyRun {
        topology: name,
        servers: target.servers(),
        pairs_split: target.pairs_split(),
        skipped: None,
        phases,
        server_memory_kib_at_end: target
            .nodes_memory_kib()
            .into_iter()
            .map(|m| json!(m.map(|(rss, hwm)| json!({"rss": rss, "hwm": hwm}))))
            .collect(),
    })
}

/// Runs the baseline (unless told not to), prints a table per topology,
/// the baseline's and, for several topologies or when `compare`, the
/// comparison; returns the JSON figures.
async fn finish(
    settings: &Settings,
    runs: Vec<TopologyRun>,
    compare: bool,
) -> anyhow::Result<Value> {
    let baseline = if settings.baseline {
        Some(super::baseline::measure(settings).await?)
    } else {
        None
    };
    for r in runs.iter().filter(|r| r.skipped.is_none()) {
        table(settings, r, baseline.as_deref()).print();
    }
    if let Some(b) = &baseline {
        super::baseline::table(settings, b).print();
    }
    if compare || runs.len() > 1 {
        comparison(settings, &runs).print();
    }
    Ok(json!({
        "pairs": settings.pairs,
        "users": 2 * settings.pairs,
        "envelope_bytes": settings.envelope_bytes,
        "phase_seconds": settings.duration.as_secs_f64(),
        "topologies": runs,
        "baseline": baseline,
    }))
}

fn table(settings: &Settings, run: &TopologyRun, baseline: Option<&[Phase]>) -> Table {
    let mut t = Table::new(
        format!(
            "relay on {} ({}): {} pairs ({} users), {}-byte envelopes, {:?} per phase",
            run.topology,
            run.servers,
            settings.pairs,
            2 * settings.pairs,
            settings.envelope_bytes,
            settings.duration
        ),
        &columns_around(
            &[],
            &[
                "server CPU us/msg",
                "server cores",
                "server peak RSS MiB",
                "bench cores",
                "refused",
                "lost",
                "duplicated",
                "closed conns",
                "msgs/s vs baseline",
                "p99 vs baseline",
                "CPU/msg vs baseline",
            ],
        ),
    );
    for (i, p) in run.phases.iter().enumerate() {
        let base = baseline.and_then(|b| b.get(i));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}x", a / b),
            _ => "n/a".to_string(),
        };
        let mut row = speed_cells(&p.load, p.delivered_per_s, &p.latency);
        row.extend([
            opt(p.cpu_us_per_msg, 1),
            opt(p.cpu_cores, 2),
            opt(p.peak_rss_kib.map(|k| k as f64 / 1024.0), 1),
            opt(p.generator_cores, 2),
            p.refused.values().sum::<u64>().to_string(),
            p.lost.to_string(),
            p.duplicated.to_string(),
            p.closed_connections.to_string(),
            ratio(Some(p.delivered_per_s), base.map(|b| b.delivered_per_s)),
            ratio(Some(p.latency.p99_ms), base.map(|b| b.latency.p99_ms)),
            ratio(p.cpu_us_per_msg, base.and_then(|b| b.cpu_us_per_msg)),
        ]);
        t.row(row);
    }
    t
}

/// One row per topology and phase: the figures that differ between them.
fn comparison(settings: &Settings, runs: &[TopologyRun]) -> Table {
    let mut t = Table::new(
        format!(
            "relay by topology: {} pairs ({} users), {}-byte envelopes, {:?} per phase; {}",
            settings.pairs,
            2 * settings.pairs,
            settings.envelope_bytes,
            settings.duration,
            runs.iter()
                .map(|r| format!("{} = {}", r.topology, r.servers))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        &columns_around(
            &["topology", "pairs"],
            &[
                "chat-server CPU us/msg",
                "PG+NATS CPU us/msg",
                "total CPU us/msg",
                "chat-server cores",
                "PG+NATS cores",
                "chat-server peak RSS MiB",
                "lost",
                "duplicated",
            ],
        ),
    );
    for r in runs {
        let name = r.topology.to_string();
        if let Some(why) = &r.skipped {
            let mut row = vec![name, "-".into(), format!("skipped: {why}")];
            row.resize(t.columns.len(), "-".into());
            t.row(row);
            continue;
        }
        for p in &r.phases {
            let total = match (p.cpu_us_per_msg, p.services_cpu_us_per_msg) {
                (Some(a), Some(b)) => Some(a + b),
                (a, None) => a,
                (None, Some(_)) => None,
            };
            let mut row = vec![name.clone(), r.pairs_split.to_string()];
            row.extend(speed_cells(&p.load, p.delivered_per_s, &p.latency));
            row.extend([
                opt(p.cpu_us_per_msg, 1),
                p.services_cpu_us_per_msg.map_or("-".into(), |v| f(v, 1)),
                opt(total, 1),
                opt(p.cpu_cores, 2),
                p.services_cpu_cores.map_or("-".into(), |v| f(v, 2)),
                opt(p.peak_rss_kib.map(|k| k as f64 / 1024.0), 1),
                p.lost.to_string(),
                p.duplicated.to_string(),
            ]);
            t.row(row);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_topology_is_one_row_saying_why() {
        let settings = Settings::new(
            &RelayArgs {
                pairs: Some(2),
                windows: Some(vec![1]),
                rates: Some(vec![]),
                duration: Some(1.0),
                envelope_bytes: 200,
                drain_timeout: 1.0,
                no_baseline: true,
            },
            true,
        );
        let skipped = TopologyRun {
            topology: "two-nodes",
            servers: "2 chat-servers, PostgreSQL + NATS",
            pairs_split: "",
            skipped: Some("nats-server not found: install Debian's `nats-server` package".into()),
            phases: Vec::new(),
            server_memory_kib_at_end: Vec::new(),
        };
        let t = comparison(&settings, &[skipped]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].len(), t.columns.len());
        assert!(
            t.rows[0][2].contains("`nats-server` package"),
            "{:?}",
            t.rows
        );
        assert!(
            t.title.contains("two-nodes = 2 chat-servers"),
            "{}",
            t.title
        );
    }
}
