//! `e2e`: what a person sees, measured through two real chatd daemons and
//! their local API: a `send` written to alice's daemon until the `message`
//! event on bob's daemon's subscription, with everything between (alice's
//! store and outbox, her end-to-end engine, the server, bob's inbound
//! pipeline, his store and event log) and the delivered receipts that flow
//! back meanwhile. Steady state runs closed loop (a window of messages in
//! flight end to end, closed by bob's event, for the peak) and open loop
//! at fixed rates (latency from when a message was due). The first message
//! of a conversation is measured on fresh pairs of daemons, with the RSA
//! work on its path timed in this process so that the rest can be told
//! apart. Daemon CPU comes from /proc/<pid>/stat of both daemons.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cli::{Cli, E2eArgs};
use crate::daemons::Chatd;
use crate::local::{LineReader, LineWriter, Local, event_params};
use crate::procstat::{self, RssSampler};
use crate::report::{Table, columns_around, f, opt, speed_cells};
use crate::stats::{Latency, Summary};
use crate::target::{Target, sibling_binary};

/// The e2e knobs with `--quick` and the defaults applied.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Daemons started; every pair of them has one first conversation.
    pub daemons: usize,
    /// Closed-loop windows (messages in flight end to end).
    pub windows: Vec<usize>,
    /// Open-loop rates, messages per second.
    pub rates: Vec<u64>,
    /// Each steady-state phase's length.
    pub duration: Duration,
    /// Bytes of each message's text.
    pub text_bytes: usize,
    /// Local-API connections the sends are spread over.
    pub connections: usize,
    /// Drain timeout.
    pub drain: Duration,
}

impl Settings {
    /// Resolves `args` (quick shrinks every default).
    pub fn new(args: &E2eArgs, quick: bool) -> Self {
        let (daemons, windows, rates, secs) = if quick {
            (2, vec![1, 4], vec![20, 50], 1.0)
        } else {
            (5, vec![1, 16], vec![100, 300, 1_000], 8.0)
        };
        Self {
            daemons: args.daemons.unwrap_or(daemons).max(2),
            windows: args.windows.clone().unwrap_or(windows),
            rates: args.rates.clone().unwrap_or(rates),
            duration: Duration::from_secs_f64(args.duration.unwrap_or(secs).max(0.1)),
            text_bytes: args.text_bytes,
            connections: args.connections.max(1),
            drain: Duration::from_secs_f64(args.drain_timeout.max(0.0)),
        }
    }
}

