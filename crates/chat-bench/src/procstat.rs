//! What the kernel says about the server process and the host: CPU time
//! from /proc/<pid>/stat, memory from /proc/<pid>/status, listen queue
//! overflows from /proc/net/netstat, and the open-file limit. Read from
//! outside the server so that the server needs no metrics endpoint and the
//! numbers include everything it does (kernel time too).

use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// utime + stime of a process (or of one thread, with `task`), in
/// microseconds; `None` when it cannot be read.
pub fn cpu_us(pid: u32, task: Option<u32>) -> Option<u64> {
    let path = match task {
        Some(tid) => format!("/proc/{pid}/task/{tid}/stat"),
        None => format!("/proc/{pid}/stat"),
    };
    let text = std::fs::read_to_string(path).ok()?;
    // The command name may hold spaces and parentheses: fields count from
    // the last ')'. After it, utime and stime are the 12th and 13th.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    let hz = rustix::param::clock_ticks_per_second().max(1);
    Some((utime + stime) * 1_000_000 / hz)
}

/// Resident memory of a process in KiB: (now, high-water mark).
pub fn memory_kib(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

/// Listen queue counters of the host (TcpExt ListenOverflows, ListenDrops).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct ListenCounters {
    /// Connections dropped because an accept queue was full.
    pub overflows: u64,
    /// All connections dropped on their way to an accept queue.
    pub drops: u64,
}

impl ListenCounters {
    /// Reads the counters now (zeros when /proc/net/netstat is missing).
    pub fn read() -> Self {
        let text = std::fs::read_to_string("/proc/net/netstat").unwrap_or_default();
        let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
        let (Some(names), Some(values)) = (lines.next(), lines.next()) else {
            return Self::default();
        };
        let mut me = Self::default();
        for (n, v) in names.split_whitespace().zip(values.split_whitespace()) {
            match n {
                "ListenOverflows" => me.overflows = v.parse().unwrap_or(0),
                "ListenDrops" => me.drops = v.parse().unwrap_or(0),
                _ => {}
            }
        }
        me
    }

    /// What happened since `earlier`.
    pub fn since(self, earlier: Self) -> Self {
        Self {
            overflows: self.overflows.saturating_sub(earlier.overflows),
            drops: self.drops.saturating_sub(earlier.drops),
        }
    }
}

/// Raises the soft open-file limit to the hard one (the server, started
/// after, inherits it) and returns the limit now in force.
pub fn raise_nofile_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        let _ = setrlimit(Resource::Nofile, limit);
    }
    getrlimit(Resource::Nofile).current.unwrap_or(1024)
}

/// Samples a process's RSS every 100 ms until stopped, keeping the peak:
/// VmHWM covers the whole life of the process, this covers one phase.
pub struct RssSampler {
    stop: watch::Sender<bool>,
    task: JoinHandle<u64>,
}

impl RssSampler {
    /// Starts sampling `pid` (a sampler of nothing when `None`).
    pub fn start(pid: Option<u32>) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak = 0;
            let Some(pid) = pid else { return 0 };
            loop {
                if let Some((rss, _)) = memory_kib(pid) {
                    peak = peak.max(rss);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = stopped.changed() => break,
                }
            }
            if let Some((rss, _)) = memory_kib(pid) {
                peak = peak.max(rss);
            }
            peak
        });
        Self { stop, task }
    }

    /// Stops and returns the peak RSS seen, in KiB.
    pub async fn stop(self) -> u64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0)
    }
}
