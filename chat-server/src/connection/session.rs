//! What one connection knows about itself: its peer, its hello nonce and,
//! once logged in, who it is. Ending a session (logout, password change,
//! disconnect) must undo everything starting it did, so both live here.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::rate::RateWindow;
use crate::context::Shared;
use crate::delivery;
use crate::router::ConnHandle;
use crate::store::{Store, UserId};

/// A logged-in identity on one connection.
#[derive(Debug)]
pub struct Authed {
    /// Row id of the account.
    pub user_id: UserId,
    /// The account name.
    pub username: String,
    /// Hash of the token this session holds (kept on password change).
    pub token_hash: [u8; 32],
    /// False for a transfers-only session (`resume` with `deliver:
    /// false`): it is never sent deliveries, which the client's other
    /// session takes.
    pub deliver: bool,
    delivery: Option<JoinHandle<()>>,
}

/// One connection's state, owned by its read loop.
#[derive(Debug)]
pub struct Session {
    /// How the rest of the server reaches this connection.
    pub handle: ConnHandle,
    /// The client's address, for throttling and logs.
    pub peer: SocketAddr,
    /// The hello nonce credentials must be bound to.
    pub nonce: String,
    /// Set once logged in.
    pub auth: Option<Authed>,
    /// Whether this connection has ever logged in (a logout does not bring
    /// the login deadline back).
    pub logged_in_once: bool,
    /// Ephemeral sends admitted lately (PROTOCOL.md §4.5).
    pub ephemeral: RateWindow,
}

impl Session {
    /// A fresh, anonymous session that may make `ephemeral_per_second`
    /// ephemeral sends a second.
    pub fn new(
        handle: ConnHandle,
        peer: SocketAddr,
        nonce: String,
        ephemeral_per_second: u32,
    ) -> Self {
        Self {
            handle,
            peer,
            nonce,
            auth: None,
            logged_in_once: false,
            ephemeral: RateWindow::new(ephemeral_per_second, Duration::from_secs(1)),
        }
    }

    /// Marks the session logged in and announces it. Delivery starts with
    /// [`Session::start_delivery`], after the `login_ok` is queued, so the
    /// client sees its login answered before its first message (never for
    /// a session that asked not to `deliver`).
    pub fn log_in<S: Store>(
        &mut self,
        sh: &Shared<S>,
        user_id: UserId,
        username: String,
        token_hash: [u8; 32],
        deliver: bool,
    ) {
        sh.router.session_up(&username, &self.handle);
        tracing::info!(peer = %self.peer, user = %username, "logged in");
        self.logged_in_once = true;
        self.auth = Some(Authed {
            user_id,
            username,
            token_hash,
            deliver,
            delivery: None,
        });
    }

    /// Starts the delivery loop if logged in and not yet started.
    pub fn start_delivery<S: Store>(&mut self, sh: &Arc<Shared<S>>) {
        if let Some(auth) = self
            .auth
            .as_mut()
            .filter(|a| a.deliver && a.delivery.is_none())
        {
            auth.delivery = Some(tokio::spawn(delivery::run(
                sh.clone(),
                auth.username.clone(),
                self.handle.out.clone(),
                self.handle.mail.clone(),
            )));
        }
    }

    /// Logs the session out: presence, delivery, state.
    pub fn log_out<S: Store>(&mut self, sh: &Shared<S>) {
        if let Some(auth) = self.auth.take() {
            if let Some(task) = auth.delivery {
                task.abort();
            }
            sh.router.session_down(&auth.username, self.handle.id);
            tracing::info!(peer = %self.peer, user = %auth.username, "session ended");
        }
    }

    /// Everything to undo when the connection goes.
    pub fn close<S: Store>(&mut self, sh: &Shared<S>) {
        self.log_out(sh);
        sh.router.forget_watcher(self.handle.id);
    }
}
