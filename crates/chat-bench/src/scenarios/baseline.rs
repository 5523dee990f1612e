//! `baseline`: what this machine can relay at all. A minimal relay in the
//! bench itself reads length-prefixed frames and forwards each, verbatim
//! and unparsed, to the paired connection, batching writes; no storage, no
//! JSON, no acks. It runs on one thread of its own (a single-threaded
//! runtime), so its CPU time is that thread's and the traffic engine is the
//! same as for the server: the server's figures divided by these say what
//! the server's work costs over moving the bytes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use chat_proto::codec::{MAX_FRAME_POST_AUTH, encode_frame, read_frame};
use serde_json::{Value, json};
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::oneshot;

use super::relay::Settings;
use crate::procstat;
use crate::report::{Table, columns_around, opt, speed_cells};
use crate::traffic::{Engine, Mode, PairConns, Phase, Probe, Stop};

/// Runs the baseline alone: prints its table, returns its JSON.
pub async fn run(settings: &Settings) -> anyhow::Result<Value> {
    let phases = measure(settings).await?;
    table(settings, &phases).print();
    Ok(json!({
        "pairs": settings.pairs,
        "envelope_bytes": settings.envelope_bytes,
        "phase_seconds": settings.duration.as_secs_f64(),
        "phases": phases,
    }))
}

/// Every load phase of `settings` through the baseline relay.
pub async fn measure(settings: &Settings) -> anyhow::Result<Vec<Phase>> {
    let relay = BaselineRelay::start()?;
    crate::progress(format!(
        "baseline: relay on {} (thread {})",
        relay.addr, relay.tid
    ));
    let mut conns = Vec::with_capacity(settings.pairs);
    for pair in 0..settings.pairs {
        let tx = join(relay.addr, pair, "tx").await?;
        let rx = join(relay.addr, pair, "rx").await?;
        conns.push(PairConns {
            tx,
            rx,
            to: "peer".into(),
        });
    }
    let mut engine = Engine::start(Mode::Baseline, conns, settings.envelope_bytes);
    let (pid, tid) = (std::process::id(), relay.tid);
    let mut phases = Vec::new();
    for load in settings.loads() {
        crate::progress(format!(
            "baseline: {} for {:?}",
            load.label(),
            settings.duration
        ));
        let phase = engine
            .run(
                load,
                Stop::After(settings.duration),
                settings.drain,
                &RelayThread { pid, tid },
            )
            .await;
        crate::progress(format!(
            "baseline: {:.0} msgs/s, p99 {:.2} ms",
            phase.delivered_per_s, phase.latency.p99_ms
        ));
        phases.push(phase);
    }
    engine.close();
    Ok(phases)
}

/// The baseline relay's thread: its CPU time is the relay's; its memory is
/// the bench's own, so none is reported.
struct RelayThread {
    pid: u32,
    tid: u32,
}

impl Probe for RelayThread {
    fn cpu_us(&self) -> Option<u64> {
        procstat::cpu_us(self.pid, Some(self.tid))
    }

    fn rss_pids(&self) -> Vec<u32> {
        Vec::new()
    }
}

/// The baseline's table.
pub fn table(settings: &Settings, phases: &[Phase]) -> Table {
    let mut t = Table::new(
        format!(
            "baseline relay (one thread, no storage): {} pairs, {}-byte envelopes",
            settings.pairs, settings.envelope_bytes
        ),
        &columns_around(
            &[],
            &["relay CPU us/msg", "relay cores", "lost", "duplicated"],
        ),
    );
    for p in phases {
        let mut row = speed_cells(&p.load, p.delivered_per_s, &p.latency);
        row.extend([
            opt(p.cpu_us_per_msg, 2),
            opt(p.cpu_cores, 2),
            p.lost.to_string(),
            p.duplicated.to_string(),
        ]);
        t.row(row);
    }
    t
}

/// Connects to the relay and says which end of which pair this is.
async fn join(
    addr: SocketAddr,
    pair: usize,
    role: &str,
) -> anyhow::Result<(crate::wire::Reader, crate::wire::Writer)> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let (r, w) = tcp.into_split();
    let mut w = BufWriter::with_capacity(16 * 1024, w);
    let hello = json!({"type": "pair", "pair": pair, "role": role}).to_string();
    w.write_all(&encode_frame(hello.as_bytes())).await?;
    w.flush().await?;
    Ok((BufReader::with_capacity(16 * 1024, r), w))
}

/// The relay thread; stopped when dropped.
struct BaselineRelay {
    addr: SocketAddr,
    tid: u32,
    stop: Option<oneshot::Sender<()>>,
}

/// Pair number -> the half that arrived first.
type Waiting = Arc<Mutex<HashMap<u64, Half>>>;

enum Half {
    Tx(BufReader<OwnedReadHalf>),
    Rx(BufWriter<OwnedWriteHalf>),
}

impl BaselineRelay {
    fn start() -> anyhow::Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("baseline-relay".into())
            .spawn(move || {
                let _ = tid_tx.send(rustix::thread::gettid().as_raw_nonzero().get());
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        _ = accept_loop(listener) => {}
                        _ = stopped => {}
                    }
                });
            })?;
        let tid = tid_rx.recv().context("the baseline relay thread died")?;
        Ok(Self {
            addr,
            tid: u32::try_from(tid).unwrap_or(0),
            stop: Some(stop),
        })
    }
}

impl Drop for BaselineRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn accept_loop(listener: tokio::net::TcpListener) {
    let waiting: Waiting = Arc::default();
    while let Ok((tcp, _)) = listener.accept().await {
        let _ = tcp.set_nodelay(true);
        tokio::spawn(register(tcp, waiting.clone()));
    }
}

/// Reads the pairing frame, then parks this half or, when its partner is
/// there, starts forwarding.
async fn register(tcp: TcpStream, waiting: Waiting) {
    let (r, w) = tcp.into_split();
    let mut reader = BufReader::with_capacity(64 * 1024, r);
    let Ok(Some(hello)) = read_frame(&mut reader, MAX_FRAME_POST_AUTH).await else {
        return;
    };
    let Ok(hello) = serde_json::from_slice::<Value>(&hello) else {
        return;
    };
    let Some(pair) = hello["pair"].as_u64() else {
        return;
    };
    let me = if hello["role"] == "tx" {
        Half::Tx(reader)
    } else {
        Half::Rx(BufWriter::with_capacity(64 * 1024, w))
    };
    let partner = {
        let mut map = waiting.lock().unwrap_or_else(PoisonError::into_inner);
        match map.remove(&pair) {
            Some(other) => Some(other),
            None => {
                map.insert(pair, me);
                return;
            }
        }
    };
    match (me, partner) {
        (Half::Tx(r), Some(Half::Rx(w))) | (Half::Rx(w), Some(Half::Tx(r))) => forward(r, w).await,
        _ => {}
    }
}

/// Copies frames from one connection to the other, flushing only when no
/// more input is buffered: one write per burst, not per frame.
async fn forward(mut from: BufReader<OwnedReadHalf>, mut to: BufWriter<OwnedWriteHalf>) {
    while let Ok(Some(frame)) = read_frame(&mut from, MAX_FRAME_POST_AUTH).await {
        let len = u32::try_from(frame.len()).unwrap_or(0).to_be_bytes();
        if to.write_all(&len).await.is_err() || to.write_all(&frame).await.is_err() {
            return;
        }
        if from.buffer().is_empty() && to.flush().await.is_err() {
            return;
        }
    }
}
