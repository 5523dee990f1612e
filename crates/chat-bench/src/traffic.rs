//! The message traffic every relay measurement shares: pairs of a sending
//! and a receiving connection, driven closed loop (a window of requests in
//! flight per sender, for the peak) or open loop (sends on a fixed
//! schedule, for latency without coordinated omission: latency counts from
//! when a message was due, not from when a slow sender got round to it).
//! Each envelope carries its pair's sequence number and its due time, so
//! the receiver can tell lost and duplicated messages apart and time each
//! one against a clock shared by both ends (one process, one `Instant`).
//!
//! The same engine drives the server (`send` answered by `sent`, `deliver`
//! acked in batches) and the in-process baseline relay (the `send` frame
//! arrives verbatim; there is no `sent`, so a closed-loop window closes on
//! delivery instead).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use chat_proto::codec::{MAX_FRAME_POST_AUTH, read_frame};
use chat_proto::wire::{RequestId, decode_request};
use chat_proto::{Request, ServerMessage};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::procstat::{self, RssSampler};
use crate::stats::{Latency, Summary};
use crate::wire::{self, Reader, Writer};

/// What answers the senders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// chat-server: `sent`, `deliver`, `ack`.
    Server,
    /// The baseline relay: frames forwarded verbatim, nothing answered.
    Baseline,
}

/// How hard to push.
#[derive(Debug, Clone, Copy)]
pub enum Load {
    /// Keep `window` messages in flight per sender.
    Closed {
        /// Messages in flight per sending connection.
        window: usize,
    },
    /// Send `rate` messages per second over all pairs, evenly spread.
    Open {
        /// Messages per second, all pairs together.
        rate: u64,
    },
}

impl Load {
    /// A short label for tables.
    pub fn label(&self) -> String {
        match self {
            Load::Closed { window } => format!("closed, window {window}"),
            Load::Open { rate } => format!("open, {rate}/s"),
        }
    }
}

/// When a phase stops sending.
pub enum Stop {
    /// After this long.
    After(Duration),
    /// When this fires (e.g. a storm is over).
    When(oneshot::Receiver<()>),
}

/// The two connections of a pair, logged in (or paired, for the baseline).
pub struct PairConns {
    /// The sender's connection.
    pub tx: (Reader, Writer),
    /// The receiver's connection.
    pub rx: (Reader, Writer),
    /// The receiver's username (the `to` of each send).
    pub to: String,
}

#[derive(Default)]
struct Received {
    unique: u64,
    dups: u64,
    seen: Vec<u64>,
    latency: Latency,
}

impl Received {
    fn mark(&mut self, seq: u64) -> bool {
        let (word, bit) = ((seq / 64) as usize, seq % 64);
        if self.seen.len() <= word {
            self.seen.resize(word + 1, 0);
        }
        let fresh = self.seen[word] & (1 << bit) == 0;
        self.seen[word] |= 1 << bit;
        fresh
    }
}

#[derive(Default)]
struct PairState {
    written: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    closed: AtomicBool,
    received: Mutex<Received>,
}

