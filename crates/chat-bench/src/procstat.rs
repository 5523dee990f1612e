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

/// CPU time of a process and all its descendants, in microseconds: for
/// services that fork a process per connection (PostgreSQL's backends).
/// Each process counts utime + stime + cutime + cstime, so a child that
/// exits between two readings moves from its own count into its
/// parent's reaped-children count instead of vanishing. `None` when the
/// root cannot be read.
pub fn tree_cpu_us(root: u32) -> Option<u64> {
    let mut children: std::collections::HashMap<u32, Vec<u32>> = Default::default();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(ppid) = stat_fields(pid).and_then(|f| f.get(1)?.parse().ok()) {
            children.entry(ppid).or_default().push(pid);
        }
    }
    let own = |pid: u32| -> Option<u64> {
        let f = stat_fields(pid)?;
        // utime, stime, cutime, cstime: fields 14 to 17 of stat(5).
        (11..15).map(|i| f.get(i)?.parse::<u64>().ok()).sum()
    };
    let mut total = own(root)?;
    let mut todo = children.remove(&root).unwrap_or_default();
    while let Some(pid) = todo.pop() {
        total += own(pid).unwrap_or(0);
        todo.extend(children.remove(&pid).unwrap_or_default());
    }
    let hz = rustix::param::clock_ticks_per_second().max(1);
    Some(total * 1_000_000 / hz)
}

/// The fields of /proc/<pid>/stat after the command name (state first).
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_owned).collect())
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

/// Samples the RSS of some processes every 100 ms until stopped, keeping
/// the peak of their sum: VmHWM covers the whole life of one process, this
/// covers one phase of all of them (the nodes of a cluster together).
pub struct RssSampler {
    stop: watch::Sender<bool>,
    task: JoinHandle<u64>,
}

impl RssSampler {
    /// Starts sampling `pids` (a sampler of nothing when empty).
    pub fn start(pids: Vec<u32>) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut peak = 0;
            if pids.is_empty() {
                return 0;
            }
            let sum = || -> u64 {
                pids.iter()
                    .filter_map(|&pid| memory_kib(pid))
                    .map(|(rss, _)| rss)
                    .sum()
            };
            loop {
                peak = peak.max(sum());
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                    _ = stopped.changed() => break,
                }
            }
            peak.max(sum())
        });
        Self { stop, task }
    }

    /// Stops and returns the peak RSS seen, in KiB.
    pub async fn stop(self) -> u64 {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_counts_its_children() {
        let me = std::process::id();
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let tree = tree_cpu_us(me).unwrap();
        assert!(tree >= cpu_us(me, None).unwrap(), "the root's own time");
        assert!(tree_cpu_us(child.id()).is_some());
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(tree_cpu_us(u32::MAX), None, "no such process");
    }
}
