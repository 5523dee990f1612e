//! Fault injection: a restart of the daemon, the server or the network
//! loses nothing and shows nothing twice. A real TCP proxy between chatd and
//! the server cuts, stalls and resets the connection; the server and the
//! receiving daemon are killed with SIGKILL in the middle of traffic; the
//! daemon's disk fills up. After each, every message a `send` accepted is in
//! the recipient's history exactly once and was announced exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use test_support::FaultProxy;
use test_support::wait::wait_for;

/// How long everything may take to settle after the last fault.
const SETTLE: Duration = Duration::from_secs(60);

/// Starts a daemon for `name` whose server is `server` (a proxy or the
/// real one), pinned to the real server's key, and signs `name` up.
async fn user_via(w: &World, name: &str, server: SocketAddr) -> (DaemonProcess, RpcClient) {
    let d = DaemonProcess::start(&w.dir.path().join(name), server, &w.server.fingerprint)
        .await
        .unwrap();
    let mut c = d.client().await.unwrap();
    wait_state(&mut c, "connected").await;
    c.ok("signup", json!({"username": name, "password": PASSWORD}))
        .await
        .unwrap();
    (d, c)
}

/// Sends `text` and returns the id `send` answered with.
async fn send(c: &mut RpcClient, to: &str, text: &str) -> String {
    let r = c.ok("send", json!({"to": to, "text": text})).await.unwrap();
    r["id"].as_str().unwrap().to_string()
}

/// The history with `peer`, read through a fresh connection.
async fn history(socket: &Path, peer: &str) -> Option<Vec<Value>> {
    let mut c = RpcClient::connect(socket).await.ok()?;
    let h = c
        .ok("history", json!({"peer": peer, "limit": 500}))
        .await
        .ok()?;
    h["messages"].as_array().cloned()
}

/// Waits until `socket`'s history with `peer` holds every id in `ids`
/// with a status `pred` accepts; returns that history.
async fn wait_history(
    socket: &Path,
    peer: &str,
    ids: &[String],
    what: &str,
    pred: fn(&str) -> bool,
) -> Vec<Value> {
    let socket = socket.to_path_buf();
    wait_for(what, SETTLE, || {
        let socket = socket.clone();
        async move {
            let h = history(&socket, peer).await?;
            let ok = ids.iter().all(|id| {
                h.iter()
                    .any(|m| m["id"] == id.as_str() && pred(m["status"].as_str().unwrap_or("")))
            });
            ok.then_some(h)
        }
    })
    .await
    .unwrap()
}

/// Asserts every id appears exactly once in `history`, carrying its text.
fn assert_once(history: &[Value], sent: &[(String, String)]) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for m in history {
        *count.entry(m["id"].as_str().unwrap()).or_default() += 1;
    }
    for (id, text) in sent {
        assert_eq!(
            count.get(id.as_str()),
            Some(&1),
            "{text:?} ({id}) not exactly once"
        );
        let m = history.iter().find(|m| m["id"] == id.as_str()).unwrap();
        assert_eq!(m["text"], text.as_str());
    }
}