/// Runs the scenario against `target`, prints its tables and returns the
/// JSON figures.
pub async fn run(cli: &Cli, args: &E2eArgs, target: &Target) -> anyhow::Result<Value> {
    let settings = Settings::new(args, cli.quick);
    let binary = match &cli.chatd_bin {
        Some(p) => p.clone(),
        None => sibling_binary("chatd", "--chatd-bin")?,
    };
    let dir = tempfile::tempdir().context("cannot create a temp dir for the daemons")?;
    let daemons = start_daemons(&binary, dir.path(), target, settings.daemons).await?;
    // Settled after signup: the first message measures a conversation,
    // not a daemon still busy with its login chores.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle_rss: Vec<Option<u64>> = daemons
        .iter()
        .map(|d| d.memory_kib().map(|(rss, _)| rss))
        .collect();
    crate::progress(format!(
        "e2e: first message of {} conversations",
        settings.daemons * (settings.daemons - 1) / 2
    ));
    let first = first_messages(&daemons).await?;
    crate::progress(format!(
        "e2e: first message p50 {:.2} ms, max {:.2} ms; RSA on its path {:.2} ms",
        first.delivered.p50_ms, first.delivered.max_ms, first.rsa_on_path_ms
    ));
    let (alice, bob) = match daemons.split_at(1) {
        ([a], [b, ..]) => (a, b),
        _ => anyhow::bail!("the e2e scenario needs two daemons"),
    };
    let mut engine = Steady::start(alice, bob, &settings).await?;
    let mut phases = Vec::new();
    let loads = settings
        .windows
        .iter()
        .map(|&w| Load::Closed { window: w.max(1) })
        .chain(
            settings
                .rates
                .iter()
                .map(|&r| Load::Open { rate: r.max(1) }),
        );
    for load in loads {
        crate::progress(format!("e2e: {} for {:?}", load.label(), settings.duration));
        let phase = engine.run(load, &settings, alice, bob).await;
        crate::progress(format!(
            "e2e: {:.0} msgs/s, p99 {:.2} ms, {} us CPU/msg, lost {}, duplicated {}",
            phase.delivered_per_s,
            phase.latency.p99_ms,
            opt(phase.cpu_us_per_msg, 0),
            phase.lost,
            phase.duplicated
        ));
        let failed = phase.lost > 0 || phase.duplicated > 0;
        phases.push(phase);
        if failed {
            crate::progress(format!(
                "e2e: messages lost or duplicated; the daemons' logs are in {}",
                dir.path().display()
            ));
        }
    }
    engine.close();
    let memory: Vec<Value> = daemons
        .iter()
        .zip(&idle_rss)
        .take(2)
        .map(|(d, idle)| {
            let (rss, hwm) = d.memory_kib().unwrap_or((0, 0));
            json!({"user": d.username, "idle_after_signup": idle, "rss_at_end": rss, "hwm": hwm})
        })
        .collect();
    steady_table(&settings, &phases).print();
    first_table(&first).print();
    let result = json!({
        "daemons": settings.daemons,
        "text_bytes": settings.text_bytes,
        "connections": settings.connections,
        "phase_seconds": settings.duration.as_secs_f64(),
        "daemon_memory_kib": memory,
        "phases": phases,
        "first_message": first,
    });
    for d in &daemons {
        let log = d.log();
        if !log.trim().is_empty() {
            crate::progress(format!("e2e: {}'s chatd logged:\n{log}", d.username));
        }
    }
    Ok(result)
}

