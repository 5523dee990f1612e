//! Accounts created once per run and reused: signup and the password login
//! (bcrypt on the server) are paid once per user, and every later
//! connection of that user resumes with the token it got, as a real client
//! reconnecting does. Also the one retry loop every scenario logs in
//! through, which counts what the server said on the way.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::bail;
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::wire::{Auth, Conn, source_for};

/// The password of every bench account (passes the protocol's rules).
pub const PASSWORD: &str = "bench load generator password";

/// How long one login keeps trying (waiting as told) before it gives up:
/// in a storm a client may be told to wait many times over.
const GIVE_UP: Duration = Duration::from_secs(600);

/// One account and the token of its last login.
#[derive(Debug, Clone)]
pub struct Account {
    /// Username.
    pub name: String,
    /// Token for resume.
    pub token: String,
}

/// What the server said while we logged in.
#[derive(Debug, Default, Serialize)]
pub struct Retries {
    /// `server_busy` answers (and connections turned away at the door).
    pub server_busy: AtomicU64,
    /// `rate_limited` answers.
    pub rate_limited: AtomicU64,
    /// Connections the server closed before answering (e.g. its login
    /// deadline ran out while we waited as told).
    pub closed_by_server: AtomicU64,
    /// Connections that got no hello in time (never accepted: see
    /// [`crate::wire::HELLO_TIMEOUT`]).
    pub no_hello: AtomicU64,
}

impl Retries {
    /// Connections that got no hello in time.
    pub fn no_hello(&self) -> u64 {
        self.no_hello.load(Ordering::Relaxed)
    }

    /// The first three counters as plain numbers.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.server_busy.load(Ordering::Relaxed),
            self.rate_limited.load(Ordering::Relaxed),
            self.closed_by_server.load(Ordering::Relaxed),
        )
    }
}

/// How to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// signup (the account must not exist), nothing else.
    Signup,
    /// Password login.
    Password,
    /// Resume with the stored token.
    Token,
}

/// The run's accounts on one server.
pub struct Accounts {
    addr: SocketAddr,
    prefix: String,
    key: String,
    /// Created so far, index = user number.
    pub list: Vec<Account>,
}

impl Accounts {
    /// No accounts yet; names get a random prefix so that runs against one
    /// long-lived server do not collide.
    pub fn new(addr: SocketAddr) -> anyhow::Result<Self> {
        let tag = chat_proto::crypto::random_bytes::<3>()?;
        let key = test_support::fixtures::public_pem("alice");
        if key.is_empty() {
            bail!("cannot read the identity key from testdata/vectors/v1.json");
        }
        Ok(Self {
            addr,
            prefix: format!("b{}", hex_of(&tag)),
            key,
            list: Vec::new(),
        })
    }

    /// The server's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The name of user number `i`.
    pub fn name(&self, i: usize) -> String {
        format!("{}-{i}", self.prefix)
    }

    /// The identity key every bench user registers.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Makes sure users 0..n exist and have a token (signup, then one
    /// password login each, `concurrency` at a time).
    pub async fn ensure(&mut self, n: usize, concurrency: usize) -> anyhow::Result<()> {
        self.ensure_with(n, concurrency, true).await
    }

    /// Like [`Self::ensure`]; without `login` the new users only sign up
    /// (their token stays empty): for scenarios that measure the password
    /// login itself, at a bcrypt cost where every login counts.
    pub async fn ensure_with(
        &mut self,
        n: usize,
        concurrency: usize,
        login: bool,
    ) -> anyhow::Result<()> {
        if self.list.len() >= n {
            return Ok(());
        }
        let start = Instant::now();
        let from = self.list.len();
        crate::progress(format!("creating accounts {from}..{n}"));
        let retries = Arc::new(Retries::default());
        let gate = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut tasks = JoinSet::new();
        for i in from..n {
            let (addr, name, key) = (self.addr, self.name(i), self.key.clone());
            let (gate, retries) = (gate.clone(), retries.clone());
            tasks.spawn(async move {
                let _permit = gate.acquire_owned().await?;
                let account = Account {
                    name,
                    token: String::new(),
                };
                log_in(addr, i, &account, &key, Method::Signup, &retries).await?;
                if !login {
                    return anyhow::Ok((i, account));
                }
                let (_, token) =
                    log_in(addr, i, &account, &key, Method::Password, &retries).await?;
                anyhow::Ok((i, Account { token, ..account }))
            });
        }
        let mut made = Vec::with_capacity(n - from);
        while let Some(done) = tasks.join_next().await {
            made.push(done??);
        }
        made.sort_by_key(|(i, _)| *i);
        self.list.extend(made.into_iter().map(|(_, a)| a));
        let (busy, limited, closed) = retries.snapshot();
        crate::progress(format!(
            "accounts ready: {} in {:.1} s ({busy} busy, {limited} rate-limited, {closed} closed answers)",
            n - from,
            start.elapsed().as_secs_f64()
        ));
        Ok(())
    }
}

/// Connects as user number `i` (from its own source address) and
/// authenticates with `method`, waiting as told on `server_busy` and
/// `rate_limited` and reconnecting when the server closes first. Returns
/// the connection and the token (empty after signup).
pub async fn log_in(
    addr: SocketAddr,
    i: usize,
    account: &Account,
    key: &str,
    method: Method,
    retries: &Retries,
) -> anyhow::Result<(Conn, String)> {
    let mut conn: Option<Conn> = None;
    let started = Instant::now();
    while started.elapsed() < GIVE_UP {
        let mut c = match conn.take() {
            Some(c) => c,
            None => match Conn::connect(addr, source_for(addr, i)).await {
                Ok(c) => c,
                Err(e) if e.is::<crate::wire::NoHello>() => {
                    retries.no_hello.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                Err(_) => {
                    // Turned away (over the connection cap) or refused.
                    retries.server_busy.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            },
        };
        let answer = match method {
            Method::Signup => c.signup(&account.name, PASSWORD, key).await?,
            Method::Password => c.login(&account.name, PASSWORD, key).await?,
            Method::Token => c.resume(&account.name, &account.token).await?,
        };
        match answer {
            Auth::Ok(token) => {
                c.forget_sealed();
                return Ok((c, token));
            }
            Auth::Taken => {
                c.forget_sealed();
                return Ok((c, String::new()));
            }
            Auth::Busy(busy) => {
                let counter = match busy.code {
                    chat_proto::ErrorCode::ServerBusy => &retries.server_busy,
                    _ => &retries.rate_limited,
                };
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(busy.retry_after).await;
                conn = Some(c);
            }
            Auth::Closed => {
                retries.closed_by_server.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    bail!(
        "{} could not log in within {GIVE_UP:?}; the server is overloaded",
        account.name
    )
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
