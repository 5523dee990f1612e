//! Every scenario, run with `--quick` as a real process against a real
//! chat-server on loopback (and, for `e2e`, real chatd daemons): the JSON report must say that nothing was lost
//! or duplicated and hold every figure. Correctness only: how fast is the
//! benchmark's business, never a test's.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

use serde_json::Value;

/// Runs `chat-bench --quick <args>` and returns its JSON report.
fn run_quick(args: &[&str]) -> Value {
    let server = test_support::daemon::binary("chat-server").expect("chat-server binary");
    let chatd = test_support::daemon::binary("chatd").expect("chatd binary");
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let out = Command::new(env!("CARGO_BIN_EXE_chat-bench"))
        .arg("--quick")
        .arg("--server-bin")
        .arg(&server)
        .arg("--chatd-bin")
        .arg(&chatd)
        .arg("--json-out")
        .arg(&json)
        .args(args)
        .output()
        .expect("run chat-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "chat-bench {args:?} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("| --- |"),
        "no Markdown table on stdout:\n{stdout}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["run"]["quick"], true);
    report["results"].clone()
}

fn number(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

/// A traffic phase delivered everything exactly once and has its figures.
fn check_phase(p: &Value, with_cpu: bool) {
    assert_eq!(p["lost"], 0, "lost messages in {p}");
    assert_eq!(p["duplicated"], 0, "duplicated messages in {p}");
    assert_eq!(p["closed_connections"], 0, "connections closed in {p}");
    assert!(number(&p["accepted"], "accepted") > 0.0, "{p}");
    assert!(number(&p["latency"]["count"], "count") > 0.0, "{p}");
    for k in ["p50_ms", "p99_ms", "p999_ms", "max_ms"] {
        number(&p["latency"][k], k);
    }
    number(&p["delivered_per_s"], "delivered_per_s");
    if with_cpu {
        number(&p["cpu_us_per_msg"], "cpu_us_per_msg");
        number(&p["cpu_cores"], "cpu_cores");
    }
}

/// Every phase of one topology of a relay report, which must have run.
fn check_topology(t: &Value, name: &str) {
    assert_eq!(t["topology"], name, "{t}");
    assert!(t["skipped"].is_null(), "{name} was skipped: {t}");
    let phases = t["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 4, "two windows and two rates: {t}");
    for p in phases {
        check_phase(p, true);
        number(&p["peak_rss_kib"], "peak_rss_kib");
        if name == "sqlite" {
            assert!(p["services_cpu_us_per_msg"].is_null(), "{p}");
        } else {
            number(&p["services_cpu_us_per_msg"], "services_cpu_us_per_msg");
        }
    }
}

fn check_relay(r: &Value) {
    let topologies = r["topologies"].as_array().unwrap();
    assert_eq!(topologies.len(), 1, "one node on SQLite by default: {r}");
    check_topology(&topologies[0], "sqlite");
    let baseline = r["baseline"].as_array().unwrap();
    assert_eq!(baseline.len(), 4);
    for p in baseline {
        check_phase(p, true);
    }
}

#[test]
fn relay_with_its_baseline() {
    check_relay(&run_quick(&["relay"])["relay"]);
}

/// One node on SQLite, one on PostgreSQL, two on PostgreSQL + NATS (with
/// every pair split across them), one after the other in one run: each
/// delivers every message exactly once. Needs Debian's `postgresql` and
/// `nats-server` (.ci/packages.d/).
#[test]
fn relay_on_every_topology() {
    let r = run_quick(&[
        "relay",
        "--topology",
        "all",
        "--pairs",
        "3",
        "--no-baseline",
    ]);
    let r = &r["relay"];
    let topologies = r["topologies"].as_array().unwrap();
    let names: Vec<&str> = topologies
        .iter()
        .map(|t| t["topology"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["sqlite", "postgres", "two-nodes"], "{r}");
    for (t, name) in topologies.iter().zip(names) {
        check_topology(t, name);
    }
    assert_eq!(topologies[0]["pairs_split"], "all on one node");
    assert_eq!(
        topologies[2]["pairs_split"],
        "senders on node 1, receivers on node 2"
    );
    assert_eq!(
        topologies[2]["server_memory_kib_at_end"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "two nodes: {r}"
    );
}

#[test]
fn baseline_alone() {
    let r = run_quick(&["baseline"]);
    for p in r["baseline"]["phases"].as_array().unwrap() {
        check_phase(p, true);
    }
}

fn check_connections(c: &Value) {
    assert_eq!(c["alive"], c["connections"], "{c}");
    number(&c["logins_per_s"], "logins_per_s");
    number(&c["kib_per_connection"], "kib_per_connection");
    number(&c["listen"]["overflows"], "overflows");
}

#[test]
fn connections() {
    check_connections(&run_quick(&["connections"])["connections"]);
}

fn check_storm(s: &Value) {
    number(&s["seconds_until_all_resumed"], "seconds_until_all_resumed");
    number(&s["server_busy"], "server_busy");
    check_phase(&s["before"], true);
    check_phase(&s["during"], true);
}

#[test]
fn reconnect_storm() {
    check_storm(&run_quick(&["reconnect-storm"])["reconnect-storm"]);
}

fn check_login_storm(s: &Value) {
    number(&s["logins_per_s"], "logins_per_s");
    number(&s["seconds_until_last"], "seconds_until_last");
    check_phase(&s["before"], true);
    check_phase(&s["during"], true);
}

#[test]
fn login_storm() {
    // Cost 4 here: the test checks the scenario works, not bcrypt's speed.
    let r = run_quick(&["login-storm", "--bcrypt-cost", "4"]);
    check_login_storm(&r["login-storm"]);
}

fn check_presence(p: &Value) {
    assert_eq!(p["online_frames"], p["expected_each_way"], "{p}");
    assert_eq!(p["offline_frames"], p["expected_each_way"], "{p}");
    number(&p["seconds_until_all_online"], "seconds_until_all_online");
}

#[test]
fn presence() {
    check_presence(&run_quick(&["presence"])["presence"]);
}

fn check_e2e(e: &Value) {
    let phases = e["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 4, "two windows and two rates: {e}");
    for p in phases {
        check_phase(p, true);
        number(&p["sender_cpu_us_per_msg"], "sender_cpu_us_per_msg");
        number(&p["receiver_cpu_us_per_msg"], "receiver_cpu_us_per_msg");
        assert!(number(&p["sender_peak_rss_kib"], "sender RSS") > 0.0, "{p}");
        assert!(
            number(&p["receiver_peak_rss_kib"], "receiver RSS") > 0.0,
            "{p}"
        );
    }
    let first = &e["first_message"];
    assert_eq!(first["conversations"], 1, "two daemons, one pair: {first}");
    assert_eq!(first["samples_ms"].as_array().unwrap().len(), 1, "{first}");
    for k in ["p50_ms", "max_ms"] {
        number(&first["delivered"][k], k);
        number(&first["send_answered"][k], k);
    }
    assert!(number(&first["rsa_on_path_ms"], "rsa_on_path_ms") > 0.0);
    for d in e["daemon_memory_kib"].as_array().unwrap() {
        assert!(number(&d["rss_at_end"], "rss_at_end") > 0.0, "{d}");
    }
}

#[test]
fn e2e_through_two_daemons() {
    check_e2e(&run_quick(&["e2e"])["e2e"]);
}

#[test]
fn all_runs_every_scenario() {
    let r = run_quick(&["all"]);
    check_relay(&r["relay"]);
    check_connections(&r["connections"]);
    check_storm(&r["reconnect-storm"]);
    check_presence(&r["presence"]);
    check_e2e(&r["e2e"]);
    check_login_storm(&r["login-storm"]);
}
