//! Load generator for issue 13: how chat traffic fares while a large file
//! moves, and whether memory stays flat while it does. A benchmark, not a
//! test: it asserts nothing about time, it prints what it measured.
//!
//! ```text
//! cargo run --release -p chatd --example transfer_load -- [--size-mib 100]
//! ```
//!
//! It starts a real chat-server and two real chatd processes (alice and
//! bob) through `test-support`, exactly as the integration tests do, then:
//!
//! 1. measures the round trip of 1:1 text messages alice→bob (from
//!    alice's `send` request to bob's `message` event) with nothing else
//!    running;
//! 2. the same while alice uploads a file of `--size-mib` MiB to bob;
//! 3. the same while bob downloads it;
//! 4. the same once both are over;
//!
//! and samples the resident memory (`VmRSS` in `/proc/<pid>/status`) of
//! both chatd processes and of chat-server every 100 ms throughout. The
//! table shows, per phase, p50/p95/max of the round trips and the peak RSS
//! of each process in that phase (the last sample for `after`). See
//! docs/BENCHMARKS.md for what the numbers mean.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chatd_api::client::{Client, EventStream};
use chatd_api::{
    DownloadParams, EventBody, EventKind, Message, SendFileParams, SendParams, SubscribeParams,
    Transfer, TransferState, call,
};
use clap::Parser;
use test_support::World;

const MIB: u64 = 1024 * 1024;

/// How long any one awaited answer or event may take before the run is
/// abandoned (a hang, not a slow result).
const STUCK: Duration = Duration::from_secs(300);

#[derive(Parser, Debug)]
#[command(about = "Chat latency and memory while a large file moves (issue 13)")]
struct Args {
    /// Size of the file sent, in MiB (chatd sends at most 100 MiB).
    #[arg(long, default_value_t = 100)]
    size_mib: u64,
    /// Round trips measured when no transfer runs (per idle phase).
    #[arg(long, default_value_t = 50)]
    pings: usize,
    /// Pause between two round trips, in ms.
    #[arg(long, default_value_t = 20)]
    interval_ms: u64,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.size_mib == 0 || args.size_mib > 100 {
        bail!("--size-mib must be 1 to 100 (chatd's largest file is 100 MiB)");
    }
    let interval = Duration::from_millis(args.interval_ms);

    eprintln!("starting chat-server and two chatd …");
    let world = World::new();
    let (alice_d, _) = world.user("alice").await;
    let (bob_d, _) = world.user("bob").await;
    let pids = [
        alice_d.pid().context("alice's chatd is not running")?,
        bob_d.pid().context("bob's chatd is not running")?,
        world.server.pid(),
    ];
    // Pings, transfers and events each on their own connection, so that
    // no request waits behind another on one connection.
    let alice = Client::connect(&alice_d.socket).await?;
    let bob = Client::connect(&bob_d.socket).await?;
    let mut pinger = Pinger {
        alice: Client::connect(&alice_d.socket).await?,
        bob: subscribe(&bob_d.socket, EventKind::Message).await?,
        others: Vec::new(),
        n: 0,
    };

    let files = tempfile::tempdir()?;
    eprintln!("writing a {} MiB file …", args.size_mib);
    let source = make_file(files.path(), "load.bin", args.size_mib * MIB)?;

    let sampler = Sampler::start(pids);

    // Warm-up: the first message fetches bob's key and sets up the session.
    for _ in 0..3 {
        pinger.ping().await?;
    }

    eprintln!("idle round trips …");
    let idle_start = Instant::now();
    let idle = pinger.count(args.pings, interval).await?;
    let idle_end = Instant::now();

    eprintln!("round trips while alice uploads …");
    let mut alice_transfers = subscribe(&alice_d.socket, EventKind::Transfer).await?;
    let done = AtomicBool::new(false);
    let up_start = Instant::now();
    let (upload, up_result) = tokio::join!(pinger.until(&done, interval), async {
        let r = async {
            let sent = alice
                .invoke::<call::SendFile>(&SendFileParams {
                    to: Some("bob".into()),
                    path: source.to_string_lossy().into_owned(),
                    ..Default::default()
                })
                .await?;
            let t = finished(&mut alice_transfers, &sent.transfer.id).await?;
            anyhow::Ok((sent.id, t))
        }
        .await;
        done.store(true, Ordering::SeqCst);
        r
    });
    let up_end = Instant::now();
    let upload = upload?;
    let (file_id, _) = up_result?;

    let message = pinger.file_message(&file_id).await?;
    let size = message.file.map_or(args.size_mib * MIB, |f| f.size);

