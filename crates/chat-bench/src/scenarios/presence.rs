//! `presence`: the fan-out of presence. Half the users are logged in and
//! each watches `--watch` users of the other half; then that other half
//! logs in all at once (and later drops all at once). Every watcher must
//! get exactly one `presence` frame per watched user each way, and nobody
//! else any: the figures are the frames received, how long until the last,
//! and the server CPU per frame.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chat_proto::{Request, ServerMessage};
use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::connections;
use crate::accounts::{Accounts, Method};
use crate::cli::{Cli, PresenceArgs};
use crate::report::{Table, opt};
use crate::target::Target;
use crate::wire;

/// How long to wait for the expected presence frames.
const WAIT: Duration = Duration::from_secs(60);

#[derive(Default)]
struct Seen {
    online: AtomicU64,
    offline: AtomicU64,
}

/// Runs the scenario on users 0..2h of `accounts`.
pub async fn run(
    cli: &Cli,
    args: &PresenceArgs,
    target: &Target,
    accounts: &mut Accounts,
) -> anyhow::Result<Value> {
    let users = args
        .users
        .unwrap_or(if cli.quick { 40 } else { 2_000 })
        .max(2);
    let half = users / 2;
    let watch = args
        .watch
        .unwrap_or(if cli.quick { 5 } else { 20 })
        .clamp(1, half);
    accounts.ensure(2 * half, 64).await?;
    crate::progress(format!(
        "presence: {half} watchers log in, each watching {watch}"
    ));
    let watchers =
        connections::connect_all(accounts, 0..half, Method::Token, Some(256), target).await?;
    let mut held = watchers.held.into_conns().await;
    if let Some((_, first)) = held.first_mut() {
        let names: Vec<String> = (half..2 * half).map(|i| accounts.name(i)).collect();
        wait_until_offline(first, &names).await?;
    }
    let seen = Arc::new(Seen::default());
    let mut readers = JoinSet::new();
    for (i, mut conn) in held {
        let names: Vec<String> = (0..watch)
            .map(|j| accounts.name(half + (i * watch + j) % half))
            .collect();
        match conn.request(&Request::Watch { users: names }).await? {
            Some(ServerMessage::WatchOk { .. }) => {}
            other => anyhow::bail!("watch failed: {other:?}"),
        }
        let seen = seen.clone();
        readers.spawn(async move {
            // Keep the writer alive: dropping it would close the session.
            let _writer = conn.writer;
            while let Ok(Some((None, msg))) = wire::recv(&mut conn.reader).await {
                if let ServerMessage::Presence { online, .. } = msg {
                    let n = if online { &seen.online } else { &seen.offline };
                    n.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
    }
    let expected = (half * watch) as u64;
    crate::progress(format!("presence: {half} watched users log in at once"));
    let cpu0 = target.cpu_us();
    let started = Instant::now();
    let storm =
        connections::connect_all(accounts, half..2 * half, Method::Token, None, target).await?;
    let online_s = wait_for(&seen.online, expected, started).await;
    let cpu1 = target.cpu_us();
    crate::progress(format!("presence: {half} watched users drop at once"));
    let started = Instant::now();
    drop(storm.held);
    let offline_s = wait_for(&seen.offline, expected, started).await;
    let cpu2 = target.cpu_us();
    readers.abort_all();
    let (online, offline) = (
        seen.online.load(Ordering::Relaxed),
        seen.offline.load(Ordering::Relaxed),
    );
    let per_frame = |a: Option<u64>, b: Option<u64>, frames: u64| {
        a.zip(b)
            .map(|(a, b)| b.saturating_sub(a) as f64 / frames.max(1) as f64)
    };
    let online_cpu = per_frame(cpu0, cpu1, online);
    let offline_cpu = per_frame(cpu1, cpu2, offline);
    let mut t = Table::new(
        format!(
            "presence: {half} watchers x {watch} watched each; {half} users log in, then drop, at once"
        ),
        &[
            "frames expected each way",
            "online frames",
            "s until all online",
            "server CPU us/online frame",
            "offline frames",
            "s until all offline",
            "server CPU us/offline frame",
        ],
    );
    t.row(vec![
        expected.to_string(),
        online.to_string(),
        opt(online_s, 2),
        opt(online_cpu, 1),
        offline.to_string(),
        opt(offline_s, 2),
        opt(offline_cpu, 1),
    ]);
    t.print();
    Ok(json!({
        "watchers": half,
        "watch_each": watch,
        "storm_logins": half,
        "expected_each_way": expected,
        "online_frames": online,
        "seconds_until_all_online": online_s,
        "server_cpu_us_per_online_frame": online_cpu,
        "offline_frames": offline,
        "seconds_until_all_offline": offline_s,
        "server_cpu_us_per_offline_frame": offline_cpu,
        "note": "online CPU includes the storm's resumes (RSA); offline CPU is presence alone",
    }))
}

/// Waits until none of `names` has a live session, as the server sees it
/// (an earlier scenario's sessions may still be closing): otherwise a
/// login in the storm would not be anyone's first session and send no
/// `presence`. Watches in chunks and unwatches again, under `--max-watch`.
async fn wait_until_offline(conn: &mut wire::Conn, names: &[String]) -> anyhow::Result<()> {
    let started = Instant::now();
    for chunk in names.chunks(500) {
        loop {
            let answer = conn
                .request(&Request::Watch {
                    users: chunk.to_vec(),
                })
                .await?;
            let online = match answer {
                Some(ServerMessage::WatchOk { users }) => users.iter().filter(|u| u.online).count(),
                other => anyhow::bail!("watch failed: {other:?}"),
            };
            conn.request(&Request::Unwatch {
                users: chunk.to_vec(),
            })
            .await?;
            if online == 0 {
                break;
            }
            if started.elapsed() > WAIT {
                anyhow::bail!(
                    "{online} users still online after {WAIT:?}; run nothing else against the server"
                );
            }
            // The server closes those sessions on its own time; ask again.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Ok(())
}

/// Seconds until `counter` reaches `expected` (None if it never does
/// within [`WAIT`]); counts past `expected` show up in the frame columns.
async fn wait_for(counter: &AtomicU64, expected: u64, started: Instant) -> Option<f64> {
    while counter.load(Ordering::Relaxed) < expected {
        if started.elapsed() > WAIT {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A moment more, so that duplicates would be counted too.
    let at = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    Some(at)
}
