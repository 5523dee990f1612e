//! `relay`: the server's core job, send -> durable -> deliver -> ack,
//! between many pairs at once. Closed loop finds the peak (how many
//! messages per second the server delivers when every sender keeps a
//! window full); open loop at fixed rates shows latency at a load the
//! server should carry. Each figure is also shown as a ratio to the
//! baseline relay, run in the same invocation on the same machine.

use std::time::Duration;

use serde_json::{Value, json};

use crate::accounts::Accounts;
use crate::cli::{Cli, RelayArgs};
use crate::report::{Table, f, opt};
use crate::target::Target;
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

/// Runs the relay phases against `target` (then the baseline), prints the
/// table and returns the JSON figures.
pub async fn run(
    cli: &Cli,
    args: &RelayArgs,
    target: &Target,
    accounts: &mut Accounts,
) -> anyhow::Result<Value> {
    let settings = Settings::new(args, cli.quick);
    accounts.ensure(2 * settings.pairs, 64).await?;
    crate::progress(format!("relay: logging in {} pairs", settings.pairs));
    let conns = super::server_pairs(accounts, 0, settings.pairs).await?;
    let mut engine = Engine::start(Mode::Server, conns, settings.envelope_bytes);
    let mut phases = Vec::new();
    for load in settings.loads() {
        crate::progress(format!(
            "relay: {} for {:?}",
            load.label(),
            settings.duration
        ));
        let phase = engine
            .run(
                load,
                Stop::After(settings.duration),
                settings.drain,
                &|| target.cpu_us(),
                target.pid(),
            )
            .await;
        crate::progress(format!(
            "relay: {:.0} msgs/s, p99 {:.2} ms, lost {}, duplicated {}",
            phase.delivered_per_s, phase.latency.p99_ms, phase.lost, phase.duplicated
        ));
        phases.push(phase);
    }
    engine.close();
    let baseline = if settings.baseline {
        Some(super::baseline::measure(&settings).await?)
    } else {
        None
    };
    table(&settings, &phases, baseline.as_deref()).print();
    if let Some(b) = &baseline {
        super::baseline::table(&settings, b).print();
    }
    Ok(json!({
        "pairs": settings.pairs,
        "users": 2 * settings.pairs,
        "envelope_bytes": settings.envelope_bytes,
        "phase_seconds": settings.duration.as_secs_f64(),
        "server_memory_kib_at_end": target.memory_kib().map(|(rss, hwm)| json!({"rss": rss, "hwm": hwm})),
        "phases": phases,
        "baseline": baseline,
    }))
}

fn table(settings: &Settings, phases: &[Phase], baseline: Option<&[Phase]>) -> Table {
    let mut t = Table::new(
        format!(
            "relay: {} pairs ({} users), {}-byte envelopes, {:?} per phase",
            settings.pairs,
            2 * settings.pairs,
            settings.envelope_bytes,
            settings.duration
        ),
        &[
            "load",
            "delivered msgs/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "max ms",
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
    );
    for (i, p) in phases.iter().enumerate() {
        let base = baseline.and_then(|b| b.get(i));
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.3}x", a / b),
            _ => "n/a".to_string(),
        };
        t.row(vec![
            p.load.clone(),
            f(p.delivered_per_s, 0),
            f(p.latency.p50_ms, 2),
            f(p.latency.p99_ms, 2),
            f(p.latency.p999_ms, 2),
            f(p.latency.max_ms, 2),
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
    }
    t
}
