//! chatd: the per-user SecureChat daemon. It alone holds the user's
//! secrets and talks to the server; frontends attach to it over a local
//! socket and come and go without touching the encrypted sessions.
//!
//! `main.rs` parses flags and calls [`run`]; tests run the real binary.

pub mod config;
pub mod core;
pub mod dbus;
pub mod failpoint;
pub mod hub;
pub mod identity;
pub mod ipc;
pub mod link;
pub mod store;
pub mod transfer;

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chatd_api::EventBody;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::core::Core;
use crate::hub::Hub;
use crate::link::{Link, LinkSetup};
use crate::store::Db;

/// How often the event log and held envelopes are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Held envelopes older than this are dropped (the sender re-announces its
/// key with later messages).
const PENDING_MAX_AGE_MS: i64 = 7 * 24 * 3600 * 1000;
/// Server ids of processed deliveries are remembered this long (the server
/// expires messages after 30 days, so it cannot redeliver older ones).
const SEEN_MAX_AGE_MS: i64 = 31 * 24 * 3600 * 1000;
/// Held envelopes per peer at most.
const PENDING_MAX_PER_PEER: u32 = 1000;

/// Runs the daemon until `shutdown` is cancelled.
pub async fn run(config: Config, shutdown: CancellationToken) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data directory {}", config.data_dir.display()))?;
    let _ = std::fs::set_permissions(&config.data_dir, std::fs::Permissions::from_mode(0o700));
    let socket = match ipc::activated(&config.socket)? {
        Some(socket) => socket,
        None => ipc::bind(&config.socket).await?,
    };
    let db_path = config.db_path();
    let db = tokio::task::spawn_blocking(move || Db::open(&db_path))
        .await
        .context("store task failed")?
        .with_context(|| format!("cannot open {}", config.db_path().display()))?;
    let identity_path = config.identity_path();
    let identity = tokio::task::spawn_blocking(move || identity::load_or_create(&identity_path))
        .await
        .context("identity task failed")??;
    let identity = Arc::new(identity);
    let hub = Hub::new(db.clone());
    let (events_tx, events_rx) = mpsc::channel(1024);
    let (link, link_task) = Link::start(LinkSetup {
        server: config.server.clone(),
        plaintext: config.plaintext,
        pin: config.server_fingerprint.clone(),
        identity_pem: identity.public_pem().to_string(),
        db: db.clone(),
        events: events_tx,
        shutdown: shutdown.clone(),
    });
    let account = Core::stored_account(&db).await;
    let core = Arc::new(Core::new(
        config,
        db.clone(),
        Arc::new(link.clone()),
        hub.clone(),
        identity,
        account,
    ));
    let tasks = vec![
        tokio::spawn(core::inbound::run(
            core.clone(),
            events_rx,
            shutdown.clone(),
        )),
        tokio::spawn(core::outbound::run(core.clone(), shutdown.clone())),
        tokio::spawn(core::files::worker::run(core.clone(), shutdown.clone())),
        tokio::spawn(announce_connection(link, hub, shutdown.clone())),
        tokio::spawn(prune(db.clone(), shutdown.clone())),
    ];
    let dbus = if core.config().dbus {
        dbus::start(&core, &shutdown).await
    } else {
        None
    };
    // Ready: the socket accepts, the core is up, and the bus name is taken
    // when there is a bus (Type=notify units).
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    ipc::serve(core, socket, shutdown.clone()).await;
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    shutdown.cancel();
    if let Some(dbus) = dbus {
        dbus.stop().await;
    }
    for t in tasks {
        let _ = t.await;
    }
    let _ = link_task.await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Turns link state changes into `connection` events.
async fn announce_connection(link: Link, hub: Hub, shutdown: CancellationToken) {
    let mut watch = link.watch();
    let mut last = watch.borrow().conn;
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            changed = watch.changed() => if changed.is_err() { return },
        }
        let now = watch.borrow().conn;
        if now != last {
            last = now;
            if let Err(e) = hub.publish(EventBody::Connection { state: now }).await {
                tracing::error!(error = %e, "cannot record a connection event");
            }
        }
    }
}

async fn prune(db: Db, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(PRUNE_EVERY);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = chat_proto::now_ms();
        let result = db
            .call(move |tx| {
                tx.prune_events(now)?;
                tx.prune_seen(now - SEEN_MAX_AGE_MS)?;
                tx.prune_pending(now - PENDING_MAX_AGE_MS, PENDING_MAX_PER_PEER)
            })
            .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "pruning failed");
        }
    }
}