/// Starts `n` daemons and signs each up (a few at a time: each generates
/// an identity key first).
async fn start_daemons(
    binary: &std::path::Path,
    dir: &std::path::Path,
    target: &Target,
    n: usize,
) -> anyhow::Result<Vec<Chatd>> {
    let tag = chat_proto::crypto::random_bytes::<3>()?;
    let prefix: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let (binary, home) = (binary.to_path_buf(), dir.join(format!("d{i}")));
        let (addr, fpr) = (target.addr(), target.fingerprint().map(str::to_string));
        let name = format!("e{prefix}-{i}");
        tasks.spawn(async move {
            let mut d = Chatd::start(&binary, &home, addr, fpr.as_deref()).await?;
            d.sign_up(&name, crate::accounts::PASSWORD).await?;
            anyhow::Ok((i, d))
        });
    }
    let mut out = Vec::with_capacity(n);
    while let Some(done) = tasks.join_next().await {
        out.push(done??);
    }
    out.sort_by_key(|(i, _)| *i);
    crate::progress(format!(
        "e2e: {n} chatd daemons ({}) signed up in {:.1} s",
        binary.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(out.into_iter().map(|(_, d)| d).collect())
}

/// The first message of fresh conversations.
#[derive(Debug, Clone, Serialize)]
pub struct FirstMessages {
    /// Conversations measured (one per pair of daemons).
    pub conversations: usize,
    /// From writing `send` to its answer: includes fetching and pinning
    /// the recipient's key from the server on first contact.
    pub send_answered: Summary,
    /// From writing `send` to the recipient's `message` event.
    pub delivered: Summary,
    /// The RSA work on that path, timed in this process with the same
    /// library and key size: the sender's PSS signature and OAEP wrap of
    /// the new session key, the recipient's verification and unwrap.
    pub rsa_on_path_ms: f64,
    /// [`Self::delivered`] less that RSA work, p50 and max.
    pub delivered_without_rsa_p50_ms: f64,
    /// The same for the slowest conversation.
    pub delivered_without_rsa_max_ms: f64,
    /// Each conversation's delivery time, in order, ms.
    pub samples_ms: Vec<f64>,
}

/// Sends the first message of every pair (i < j), one at a time, from i
/// to j; waits for j's `message` event, then for i's `delivered` receipt,
/// so that the next pair starts on quiet daemons.
async fn first_messages(daemons: &[Chatd]) -> anyhow::Result<FirstMessages> {
    let mut conns = Vec::with_capacity(daemons.len());
    for d in daemons {
        let mut c = d.connect().await?;
        c.ok("subscribe", json!({"events": ["message", "receipt"]}))
            .await?;
        conns.push(c);
    }
    let (mut answered, mut delivered) = (Latency::new(), Latency::new());
    let mut samples = Vec::new();
    for i in 0..daemons.len() {
        for j in i + 1..daemons.len() {
            let (left, right) = conns.split_at_mut(j);
            let (ci, cj) = (&mut left[i], &mut right[0]);
            let (from, to) = (&daemons[i].username, &daemons[j].username);
            let text = format!("first message {from} -> {to}");
            let t0 = Instant::now();
            let send = async {
                let r = ci.ok("send", json!({"to": to, "text": text})).await;
                (r, t0.elapsed())
            };
            let arrive = async {
                let r = wait_message(cj, from, &text).await;
                (r, t0.elapsed())
            };
            let ((sent, t_answer), (got, t_event)) = tokio::join!(send, arrive);
            let id = sent?["id"].as_str().unwrap_or_default().to_string();
            got?;
            answered.record_us(t_answer.as_micros() as u64);
            delivered.record_us(t_event.as_micros() as u64);
            samples.push(t_event.as_secs_f64() * 1e3);
            wait_receipt(ci, &id, "delivered").await?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let rsa = tokio::task::spawn_blocking(rsa_on_path)
        .await
        .context("the RSA timing task failed")??;
    let rsa_ms = rsa.as_secs_f64() * 1e3;
    let delivered = delivered.summary();
    Ok(FirstMessages {
        conversations: samples.len(),
        send_answered: answered.summary(),
        delivered,
        rsa_on_path_ms: rsa_ms,
        delivered_without_rsa_p50_ms: (delivered.p50_ms - rsa_ms).max(0.0),
        delivered_without_rsa_max_ms: (delivered.max_ms - rsa_ms).max(0.0),
        samples_ms: samples,
    })
}

/// How long a first message or its receipt may take before the run fails.
const FIRST_TIMEOUT: Duration = Duration::from_secs(30);

async fn wait_message(c: &mut Local, from: &str, text: &str) -> anyhow::Result<()> {
    tokio::time::timeout(FIRST_TIMEOUT, async {
        loop {
            let e = c.next_event().await?;
            let m = &e["message"];
            if e["type"] == "message" && m["from"] == from && m["text"] == text {
                return anyhow::Ok(());
            }
        }
    })
    .await
    .with_context(|| {
        format!("the first message from {from} did not arrive within {FIRST_TIMEOUT:?}")
    })?
}

async fn wait_receipt(c: &mut Local, id: &str, status: &str) -> anyhow::Result<()> {
    tokio::time::timeout(FIRST_TIMEOUT, async {
        loop {
            let e = c.next_event().await?;
            if e["type"] == "receipt" && e["id"] == id && e["status"] == status {
                return anyhow::Ok(());
            }
        }
    })
    .await
    .with_context(|| format!("no {status} receipt for {id} within {FIRST_TIMEOUT:?}"))?
}

/// The RSA-2048 work on a first message's path, the median of a few runs
/// of each operation: PSS sign + OAEP encrypt (the sender's new session
/// key), PSS verify + OAEP decrypt (the recipient's).
fn rsa_on_path() -> anyhow::Result<Duration> {
    use chat_proto::crypto::{
        oaep_decrypt, oaep_encrypt, private_key_from_pem, pss_sign, pss_verify, public_key_from_pem,
    };
    let private = private_key_from_pem(&test_support::fixtures::private_pem("bob"))
        .context("cannot read the test key from testdata/vectors/v1.json")?;
    let public = public_key_from_pem(&test_support::fixtures::public_pem("bob"))
        .context("cannot read the test key from testdata/vectors/v1.json")?;
    // What a session key's signature covers is about this long.
    let signed = [0x42u8; 420];
    let key = [0x5au8; 32];
    let median = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let mut total = Duration::ZERO;
    let (mut sign, mut enc, mut ver, mut dec) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..7 {
        let t = Instant::now();
        let sig = pss_sign(&private, &signed)?;
        sign.push(t.elapsed());
        let t = Instant::now();
        let wrapped = oaep_encrypt(&public, &key)?;
        enc.push(t.elapsed());
        let t = Instant::now();
        pss_verify(&public, &signed, &sig)?;
        ver.push(t.elapsed());
        let t = Instant::now();
        oaep_decrypt(&private, &wrapped)?;
        dec.push(t.elapsed());
    }
    for v in [sign, enc, ver, dec] {
        total += median(v);
    }
    Ok(total)
}

/// How hard to push.
#[derive(Debug, Clone, Copy)]
enum Load {
    /// Keep `window` messages in flight from `send` to bob's event.
    Closed { window: usize },
    /// `rate` messages per second, evenly spread.
    Open { rate: u64 },
}

impl Load {
    fn label(&self) -> String {
        match self {
            Load::Closed { window } => format!("closed, window {window}"),
            Load::Open { rate } => format!("open, {rate}/s"),
        }
    }
}

/// One steady-state phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// The load label.
    pub load: String,
    /// Seconds of sending.
    pub seconds: f64,
    /// `send` requests written.
    pub sent: u64,
    /// Answered with a result.
    pub accepted: u64,
    /// Answered with an error, by `data.code`.
    pub refused: BTreeMap<String, u64>,
    /// Distinct messages that reached bob's subscription while sending,
    /// per second.
    pub delivered_per_s: f64,
    /// `send` (written, or due in open loop) -> bob's `message` event.
    pub latency: Summary,
    /// Seconds after the last send until everything accepted arrived.
    pub drain_s: f64,
    /// Accepted but never shown to bob, all phases so far (0 unless broken).
    pub lost: u64,
    /// Shown to bob more than once, all phases so far.
    pub duplicated: u64,
    /// Local-API connections chatd closed, all phases so far.
    pub closed_connections: u64,
    /// CPU microseconds of both daemons per delivered message.
    pub cpu_us_per_msg: Option<f64>,
    /// Of which the sender's daemon.
    pub sender_cpu_us_per_msg: Option<f64>,
    /// Of which the recipient's daemon.
    pub receiver_cpu_us_per_msg: Option<f64>,
    /// Both daemons' CPU in cores over the phase and its drain.
    pub cpu_cores: Option<f64>,
    /// Peak RSS of the sender's daemon during the phase, KiB.
    pub sender_peak_rss_kib: u64,
    /// Peak RSS of the recipient's daemon during the phase, KiB.
    pub receiver_peak_rss_kib: u64,
    /// CPU of the bench process itself, in cores.
    pub generator_cores: Option<f64>,
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
struct Shared {
    written: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    closed: AtomicU64,
    refusals: Mutex<BTreeMap<String, u64>>,
    received: Mutex<Received>,
}

impl Shared {
    fn received(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn unique(&self) -> u64 {
        self.received().unique
    }

    fn lost(&self) -> u64 {
        self.accepted
            .load(Ordering::Relaxed)
            .saturating_sub(self.unique())
    }

    fn unanswered(&self) -> u64 {
        let answered = self.accepted.load(Ordering::Relaxed) + self.refused.load(Ordering::Relaxed);
        self.written
            .load(Ordering::Relaxed)
            .saturating_sub(answered)
    }

    fn settled(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed) + self.refused.load(Ordering::Relaxed) + self.unique()
    }
}

/// The steady-state pair: connections to alice's daemon that send, bob's
/// subscription that receives, and the tasks reading them.
struct Steady {
    to: String,
    epoch: Instant,
    pad: String,
    next_seq: u64,
    writers: Vec<LineWriter>,
    shared: Arc<Shared>,
    /// One `()` per message that reached bob or was refused: closes a
    /// closed-loop window slot.
    done: mpsc::UnboundedReceiver<()>,
    tasks: Vec<JoinHandle<()>>,
}

impl Steady {
    async fn start(alice: &Chatd, bob: &Chatd, s: &Settings) -> anyhow::Result<Self> {
        let epoch = Instant::now();
        let shared = Arc::new(Shared::default());
        let (done_tx, done) = mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        let mut sub = bob.connect().await?;
        sub.ok("subscribe", json!({"events": ["message"]})).await?;
        let (reader, _writer) = sub.split();
        tasks.push(tokio::spawn(read_events(
            reader,
            _writer,
            alice.username.clone(),
            epoch,
            shared.clone(),
            done_tx.clone(),
        )));
        let mut writers = Vec::new();
        for _ in 0..s.connections {
            let (reader, writer) = alice.connect().await?.split();
            tasks.push(tokio::spawn(read_answers(
                reader,
                shared.clone(),
                done_tx.clone(),
            )));
            writers.push(writer);
        }
        Ok(Self {
            to: bob.username.clone(),
            epoch,
            pad: "x".repeat(s.text_bytes.saturating_sub(40)),
            next_seq: 0,
            writers,
            shared,
            done,
            tasks,
        })
    }

    /// Writes one `send` on the next connection (not flushed); `due` is
    /// when it was due, since the epoch. Returns the connection used.
    async fn write_send(&mut self, due: Duration) -> std::io::Result<usize> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let lane = (seq % self.writers.len() as u64) as usize;
        let text = format!("e2e {seq} {} {}", due.as_nanos(), self.pad);
        self.writers[lane]
            .request(seq, "send", json!({"to": self.to, "text": text}))
            .await?;
        self.shared.written.fetch_add(1, Ordering::Relaxed);
        Ok(lane)
    }

    async fn flush(&mut self, dirty: &mut [bool]) -> std::io::Result<()> {
        for (w, d) in self.writers.iter_mut().zip(dirty.iter_mut()) {
            if std::mem::take(d) {
                w.flush().await?;
            }
        }
        Ok(())
    }

    async fn run(&mut self, load: Load, s: &Settings, alice: &Chatd, bob: &Chatd) -> Phase {
        self.shared.received().latency = Latency::new();
        self.shared
            .refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        while self.done.try_recv().is_ok() {}
        let (unique0, accepted0) = (
            self.shared.unique(),
            self.shared.accepted.load(Ordering::Relaxed),
        );
        let (a0, b0) = (alice.cpu_us(), bob.cpu_us());
        let me = std::process::id();
        let own0 = procstat::cpu_us(me, None);
        let (rss_a, rss_b) = (
            RssSampler::start(vec![alice.pid()]),
            RssSampler::start(vec![bob.pid()]),
        );
        let started = Instant::now();
        let end = started + s.duration;
        let sent = match load {
            Load::Closed { window } => self.closed_loop(window, end).await,
            Load::Open { rate } => self.open_loop(rate, started, end).await,
        };
        let seconds = started.elapsed().as_secs_f64();
        let delivered_while_sending = self.shared.unique() - unique0;
        // Wait while answers or messages still arrive; only `drain` with no
        // progress at all makes what is missing count as lost.
        let drain_started = Instant::now();
        let mut progress = (self.shared.settled(), Instant::now());
        while (self.shared.unanswered() > 0 || self.shared.lost() > 0)
            && progress.1.elapsed() < s.drain
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let now = self.shared.settled();
            if now != progress.0 {
                progress = (now, Instant::now());
            }
        }
        let drain_s = drain_started.elapsed().as_secs_f64();
        let total_s = started.elapsed().as_secs_f64().max(1e-9);
        let delivered = (self.shared.unique() - unique0).max(1) as f64;
        let delta = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64),
            _ => None,
        };
        let cpu_a = delta(a0, alice.cpu_us());
        let cpu_b = delta(b0, bob.cpu_us());
        let cpu = cpu_a.zip(cpu_b).map(|(a, b)| a + b);
        let generator_cores = delta(own0, procstat::cpu_us(me, None)).map(|c| c / 1e6 / total_s);
        let (sender_peak_rss_kib, receiver_peak_rss_kib) = (rss_a.stop().await, rss_b.stop().await);
        let received = self.shared.received();
        Phase {
            load: load.label(),
            seconds,
            sent,
            accepted: self.shared.accepted.load(Ordering::Relaxed) - accepted0,
            refused: self
                .shared
                .refusals
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
            delivered_per_s: delivered_while_sending as f64 / seconds.max(1e-9),
            latency: received.latency.summary(),
            drain_s,
            lost: self
                .shared
                .accepted
                .load(Ordering::Relaxed)
                .saturating_sub(received.unique),
            duplicated: received.dups,
            closed_connections: self.shared.closed.load(Ordering::Relaxed),
            cpu_us_per_msg: cpu.map(|c| c / delivered),
            sender_cpu_us_per_msg: cpu_a.map(|c| c / delivered),
            receiver_cpu_us_per_msg: cpu_b.map(|c| c / delivered),
            cpu_cores: cpu.map(|c| c / 1e6 / total_s),
            sender_peak_rss_kib,
            receiver_peak_rss_kib,
            generator_cores,
        }
    }

    async fn closed_loop(&mut self, window: usize, end: Instant) -> u64 {
        let mut dirty = vec![false; self.writers.len()];
        let (mut in_flight, mut sent) = (0usize, 0u64);
        'outer: while Instant::now() < end {
            while in_flight < window {
                match self.write_send(self.epoch.elapsed()).await {
                    Ok(lane) => dirty[lane] = true,
                    Err(_) => break 'outer,
                }
                in_flight += 1;
                sent += 1;
            }
            if self.flush(&mut dirty).await.is_err() {
                break;
            }
            tokio::select! {
                got = self.done.recv() => match got {
                    Some(()) => in_flight -= 1,
                    None => break,
                },
                () = tokio::time::sleep_until(end.into()) => break,
            }
            while in_flight > 0 && self.done.try_recv().is_ok() {
                in_flight -= 1;
            }
        }
        sent
    }

    async fn open_loop(&mut self, rate: u64, started: Instant, end: Instant) -> u64 {
        let gap = Duration::from_secs_f64(1.0 / rate as f64);
        let mut dirty = vec![false; self.writers.len()];
        let mut sent: u64 = 0;
        loop {
            let due = started + gap.mul_f64(sent as f64);
            if due >= end {
                break;
            }
            if due > Instant::now() {
                if self.flush(&mut dirty).await.is_err() {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
            }
            match self.write_send(due - self.epoch).await {
                Ok(lane) => dirty[lane] = true,
                Err(_) => break,
            }
            sent += 1;
        }
        let _ = self.flush(&mut dirty).await;
        sent
    }

    fn close(self) {
        for t in self.tasks {
            t.abort();
        }
    }
}

