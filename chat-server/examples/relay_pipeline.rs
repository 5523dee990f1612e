//! One sender, one recipient, one connection each, over loopback against
//! the real chat-server binary: alice keeps `window` sends in flight on her
//! one connection (a new one goes out as each `sent` comes back), bob
//! acknowledges what is delivered in batches. Prints delivered messages a
//! second and the server's CPU time per message (from /proc), so the effect
//! of pipelining a connection is seen end to end, durability included.
//!
//! ```sh
//! cargo build -p chat-server
//! cargo run -p chat-server --example relay_pipeline -- target/debug/chat-server [messages] [window...]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::Instant;

use chat_proto::ServerMessage;
use serde_json::json;
use test_support::fixtures::public_pem;
use test_support::{ServerProcess, WireClient};

/// utime + stime of `pid` in clock ticks (100 a second on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("proc stat");
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

fn envelope(n: usize) -> serde_json::Value {
    json!({"kind":"msg","key_id":"k","seq":n,"nonce":"AAAAAAAAAAAAAAAA","ct":"x".repeat(160)})
}

/// Alice's side: `total` sends, `window` in flight; returns when all are
/// answered `sent`.
async fn sender(mut alice: WireClient, total: usize, window: usize) {
    let mut next = 0;
    while next < total.min(window) {
        alice
            .send_value(&json!({"type":"send","id":next,"to":"bob","envelope":envelope(next)}))
            .await
            .unwrap();
        next += 1;
    }
    let mut answered = 0;
    while answered < total {
        match alice.recv().await.unwrap() {
            Some((Some(_), ServerMessage::Sent { .. })) => answered += 1,
            Some((Some(_), other)) => panic!("send refused: {other:?}"),
            Some((None, _)) => continue,
            None => panic!("server closed alice's connection"),
        }
        if next < total {
            alice
                .send_value(&json!({"type":"send","id":next,"to":"bob","envelope":envelope(next)}))
                .await
                .unwrap();
            next += 1;
        }
    }
}

/// Bob's side: reads `total` deliveries in order, acking every 64.
async fn receiver(mut bob: WireClient, total: usize) {
    let (mut got, mut ids) = (0, Vec::new());
    while got < total {
        if let ServerMessage::Deliver {
            msg_id, envelope, ..
        } = bob.next_push().await.unwrap()
        {
            assert_eq!(envelope["seq"].as_u64(), Some(got as u64), "order");
            got += 1;
            ids.push(msg_id);
            if ids.len() == 64 || got == total {
                bob.send_value(&json!({"type":"ack","msg_ids":ids}))
                    .await
                    .unwrap();
                ids.clear();
            }
        }
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let binary = PathBuf::from(
        args.next()
            .expect("usage: relay_pipeline <chat-server> [messages] [window...]"),
    );
    let total: usize = args.next().map_or(5_000, |n| n.parse().expect("messages"));
    let mut windows: Vec<usize> = args.map(|w| w.parse().expect("window")).collect();
    if windows.is_empty() {
        windows = vec![1, 32, 256];
    }
    let srv = ServerProcess::start(&binary, &[]).expect("server starts");
    println!("relay_pipeline: {total} messages per run, one sender and one recipient connection\n");
    println!("window  msgs/s  server CPU us/msg");
    for window in windows {
        let (alice, _) = WireClient::logged_in(srv.addr, "alice", &public_pem("alice"))
            .await
            .unwrap();
        let (bob, _) = WireClient::logged_in(srv.addr, "bob", &public_pem("bob"))
            .await
            .unwrap();
        let cpu0 = cpu_ticks(srv.pid());
        let start = Instant::now();
        let rx = tokio::spawn(receiver(bob, total));
        sender(alice, total, window).await;
        rx.await.unwrap();
        let secs = start.elapsed().as_secs_f64();
        let cpu_us = (cpu_ticks(srv.pid()) - cpu0) as f64 * 10_000.0;
        println!(
            "{window:>6}  {:>6.0}  {:>17.1}",
            total as f64 / secs,
            cpu_us / total as f64
        );
    }
}
