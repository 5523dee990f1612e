//! Output: a Markdown table per scenario on stdout (pasted as is into
//! docs/BENCHMARKS.md) and one JSON file per run with every figure and the
//! conditions it was taken under, for scripts and for comparing runs.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::{Value, json};

/// A Markdown table.
pub struct Table {
    /// Heading printed above it.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Cells, row by row.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(title: impl Into<String>, columns: &[&str]) -> Self {
        Self {
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!("### {}\n\n", self.title);
        out += &format!("| {} |\n", self.columns.join(" | "));
        out += &format!("|{}\n", " --- |".repeat(self.columns.len()));
        for row in &self.rows {
            out += &format!("| {} |\n", row.join(" | "));
        }
        out
    }

    /// Prints it on stdout.
    pub fn print(&self) {
        println!("{}", self.markdown());
    }
}

/// A number with a thousands separator-free fixed precision.
pub fn f(value: f64, decimals: usize) -> String {
    format!("{value:.decimals$}")
}

/// An optional number, "n/a" when unknown.
pub fn opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "n/a".to_string(), |v| f(v, decimals))
}

/// The build this binary is (a debug build's numbers are not comparable).
pub fn build_profile() -> &'static str {
    if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    }
}

/// The conditions of the run, recorded at the top of the JSON file.
pub fn run_header(scenario: &str, quick: bool) -> Value {
    json!({
        "scenario": scenario,
        "started_utc": utc_stamp(now_secs()),
        "build": build_profile(),
        "quick": quick,
        "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "bench_version": env!("CARGO_PKG_VERSION"),
    })
}

/// Writes the JSON report, creating its directory.
pub fn write_json(path: &Path, report: &Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// target/chat-bench/<scenario>-<timestamp>.json.
pub fn default_json_path(scenario: &str) -> PathBuf {
    let stamp = utc_stamp(now_secs()).replace([':', '-'], "");
    PathBuf::from("target/chat-bench").join(format!("{scenario}-{stamp}.json"))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (civil-from-days, proleptic
/// Gregorian), to avoid a date crate for one timestamp.
pub fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The columns every relay-like table starts with ([`speed_cells`]).
pub const SPEED_COLUMNS: [&str; 6] = [
    "load",
    "delivered msgs/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "max ms",
];

/// The cells under [`SPEED_COLUMNS`]: the load, then how much got through
/// and how fast.
pub fn speed_cells(
    load: &str,
    delivered_per_s: f64,
    latency: &crate::stats::Summary,
) -> Vec<String> {
    vec![
        load.to_owned(),
        f(delivered_per_s, 0),
        f(latency.p50_ms, 2),
        f(latency.p99_ms, 2),
        f(latency.p999_ms, 2),
        f(latency.max_ms, 2),
    ]
}

/// [`SPEED_COLUMNS`] after `before` and before `after`.
pub fn columns_around<'a>(before: &[&'a str], after: &[&'a str]) -> Vec<&'a str> {
    [before, &SPEED_COLUMNS[..], after].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_stamps_are_calendar_dates() {
        assert_eq!(utc_stamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_stamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_stamp(1_796_288_645), "2026-12-03T09:04:05Z");
    }

    #[test]
    fn tables_render_as_markdown() {
        let mut t = Table::new("x", &["a", "b"]);
        t.row(vec!["1".into(), "2".into()]);
        assert_eq!(
            t.markdown(),
            "### x\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n"
        );
    }
}