impl PairState {
    fn received(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Sender {
    index: usize,
    writer: Writer,
    done: mpsc::UnboundedReceiver<()>,
    next_seq: u64,
    to: String,
}

/// One phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// The load label.
    pub load: String,
    /// Seconds of sending.
    pub seconds: f64,
    /// Messages written.
    pub sent: u64,
    /// Answered `sent` (server) or written (baseline).
    pub accepted: u64,
    /// Answered with an error, by code.
    pub refused: BTreeMap<String, u64>,
    /// Distinct messages delivered while sending, per second.
    pub delivered_per_s: f64,
    /// Send -> deliver latency of every message of the phase.
    pub latency: Summary,
    /// Seconds after the last send until everything accepted had arrived
    /// (or until nothing more arrived for the drain timeout).
    pub drain_s: f64,
    /// Accepted but never delivered, all phases so far (0 unless broken).
    pub lost: u64,
    /// Delivered more than once, all phases so far.
    pub duplicated: u64,
    /// Connections closed by the other end, all phases so far.
    pub closed_connections: u64,
    /// CPU microseconds of the relay per delivered message.
    pub cpu_us_per_msg: Option<f64>,
    /// CPU of the relay in cores (CPU time / wall time of the phase).
    pub cpu_cores: Option<f64>,
    /// CPU microseconds of the services under the relay (PostgreSQL and
    /// nats-server) per delivered message; `None` without any.
    pub services_cpu_us_per_msg: Option<f64>,
    /// Their CPU in cores.
    pub services_cpu_cores: Option<f64>,
    /// Peak RSS of the relay's processes during the phase (summed), KiB.
    pub peak_rss_kib: Option<u64>,
    /// CPU of the load generator itself (this process), in cores: when it
    /// nears the machine's cores, the figures measure the generator.
    pub generator_cores: Option<f64>,
}

/// What a phase reads about the relay besides the traffic: its CPU time,
/// that of the services it stands on, and the processes whose memory is
/// sampled. A chat-server target (one node or several) and the baseline's
/// relay thread each answer in their own way.
pub trait Probe {
    /// The relay's CPU time so far, in microseconds (all its processes).
    fn cpu_us(&self) -> Option<u64>;
    /// CPU time so far of the services the relay stands on (PostgreSQL,
    /// nats-server), in microseconds; `None` when it has none.
    fn services_cpu_us(&self) -> Option<u64> {
        None
    }
    /// Processes whose RSS is sampled, summed (none: no RSS figure).
    fn rss_pids(&self) -> Vec<u32>;
}

/// Running pairs.
pub struct Engine {
    mode: Mode,
    epoch: Instant,
    pad: String,
    pairs: Vec<Arc<PairState>>,
    senders: Vec<Option<Sender>>,
    refusals: Arc<Mutex<BTreeMap<String, u64>>>,
    tasks: Vec<JoinHandle<()>>,
}

impl Engine {
    /// Starts the reading (and acking) tasks of every pair.
    pub fn start(mode: Mode, conns: Vec<PairConns>, envelope_bytes: usize) -> Self {
        let epoch = Instant::now();
        let refusals = Arc::new(Mutex::new(BTreeMap::new()));
        let mut me = Self {
            mode,
            epoch,
            pad: pad_for(envelope_bytes),
            pairs: Vec::new(),
            senders: Vec::new(),
            refusals,
            tasks: Vec::new(),
        };
        for (index, pair) in conns.into_iter().enumerate() {
            let state = Arc::new(PairState::default());
            let (done_tx, done_rx) = mpsc::unbounded_channel();
            let (tx_reader, tx_writer) = pair.tx;
            let (rx_reader, rx_writer) = pair.rx;
            if mode == Mode::Server {
                me.tasks.push(tokio::spawn(read_answers(
                    tx_reader,
                    state.clone(),
                    done_tx.clone(),
                    me.refusals.clone(),
                )));
            }
            let (ack_tx, ack_rx) = mpsc::unbounded_channel();
            me.tasks.push(tokio::spawn(read_deliveries(
                mode,
                rx_reader,
                state.clone(),
                epoch,
                ack_tx,
                done_tx,
            )));
            me.tasks.push(tokio::spawn(write_acks(rx_writer, ack_rx)));
            me.pairs.push(state);
            me.senders.push(Some(Sender {
                index,
                writer: tx_writer,
                done: done_rx,
                next_seq: 0,
                to: pair.to,
            }));
        }
        me
    }

