//! The world most end-to-end tests start from: one real chat-server on
//! loopback and a temp dir where each person's chatd gets its own
//! directory. Written once here so that chatd's, chat-notify's and
//! chat-gui's tests set people up the same way. A fixture that cannot set
//! up has nothing to hand back but a panic naming what failed, hence
//! `expect` here.
#![allow(clippy::expect_used)]

use std::net::SocketAddr;
use std::ops::Deref;

use serde_json::{Value, json};

use crate::daemon::{DaemonProcess, RpcClient, binary};
use crate::fixtures::PASSWORD;
use crate::proxy::FaultProxy;
use crate::server::ServerProcess;
use crate::wait::Wait;

/// One chat-server and a temp dir for daemons; everything is killed and
/// removed on drop.
pub struct World {
    /// The server (plaintext, bcrypt cost 4).
    pub server: ServerProcess,
    /// Where the daemons live, one subdirectory each.
    pub dir: tempfile::TempDir,
}

impl World {
    /// Builds chat-server and chatd if needed and starts the server.
    ///
    /// # Panics
    /// When a binary cannot be built or the server does not start: a test
    /// cannot go on without them.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self::with_server_args(&[])
    }

    /// Like [`World::new`], with extra chat-server flags (a limit a test
    /// needs moved out of its way, say).
    ///
    /// # Panics
    /// As [`World::new`].
    pub fn with_server_args(extra: &[&str]) -> Self {
        let bin = binary("chat-server").expect("chat-server binary");
        binary("chatd").expect("chatd binary");
        Self {
            server: ServerProcess::start(&bin, extra).expect("chat-server starts"),
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    /// Starts a chatd in the directory `name` (no account yet), pinned to
    /// this server.
    pub async fn daemon(&self, name: &str) -> DaemonProcess {
        self.daemon_via(name, self.server.addr).await
    }

    /// Like [`World::daemon`], with chatd connecting to `addr` (a
    /// [`crate::FaultProxy`] in front of this server) instead; the pin is
    /// this server's.
    pub async fn daemon_via(&self, name: &str, addr: SocketAddr) -> DaemonProcess {
        DaemonProcess::start(&self.dir.path().join(name), addr, &self.server.fingerprint)
            .await
            .expect("chatd starts")
    }

    /// Starts a chatd for `name` and signs `name` up through it.
    pub async fn user(&self, name: &str) -> (DaemonProcess, RpcClient) {
        self.user_via(name, self.server.addr).await
    }

    /// Like [`World::user`], with the chatd connecting to `addr` (a
    /// [`crate::FaultProxy`] in front of this server), so that a test can
    /// pull this person's network.
    pub async fn user_via(&self, name: &str, addr: SocketAddr) -> (DaemonProcess, RpcClient) {
        let params = json!({"username": name, "password": PASSWORD});
        let d = self.daemon_via(name, addr).await;
        self.account(d, name, name, "signup", params).await
    }

    /// Starts a chatd in a fresh directory `dir` (so with a new identity
    /// key) and logs the existing account `name` in through it.
    pub async fn login(&self, name: &str, dir: &str) -> (DaemonProcess, RpcClient) {
        let params = json!({"username": name, "password": PASSWORD});
        let d = self.daemon(dir).await;
        self.account(d, name, dir, "login", params).await
    }

    async fn account(
        &self,
        d: DaemonProcess,
        name: &str,
        dir: &str,
        method: &str,
        params: Value,
    ) -> (DaemonProcess, RpcClient) {
        let mut c = d.client().await.expect("chatd's socket answers");
        wait_state(
            &mut c,
            &format!("{dir}'s chatd"),
            &["connected", "logged_in"],
        )
        .await;
        let r = c.ok(method, params).await.expect(method);
        assert_eq!(r, json!({"username": name}), "{method} answered");
        (d, c)
    }
}

/// Polls `status` on `c` until chatd's state is one of `states`; returns
/// that status. `who` names the daemon in the panic message.
pub async fn wait_state(c: &mut RpcClient, who: &str, states: &[&str]) -> Value {
    let what = format!("{who} to be {}", states.join(" or "));
    Wait::new(&what)
        .every(std::time::Duration::from_millis(50))
        .until_async(async || {
            let s = c.ok("status", json!({})).await.map_err(|e| e.to_string())?;
            match states.contains(&s["state"].as_str().unwrap_or_default()) {
                true => Ok(s),
                false => Err(s.to_string()),
            }
        })
        .await
}

/// A [`World`] for synchronous tests (a GUI stepped by the test): the
/// runtime the process helpers and raw clients run on, and blocking
/// versions of the calls. Everything else is the [`World`] it derefs to.
pub struct BlockingWorld {
    /// The runtime every async helper is driven on.
    pub rt: tokio::runtime::Runtime,
    world: World,
}

impl BlockingWorld {
    /// A one-worker runtime and a [`World`].
    ///
    /// # Panics
    /// As [`World::new`], or when the runtime cannot be built.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a Tokio runtime");
        Self {
            rt,
            world: World::new(),
        }
    }

    /// [`World::daemon`], blocking.
    pub fn daemon(&self, name: &str) -> DaemonProcess {
        self.rt.block_on(self.world.daemon(name))
    }

    /// [`World::user`], blocking.
    pub fn user(&self, name: &str) -> (DaemonProcess, RpcClient) {
        self.rt.block_on(self.world.user(name))
    }

    /// [`World::user_via`], blocking.
    pub fn user_via(&self, name: &str, addr: SocketAddr) -> (DaemonProcess, RpcClient) {
        self.rt.block_on(self.world.user_via(name, addr))
    }

    /// A [`FaultProxy`] in front of this world's server, running on
    /// [`BlockingWorld::rt`]; point a chatd at it with
    /// [`BlockingWorld::user_via`].
    pub fn proxy(&self) -> FaultProxy {
        self.rt
            .block_on(FaultProxy::start(self.world.server.addr))
            .expect("the fault proxy listens")
    }

    /// [`World::login`], blocking.
    pub fn login(&self, name: &str, dir: &str) -> (DaemonProcess, RpcClient) {
        self.rt.block_on(self.world.login(name, dir))
    }

    /// Calls a method and expects success.
    pub fn call(&self, c: &mut RpcClient, method: &str, params: Value) -> Value {
        self.rt.block_on(c.ok(method, params)).expect(method)
    }

    /// Polls `status` until the state is one of `states`.
    pub fn wait_state(&self, c: &mut RpcClient, states: &[&str]) -> Value {
        self.rt.block_on(wait_state(c, "chatd", states))
    }

    /// Waits for an event matching `pred` on a subscribed client.
    pub fn event(&self, c: &mut RpcClient, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.rt.block_on(c.event_where(what, pred)).expect(what)
    }
}

impl Deref for BlockingWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.world
    }
}