/// Bob's subscription: checks and times each message from alice. The
/// writer half is kept so that the connection stays open.
async fn read_events(
    mut reader: LineReader,
    _writer: LineWriter,
    from: String,
    epoch: Instant,
    shared: Arc<Shared>,
    done: mpsc::UnboundedSender<()>,
) {
    while let Ok(Some(line)) = reader.next().await {
        let Some(e) = event_params(&line) else {
            continue;
        };
        let m = &e["message"];
        if e["type"] != "message" || m["direction"] != "in" || m["from"] != from.as_str() {
            continue;
        }
        let mut words = m["text"].as_str().unwrap_or_default().split(' ');
        let (Some("e2e"), Some(seq), Some(due)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let (Ok(seq), Ok(due)) = (seq.parse::<u64>(), due.parse::<u64>()) else {
            continue;
        };
        let now = epoch.elapsed().as_nanos() as u64;
        let mut r = shared.received();
        if r.mark(seq) {
            r.unique += 1;
            r.latency.record_us(now.saturating_sub(due) / 1_000);
            let _ = done.send(());
        } else {
            r.dups += 1;
        }
    }
    shared.closed.fetch_add(1, Ordering::Relaxed);
}

/// One sending connection's answers: a result is an accepted message, an
/// error a refused one (which closes its window slot).
async fn read_answers(
    mut reader: LineReader,
    shared: Arc<Shared>,
    done: mpsc::UnboundedSender<()>,
) {
    while let Ok(Some(line)) = reader.next().await {
        if line.get("id").is_none() {
            continue;
        }
        if let Some(e) = line.get("error") {
            shared.refused.fetch_add(1, Ordering::Relaxed);
            let code = e["data"]["code"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| e["code"].to_string());
            *shared
                .refusals
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(code)
                .or_default() += 1;
            let _ = done.send(());
        } else {
            shared.accepted.fetch_add(1, Ordering::Relaxed);
        }
    }
    shared.closed.fetch_add(1, Ordering::Relaxed);
}

fn steady_table(s: &Settings, phases: &[Phase]) -> Table {
    let mut t = Table::new(
        format!(
            "e2e: alice's chatd -> server -> bob's chatd, {}-byte texts over {} local-API connections, {:?} per phase",
            s.text_bytes, s.connections, s.duration
        ),
        &columns_around(
            &[],
            &[
                "chatd CPU us/msg (sender + receiver)",
                "chatd cores",
                "peak RSS MiB (sender, receiver)",
                "bench cores",
                "refused",
                "lost",
                "duplicated",
            ],
        ),
    );
    for p in phases {
        let mut row = speed_cells(&p.load, p.delivered_per_s, &p.latency);
        row.extend([
            format!(
                "{} ({} + {})",
                opt(p.cpu_us_per_msg, 0),
                opt(p.sender_cpu_us_per_msg, 0),
                opt(p.receiver_cpu_us_per_msg, 0)
            ),
            opt(p.cpu_cores, 2),
            format!(
                "{:.1}, {:.1}",
                p.sender_peak_rss_kib as f64 / 1024.0,
                p.receiver_peak_rss_kib as f64 / 1024.0
            ),
            opt(p.generator_cores, 2),
            p.refused.values().sum::<u64>().to_string(),
            p.lost.to_string(),
            p.duplicated.to_string(),
        ]);
        t.row(row);
    }
    t
}

fn first_table(first: &FirstMessages) -> Table {
    let mut t = Table::new(
        format!(
            "e2e: first message of a conversation ({} fresh pairs of daemons, one at a time)",
            first.conversations
        ),
        &["what", "p50 ms", "max ms"],
    );
    t.row(vec![
        "`send` answered (fetches and pins the recipient's key)".into(),
        f(first.send_answered.p50_ms, 2),
        f(first.send_answered.max_ms, 2),
    ]);
    t.row(vec![
        "`send` -> recipient's `message` event".into(),
        f(first.delivered.p50_ms, 2),
        f(first.delivered.max_ms, 2),
    ]);
    t.row(vec![
        "RSA on that path (sign + wrap, verify + unwrap; timed in the bench)".into(),
        f(first.rsa_on_path_ms, 2),
        f(first.rsa_on_path_ms, 2),
    ]);
    t.row(vec![
        "delivered, RSA aside".into(),
        f(first.delivered_without_rsa_p50_ms, 2),
        f(first.delivered_without_rsa_max_ms, 2),
    ]);
    t
}