    /// Pairs running.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// No pairs.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// Runs one phase: sends under `load` until `stop`, then waits up to
    /// `drain` for every accepted message, reading CPU and memory through
    /// `probe`.
    pub async fn run(
        &mut self,
        load: Load,
        stop: Stop,
        drain: Duration,
        probe: &dyn Probe,
    ) -> Phase {
        for p in &self.pairs {
            p.received().latency = Latency::new();
        }
        self.refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        let (unique0, accepted0) = (self.unique(), self.accepted());
        let (cpu0, services0) = (probe.cpu_us(), probe.services_cpu_us());
        let me = std::process::id();
        let own0 = procstat::cpu_us(me, None);
        let rss_pids = probe.rss_pids();
        let sampled = !rss_pids.is_empty();
        let rss = RssSampler::start(rss_pids);
        let (stop_tx, stop_rx) = watch::channel(false);
        let started = Instant::now();
        let pairs = self.pairs.len();
        let mut running = Vec::new();
        for slot in &mut self.senders {
            let Some(sender) = slot.take() else { continue };
            let ctx = SendCtx {
                mode: self.mode,
                load,
                pairs,
                started,
                epoch: self.epoch,
                pad: self.pad.clone(),
                state: self.pairs[sender.index].clone(),
                stop: stop_rx.clone(),
                drain,
            };
            running.push(tokio::spawn(drive(sender, ctx)));
        }
        match stop {
            Stop::After(d) => tokio::time::sleep(d).await,
            Stop::When(rx) => {
                let _ = rx.await;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let delivered_while_sending = self.unique() - unique0;
        let _ = stop_tx.send(true);
        let mut sent = 0;
        for task in running {
            if let Ok((sender, n)) = task.await {
                sent += n;
                let i = sender.index;
                self.senders[i] = Some(sender);
            }
        }
        // Wait while messages are still arriving: a backlog built under
        // overload is slow, not lost. `drain` is how long no progress at
        // all may last before what is missing counts as lost.
        // Answers still on their way count too: a `sent` that arrives
        // after the check would turn into a message reported missing.
        let drain_started = Instant::now();
        let mut progress = (self.settled(), Instant::now());
        while (self.unanswered() > 0 || self.lost() > 0) && progress.1.elapsed() < drain {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = self.settled();
            if now != progress.0 {
                progress = (now, Instant::now());
            }
        }
        let drain_s = drain_started.elapsed().as_secs_f64();
        let delta =
            |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| b.saturating_sub(a) as f64);
        let cpu = delta(cpu0, probe.cpu_us());
        let services = delta(services0, probe.services_cpu_us());
        let delivered = (self.unique() - unique0).max(1) as f64;
        let total_s = started.elapsed().as_secs_f64();
        let generator_cores = own0
            .zip(procstat::cpu_us(me, None))
            .map(|(a, b)| b.saturating_sub(a) as f64 / 1e6 / total_s.max(1e-9));
        let peak_rss_kib = Some(rss.stop().await).filter(|&k| k > 0 && sampled);
        let refused = self
            .refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut latency = Latency::new();
        for p in &self.pairs {
            latency.merge(&p.received().latency);
        }
        Phase {
            load: load.label(),
            seconds,
            sent,
            accepted: self.accepted() - accepted0,
            refused,
            delivered_per_s: delivered_while_sending as f64 / seconds.max(1e-9),
            latency: latency.summary(),
            drain_s,
            lost: self.lost(),
            duplicated: self.pairs.iter().map(|p| p.received().dups).sum(),
            closed_connections: self
                .pairs
                .iter()
                .filter(|p| p.closed.load(Ordering::Relaxed))
                .count() as u64,
            cpu_us_per_msg: cpu.map(|c| c / delivered),
            cpu_cores: cpu.map(|c| c / 1e6 / total_s.max(1e-9)),
            services_cpu_us_per_msg: services.map(|c| c / delivered),
            services_cpu_cores: services.map(|c| c / 1e6 / total_s.max(1e-9)),
            peak_rss_kib,
            generator_cores,
        }
    }

    fn unique(&self) -> u64 {
        self.pairs.iter().map(|p| p.received().unique).sum()
    }

    /// Written but neither accepted nor refused yet.
    fn unanswered(&self) -> u64 {
        self.pairs
            .iter()
            .map(|p| {
                let answered =
                    p.accepted.load(Ordering::Relaxed) + p.refused.load(Ordering::Relaxed);
                p.written.load(Ordering::Relaxed).saturating_sub(answered)
            })
            .sum()
    }

    /// Answers and deliveries so far: while this grows, the drain goes on.
    fn settled(&self) -> u64 {
        self.accepted()
            + self.unique()
            + self
                .pairs
                .iter()
                .map(|p| p.refused.load(Ordering::Relaxed))
                .sum::<u64>()
    }

    fn accepted(&self) -> u64 {
        self.pairs
            .iter()
            .map(|p| p.accepted.load(Ordering::Relaxed))
            .sum()
    }

    /// Accepted messages not delivered yet, over all pairs.
    fn lost(&self) -> u64 {
        self.pairs
            .iter()
            .map(|p| {
                p.accepted
                    .load(Ordering::Relaxed)
                    .saturating_sub(p.received().unique)
            })
            .sum()
    }

    /// Stops every task; dropping the halves closes the connections.
    pub fn close(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}

struct SendCtx {
    mode: Mode,
    load: Load,
    pairs: usize,
    started: Instant,
    epoch: Instant,
    pad: String,
    state: Arc<PairState>,
    stop: watch::Receiver<bool>,
    drain: Duration,
}

/// One sender for one phase; gives the sender back with the count sent.
async fn drive(mut s: Sender, mut ctx: SendCtx) -> (Sender, u64) {
    while s.done.try_recv().is_ok() {}
    let sent = match ctx.load {
        Load::Closed { window } => closed_loop(&mut s, &mut ctx, window.max(1)).await,
        Load::Open { rate } => open_loop(&mut s, &mut ctx, rate.max(1)).await,
    };
    (s, sent)
}

async fn closed_loop(s: &mut Sender, ctx: &mut SendCtx, window: usize) -> u64 {
    let mut in_flight = 0usize;
    let mut sent = 0;
    'outer: while !*ctx.stop.borrow() {
        while in_flight < window {
            let due = ctx.epoch.elapsed();
            if write_send(s, ctx, due).await.is_err() {
                break 'outer;
            }
            in_flight += 1;
            sent += 1;
        }
        if s.writer.flush().await.is_err() {
            break;
        }
        tokio::select! {
            got = s.done.recv() => match got {
                Some(()) => in_flight -= 1,
                None => break,
            },
            _ = ctx.stop.changed() => break,
        }
        while in_flight > 0 && s.done.try_recv().is_ok() {
            in_flight -= 1;
        }
    }
    // Let the window empty, so the next phase starts from nothing in flight.
    let _ = tokio::time::timeout(ctx.drain, async {
        while in_flight > 0 && s.done.recv().await.is_some() {
            in_flight -= 1;
        }
    })
    .await;
    sent
}

async fn open_loop(s: &mut Sender, ctx: &mut SendCtx, rate: u64) -> u64 {
    let gap = Duration::from_secs_f64(ctx.pairs as f64 / rate as f64);
    // Stagger the pairs over one gap so the sends do not all fall together.
    let offset = gap.mul_f64(s.index as f64 / ctx.pairs.max(1) as f64);
    let mut sent: u64 = 0;
    loop {
        let due = ctx.started + offset + gap.mul_f64(sent as f64);
        if due > Instant::now() {
            if s.writer.flush().await.is_err() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep_until(due.into()) => {}
                _ = ctx.stop.changed() => break,
            }
        }
        if *ctx.stop.borrow() {
            break;
        }
        if write_send(s, ctx, due - ctx.epoch).await.is_err() {
            break;
        }
        sent += 1;
        while s.done.try_recv().is_ok() {}
    }
    let _ = s.writer.flush().await;
    sent
}

/// Writes one `send` (not flushed) carrying the next sequence number and
/// `due`, the time it was due since the epoch.
async fn write_send(s: &mut Sender, ctx: &SendCtx, due: Duration) -> std::io::Result<()> {
    let seq = s.next_seq;
    s.next_seq += 1;
    let mut envelope = Map::new();
    envelope.insert("kind".into(), json!("bench"));
    envelope.insert("seq".into(), json!(seq));
    envelope.insert("t".into(), json!(due.as_nanos() as u64));
    envelope.insert("pad".into(), Value::String(ctx.pad.clone()));
    let req = Request::Send {
        to: s.to.clone(),
        envelope,
    };
    wire::write_request(&mut s.writer, Some(&RequestId::from(seq)), &req).await?;
    ctx.state.written.fetch_add(1, Ordering::Relaxed);
    if ctx.mode == Mode::Baseline {
        ctx.state.accepted.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Padding that brings an envelope's JSON to about `bytes`.
fn pad_for(bytes: usize) -> String {
    let probe = json!({"kind": "bench", "seq": 100_000, "t": 100_000_000_000u64, "pad": ""});
    let base = probe.to_string().len();
    "x".repeat(bytes.saturating_sub(base))
}

/// The sender's connection: `sent` and errors, each closing one slot of
/// the window.
async fn read_answers(
    mut reader: Reader,
    state: Arc<PairState>,
    done: mpsc::UnboundedSender<()>,
    refusals: Arc<Mutex<BTreeMap<String, u64>>>,
) {
    loop {
        match wire::recv(&mut reader).await {
            Ok(Some((Some(_), ServerMessage::Sent { .. }))) => {
                state.accepted.fetch_add(1, Ordering::Relaxed);
                let _ = done.send(());
            }
            Ok(Some((Some(_), ServerMessage::Error { code, .. }))) => {
                state.refused.fetch_add(1, Ordering::Relaxed);
                let name = serde_json::to_value(code)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_else(|| format!("{code:?}"));
                *refusals
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .entry(name)
                    .or_default() += 1;
                let _ = done.send(());
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    state.closed.store(true, Ordering::Relaxed);
}

/// The receiver's connection: checks and times each envelope, queues its
/// id for the ack writer (server) or closes a window slot (baseline).
async fn read_deliveries(
    mode: Mode,
    mut reader: Reader,
    state: Arc<PairState>,
    epoch: Instant,
    acks: mpsc::UnboundedSender<String>,
    done: mpsc::UnboundedSender<()>,
) {
    loop {
        let frame = match read_frame(&mut reader, MAX_FRAME_POST_AUTH).await {
            Ok(Some(f)) => f,
            Ok(None) | Err(_) => break,
        };
        let envelope = match mode {
            Mode::Server => match chat_proto::wire::decode_server(&frame) {
                Ok((
                    _,
                    ServerMessage::Deliver {
                        msg_id, envelope, ..
                    },
                )) => {
                    let _ = acks.send(msg_id);
                    envelope
                }
                _ => continue,
            },
            Mode::Baseline => match decode_request(&frame) {
                Ok((_, Request::Send { envelope, .. })) => {
                    let _ = done.send(());
                    envelope
                }
                _ => continue,
            },
        };
        let (Some(seq), Some(due)) = (
            envelope.get("seq").and_then(Value::as_u64),
            envelope.get("t").and_then(Value::as_u64),
        ) else {
            continue;
        };
        let now = epoch.elapsed().as_nanos() as u64;
        let mut r = state.received();
        if r.mark(seq) {
            r.unique += 1;
            r.latency.record_us(now.saturating_sub(due) / 1_000);
        } else {
            r.dups += 1;
        }
    }
    state.closed.store(true, Ordering::Relaxed);
}

/// Acks delivered ids in batches: one `ack` per burst instead of per message.
async fn write_acks(mut writer: Writer, mut ids: mpsc::UnboundedReceiver<String>) {
    while let Some(first) = ids.recv().await {
        let mut batch = vec![first];
        while batch.len() < 1_000 {
            match ids.try_recv() {
                Ok(id) => batch.push(id),
                Err(_) => break,
            }
        }
        let ack = Request::Ack { msg_ids: batch };
        if wire::write_request(&mut writer, None, &ack).await.is_err()
            || writer.flush().await.is_err()
        {
            break;
        }
    }
}