/// How many `message` events the daemon's durable log holds per message
/// id from `from` (replayed with `subscribe` since 0).
async fn message_events(socket: &Path, from: &str) -> HashMap<String, usize> {
    let mut c = RpcClient::connect(socket).await.unwrap();
    let latest = c.ok("subscribe", json!({"since": 0})).await.unwrap()["seq"]
        .as_u64()
        .unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut seq = 0;
    while seq < latest {
        let e = c.next_event().await.unwrap();
        seq = e["seq"].as_u64().unwrap();
        if e["type"] == "message" && e["message"]["from"] == from {
            *seen
                .entry(e["message"]["id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    seen
}

/// Waits until every message `from` sent (`sent`) is in `to`'s history
/// exactly once and announced once there, and `from` sees each delivered
/// (or read). Each side is its daemon's socket and its name.
async fn arrived_once(from: (&Path, &str), to: (&Path, &str), sent: &[(String, String)]) {
    let ((from_socket, from), (to_socket, to)) = (from, to);
    let h = wait_history(
        to_socket,
        from,
        &ids(sent),
        &format!("{to} to have all"),
        |_| true,
    )
    .await;
    assert_once(&h, sent);
    assert_announced_once(to_socket, from, sent).await;
    let what = format!("delivered at {from}");
    wait_history(from_socket, to, &ids(sent), &what, delivered_or_read).await;
}

/// Asserts each sent message was announced exactly once to the recipient.
async fn assert_announced_once(socket: &Path, from: &str, sent: &[(String, String)]) {
    let events = message_events(socket, from).await;
    for (id, text) in sent {
        assert_eq!(events.get(id), Some(&1), "{text:?}: message events");
    }
    assert_eq!(events.len(), sent.len(), "no other messages from {from}");
}

fn delivered_or_read(s: &str) -> bool {
    s == "delivered" || s == "read"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cuts_stalls_and_resets_of_the_network_lose_nothing() {
    let w = World::new();
    let proxy = FaultProxy::start(w.server.addr).await.unwrap();
    let (ad, mut alice) = user_via(&w, "alice", proxy.addr).await;
    let (bd, mut bob) = user_via(&w, "bob", proxy.addr).await;
    let (mut to_bob, mut to_alice) = (Vec::new(), Vec::new());
    const ROUNDS: usize = 16;
    for round in 0..ROUNDS {
        // Both daemons are logged in again before the next fault, so it
        // lands on a live session with messages in flight.
        let open = proxy.counts().connections;
        for i in 0..2 {
            let t = format!("a{round}.{i}");
            to_bob.push((send(&mut alice, "bob", &t).await, t));
            let t = format!("b{round}.{i}");
            to_alice.push((send(&mut bob, "alice", &t).await, t));
        }
        let stalled = round % 4 >= 2;
        match round % 4 {
            0 => proxy.cut(),
            1 => proxy.reset(),
            2 => proxy.stall(),
            // Bytes held by a stall, then the connection is reset: what
            // chatd wrote never reaches the server.
            _ => proxy.stall(),
        }
        for i in 2..4 {
            let t = format!("a{round}.{i}");
            to_bob.push((send(&mut alice, "bob", &t).await, t));
            let t = format!("b{round}.{i}");
            to_alice.push((send(&mut bob, "alice", &t).await, t));
        }
        if round % 4 == 3 {
            proxy.reset();
        }
        if stalled {
            proxy.resume();
        }
        if round % 4 != 2 {
            // Wait for both to come back through the proxy.
            let proxy = &proxy;
            wait_for("both daemons to reconnect", SETTLE, || async move {
                (proxy.counts().connections >= open + 2).then_some(())
            })
            .await
            .unwrap();
            wait_state(&mut alice, "logged_in").await;
            wait_state(&mut bob, "logged_in").await;
        }
    }
    arrived_once((&ad.socket, "alice"), (&bd.socket, "bob"), &to_bob).await;
    arrived_once((&bd.socket, "bob"), (&ad.socket, "alice"), &to_alice).await;
    // Receipts crossed the same faults too: read once the conversation is read.
    bob.ok("mark_read", json!({"peer": "alice"})).await.unwrap();
    let h = wait_history(&ad.socket, "bob", &ids(&to_bob), "read at alice", |s| {
        s == "read"
    })
    .await;
    assert_once(&h, &to_bob);
    let c = proxy.counts();
    eprintln!("faults injected: {c:?}");
    assert!(c.cut >= 8 && c.reset >= 8 && c.stalls >= 8, "{c:?}");
}

fn ids(sent: &[(String, String)]) -> Vec<String> {
    sent.iter().map(|(id, _)| id.clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_during_bursts_twenty_times_loses_nothing() {
    let mut w = World::new();
    let (ad, mut alice) = w.user("alice").await;
    let (bd, mut bob) = w.user("bob").await;
    let (mut to_bob, mut to_alice) = (Vec::new(), Vec::new());
    const KILLS: usize = 20;
    for round in 0..KILLS {
        wait_state(&mut alice, "logged_in").await;
        wait_state(&mut bob, "logged_in").await;
        for i in 0..3 {
            let t = format!("burst {round}.{i}");
            to_bob.push((send(&mut alice, "bob", &t).await, t));
        }
        let t = format!("back {round}");
        to_alice.push((send(&mut bob, "alice", &t).await, t));
        // SIGKILL while the burst is in flight, then the same data dir
        // and port again; the sends go on meanwhile.
        w.server.kill9();
        for i in 3..5 {
            let t = format!("burst {round}.{i}");
            to_bob.push((send(&mut alice, "bob", &t).await, t));
        }
        w.server.kill9_and_restart().unwrap();
    }
    arrived_once((&ad.socket, "alice"), (&bd.socket, "bob"), &to_bob).await;
    arrived_once((&bd.socket, "bob"), (&ad.socket, "alice"), &to_alice).await;
    eprintln!(
        "server killed {KILLS} times; {} + {} messages",
        to_bob.len(),
        to_alice.len()
    );
}

/// Server message ids the daemon in `daemon_dir` committed.
fn seen_by_daemon(daemon_dir: &Path) -> Vec<String> {
    let db = rusqlite::Connection::open_with_flags(
        daemon_dir.join("data/chatd.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut q = db.prepare("SELECT msg_id FROM seen_deliveries").unwrap();
    q.query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receiver_killed_between_deliver_and_ack_loses_nothing() {
    let w = World::new();
    let proxy = FaultProxy::start(w.server.addr).await.unwrap();
    let (ad, mut alice) = user_via(&w, "alice", w.server.addr).await;
    let (mut bd, _bob) = user_via(&w, "bob", proxy.addr).await;
    let mut to_bob = Vec::new();
    let t = "first contact".to_string();
    to_bob.push((send(&mut alice, "bob", &t).await, t));
    wait_history(&bd.socket, "alice", &ids(&to_bob), "first contact", |_| {
        true
    })
    .await;
    const KILLS: usize = 10;
    let mut landed = 0;
    for round in 0..KILLS {
        let mut events = bd.client().await.unwrap();
        events.ok("subscribe", json!({})).await.unwrap();
        let mut probe = bd.client().await.unwrap();
        wait_state(&mut probe, "logged_in").await;
        // What bob's daemon sends (its acks) stops at the proxy, while
        // the server's deliveries still reach it: every delivery below is
        // committed by bob's daemon and none is acked when it dies.
        proxy.stall_up();
        let burst: Vec<(String, String)> = {
            let mut b = Vec::new();
            for i in 0..4 {
                let t = format!("k{round}.{i}");
                b.push((send(&mut alice, "bob", &t).await, t));
            }
            b
        };
        for (_, t) in &burst {
            expect_message(&mut events, "alice", t).await;
        }
        bd.kill9();
        proxy.reset();
        proxy.resume();
        let seen = seen_by_daemon(&bd.dir);
        let unacked = unacked_on_server(w.server.data_dir(), "bob");
        let both = unacked.iter().filter(|id| seen.contains(id)).count();
        // Usually the whole burst; under load an ack can leave before the
        // stall takes hold. One is enough for the round to test the promise.
        assert!(both >= 1, "round {round}: {both} committed but unacked");
        landed += both;
        to_bob.extend(burst);
        // More mail while bob's daemon is down.
        let t = format!("while down {round}");
        to_bob.push((send(&mut alice, "bob", &t).await, t));
        bd.restart().await.unwrap();
    }
    arrived_once((&ad.socket, "alice"), (&bd.socket, "bob"), &to_bob).await;
    // Everything is acked in the end.
    let server_dir = w.server.data_dir();
    wait_for(
        "the server's mailbox for bob to empty",
        SETTLE,
        || async move {
            unacked_on_server(server_dir, "bob")
                .is_empty()
                .then_some(())
        },
    )
    .await
    .unwrap();
    eprintln!("receiver killed {KILLS} times; {landed} deliveries committed but unacked at a kill");
}

/// A small tmpfs over `dir`, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// Mounts one, or says why not.
    fn mount(dir: &Path, size: &str) -> Result<Self, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Self(dir.to_path_buf()))
    }

    /// Fills every free byte with a file; removing it frees the space.
    fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        for chunk in [1 << 16, 4096, 1] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_and_loses_nothing() {
    let w = World::new();
    let mount = |name: &str| Tmpfs::mount(&w.dir.path().join(name).join("data"), "4m");
    let (alice_disk, bob_disk) = match (mount("alice"), mount("bob")) {
        (Ok(a), Ok(b)) => (a, b),
        (a, b) => {
            let why = a.err().or(b.err()).unwrap_or_default();
            eprintln!("skipped: cannot mount a tmpfs for chatd's data dir: {why}");
            return;
        }
    };
    let (ad, mut alice) = w.user("alice").await;
    let (mut bd, _bob) = w.user("bob").await;
    let mut to_bob = Vec::new();
    let t = "before the disk filled".to_string();
    to_bob.push((send(&mut alice, "bob", &t).await, t));
    wait_history(
        &ad.socket,
        "bob",
        &ids(&to_bob),
        "delivered",
        delivered_or_read,
    )
    .await;

    // The sender's disk is full: `send` says so and what to do.
    let filler = alice_disk.fill();
    let e = alice
        .call("send", json!({"to": "bob", "text": "no room"}))
        .await
        .unwrap()
        .unwrap_err();
    let text = e["message"].as_str().unwrap();
    assert!(text.contains("full") && text.contains("free"), "{e}");
    assert_eq!(e["data"]["reason"], "disk_full", "{e}");
    // What was stored stays readable.
    let h = history(&ad.socket, "bob").await.unwrap();
    assert_once(&h, &to_bob);
    std::fs::remove_file(&filler).unwrap();
    let t = "after space was freed".to_string();
    to_bob.push((send(&mut alice, "bob", &t).await, t));

    // The receiver's disk is full: deliveries are not acked, and arrive
    // once there is room, without a restart...
    let filler = bob_disk.fill();
    let failures = |d: &DaemonProcess| d.log_text().matches("cannot process a delivery").count();
    let before = failures(&bd);
    let t = "while bob's disk is full".to_string();
    to_bob.push((send(&mut alice, "bob", &t).await, t));
    let bdr = &bd;
    wait_for("bob's daemon to fail to store", SETTLE, || async move {
        (failures(bdr) > before).then_some(())
    })
    .await
    .unwrap();
    assert!(!unacked_on_server(w.server.data_dir(), "bob").is_empty());
    std::fs::remove_file(&filler).unwrap();
    wait_history(
        &bd.socket,
        "alice",
        &ids(&to_bob),
        "bob to have all",
        |_| true,
    )
    .await;

    // ...and after a crash, since the server kept them.
    let filler = bob_disk.fill();
    let before = failures(&bd);
    let t = "before bob's daemon crashed".to_string();
    to_bob.push((send(&mut alice, "bob", &t).await, t));
    let bdr = &bd;
    wait_for("bob's daemon to fail to store", SETTLE, || async move {
        (failures(bdr) > before).then_some(())
    })
    .await
    .unwrap();
    bd.kill9();
    std::fs::remove_file(&filler).unwrap();
    bd.restart().await.unwrap();
    arrived_once((&ad.socket, "alice"), (&bd.socket, "bob"), &to_bob).await;
    drop(ad);
    drop(bd);
}