    eprintln!("round trips while bob downloads …");
    let mut bob_transfers = subscribe(&bob_d.socket, EventKind::Transfer).await?;
    let inbox = tempfile::tempdir()?;
    let done = AtomicBool::new(false);
    let down_start = Instant::now();
    let (download, down_result) = tokio::join!(pinger.until(&done, interval), async {
        let r = async {
            let started = bob
                .invoke::<call::Download>(&DownloadParams {
                    id: file_id.clone(),
                    path: Some(inbox.path().to_string_lossy().into_owned()),
                })
                .await?;
            finished(&mut bob_transfers, &started.transfer.id).await
        }
        .await;
        done.store(true, Ordering::SeqCst);
        r
    });
    let down_end = Instant::now();
    let download = download?;
    let placed = down_result?
        .path
        .map(PathBuf::from)
        .context("the download is done but has no path")?;
    let arrived = std::fs::metadata(&placed)?.len();
    if arrived != size {
        bail!("{} has {arrived} bytes, not {size}", placed.display());
    }

    eprintln!("idle round trips after both …");
    let after_start = Instant::now();
    let after = pinger.count(args.pings, interval).await?;
    // Let memory settle a moment before the last sample.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let samples = sampler.stop();
    let after_end = Instant::now();

    let rows = [
        (
            "idle",
            Stats::of(&idle),
            peak(&samples, idle_start, idle_end),
        ),
        (
            "during upload",
            Stats::of(&upload),
            peak(&samples, up_start, up_end),
        ),
        (
            "during download",
            Stats::of(&download),
            peak(&samples, down_start, down_end),
        ),
        (
            "after",
            Stats::of(&after),
            samples
                .iter()
                .rev()
                .find(|s| s.at >= after_start && s.at <= after_end)
                .map(|s| s.rss),
        ),
    ];

    let mib = size as f64 / MIB as f64;
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    println!(
        "transfer_load: {mib:.0} MiB file, {profile} build, {} round trips idle, one every {} ms",
        args.pings, args.interval_ms
    );
    println!();
    println!(
        "{:<16} {:>4} {:>7} {:>7} {:>7}  | {:>11}  {:>11}  {:>10}",
        "phase", "n", "p50 ms", "p95 ms", "max ms", "chatd-a MiB", "chatd-b MiB", "server MiB"
    );
    for (name, stats, rss) in rows {
        let rss = match rss {
            Some([a, b, s]) => format!("{:>11.1}  {:>11.1}  {:>10.1}", kib(a), kib(b), kib(s)),
            None => format!("{:>11}  {:>11}  {:>10}", "-", "-", "-"),
        };
        println!(
            "{name:<16} {:>4} {:>7.1} {:>7.1} {:>7.1}  | {rss}",
            stats.n, stats.p50, stats.p95, stats.max
        );
    }
    println!();
    let secs = |a: Instant, b: Instant| b.duration_since(a).as_secs_f64();
    println!(
        "upload:   {mib:.0} MiB in {:.1} s = {:.1} MiB/s (send_file request to the upload's `done`)",
        secs(up_start, up_end),
        mib / secs(up_start, up_end)
    );
    println!(
        "download: {mib:.0} MiB in {:.1} s = {:.1} MiB/s (download request to the download's `done`)",
        secs(down_start, down_end),
        mib / secs(down_start, down_end)
    );
    Ok(())
}

/// A new connection to the chatd at `socket` subscribed to `kind` only (one
/// subscription per connection).
async fn subscribe(socket: &Path, kind: EventKind) -> anyhow::Result<EventStream> {
    let client = Client::connect(socket).await?;
    let (_, events) = client
        .subscribe(SubscribeParams {
            events: Some(vec![kind]),
            since: None,
        })
        .await?;
    // The stream keeps the connection open.
    Ok(events)
}

/// Sends pings alice→bob and times them to bob's `message` event.
struct Pinger {
    alice: Client,
    bob: EventStream,
    /// Bob's messages that were not pings (the file's message).
    others: Vec<Message>,
    n: u64,
}

impl Pinger {
    /// One round trip.
    async fn ping(&mut self) -> anyhow::Result<Duration> {
        self.n += 1;
        let text = format!("ping {}", self.n);
        let t0 = Instant::now();
        self.alice
            .invoke::<call::Send>(&SendParams {
                to: Some("bob".into()),
                group: None,
                text: text.clone(),
            })
            .await?;
        loop {
            let m = self.next_message().await?;
            if m.from == "alice" && m.text == text {
                return Ok(t0.elapsed());
            }
            self.others.push(m);
        }
    }

    async fn next_message(&mut self) -> anyhow::Result<Message> {
        loop {
            let e = tokio::time::timeout(STUCK, self.bob.recv())
                .await
                .context("no message reached bob in time")?
                .context("bob's event stream ended")?;
            if let EventBody::Message { message, .. } = e.body {
                return Ok(message);
            }
        }
    }

    /// `n` round trips, `interval` apart.
    async fn count(&mut self, n: usize, interval: Duration) -> anyhow::Result<Vec<Duration>> {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(self.ping().await?);
            tokio::time::sleep(interval).await;
        }
        Ok(out)
    }

    /// Round trips `interval` apart until `done` (at least one).
    async fn until(
        &mut self,
        done: &AtomicBool,
        interval: Duration,
    ) -> anyhow::Result<Vec<Duration>> {
        let mut out = Vec::new();
        loop {
            out.push(self.ping().await?);
            if done.load(Ordering::SeqCst) {
                return Ok(out);
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Bob's message of the file `id` (seen already or still to come).
    async fn file_message(&mut self, id: &str) -> anyhow::Result<Message> {
        if let Some(i) = self.others.iter().position(|m| m.id == id) {
            return Ok(self.others.remove(i));
        }
        loop {
            let m = self.next_message().await?;
            if m.id == id {
                return Ok(m);
            }
        }
    }
}

/// Waits for transfer `id` to end; an error unless it is `done`.
async fn finished(events: &mut EventStream, id: &str) -> anyhow::Result<Transfer> {
    loop {
        let e = tokio::time::timeout(STUCK, events.recv())
            .await
            .with_context(|| format!("transfer {id} did not end in time"))?
            .context("the transfer event stream ended")?;
        if let EventBody::Transfer { transfer, .. } = e.body
            && transfer.id == id
            && transfer.state.is_final()
        {
            return match transfer.state {
                TransferState::Done => Ok(*transfer),
                s => bail!("transfer {id} ended {s:?}: {:?}", transfer.error),
            };
        }
    }
}

/// A file of `len` bytes that no compression could shrink.
fn make_file(dir: &Path, name: &str, len: u64) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join(name);
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ len;
    let mut left = len;
    while left > 0 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let n = left.min(8);
        out.write_all(&x.to_le_bytes()[..n as usize])?;
        left -= n;
    }
    out.flush()?;
    Ok(path)
}

/// RSS of chatd-a, chatd-b and chat-server in KiB at one moment.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    rss: [u64; 3],
}

/// Samples the three processes' RSS every 100 ms on its own thread.
struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<Vec<Sample>>>,
    thread: std::thread::JoinHandle<()>,
}

impl Sampler {
    fn start(pids: [u32; 3]) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new(Vec::new()));
        let thread = std::thread::spawn({
            let stop = stop.clone();
            let samples = samples.clone();
            move || {
                while !stop.load(Ordering::SeqCst) {
                    let rss = pids.map(|p| vm_rss_kib(p).unwrap_or(0));
                    let s = Sample {
                        at: Instant::now(),
                        rss,
                    };
                    samples
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(s);
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        Self {
            stop,
            samples,
            thread,
        }
    }

    fn stop(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
        std::mem::take(
            &mut *self
                .samples
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// `VmRSS` of `pid` in KiB.
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The peak RSS of each process over the samples taken in `[from, to]`.
fn peak(samples: &[Sample], from: Instant, to: Instant) -> Option<[u64; 3]> {
    samples
        .iter()
        .filter(|s| s.at >= from && s.at <= to)
        .map(|s| s.rss)
        .reduce(|a, b| [a[0].max(b[0]), a[1].max(b[1]), a[2].max(b[2])])
}

fn kib(v: u64) -> f64 {
    v as f64 / 1024.0
}

/// p50/p95/max of round trips in ms (nearest rank).
struct Stats {
    n: usize,
    p50: f64,
    p95: f64,
    max: f64,
}

impl Stats {
    fn of(v: &[Duration]) -> Self {
        let mut ms: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
        ms.sort_by(f64::total_cmp);
        let rank = |p: f64| -> f64 {
            if ms.is_empty() {
                return f64::NAN;
            }
            let i = ((p / 100.0) * ms.len() as f64).ceil() as usize;
            ms[i.clamp(1, ms.len()) - 1]
        };
        Self {
            n: ms.len(),
            p50: rank(50.0),
            p95: rank(95.0),
            max: rank(100.0),
        }
    }
}
