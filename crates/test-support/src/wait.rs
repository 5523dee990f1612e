//! Named waits: poll a condition until it holds or a deadline passes, and
//! say which wait failed, so a flaky environment shows up as a clear
//! timeout rather than a confusing assertion later.
//!
//! This is the only module of test code that may sleep (the `tidy` test in
//! xtask enforces it): a test waits for a *condition* with [`until`] /
//! [`until_async`] (or [`Wait`] for another deadline), never for a guessed
//! amount of time. A test that really needs time to pass (an expiry, two
//! distinct timestamps) says why with [`elapse`] / [`elapse_blocking`].

use std::fmt::Display;
use std::future::Future;
use std::ops::AsyncFnMut;
use std::time::{Duration, Instant};

/// How long a named wait may take unless told otherwise: long enough for a
/// loaded CI machine, short enough that a hang fails the run.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// How often a condition is checked again.
const EVERY: Duration = Duration::from_millis(20);

/// What a check returns: done (with a value) or not yet. `bool` and
/// `Option<T>` say only that; `Result<T, E>` also says what it saw, and the
/// last `E` is in the panic message when the wait times out.
pub trait Check {
    /// What the wait returns once the check passes.
    type Output;
    /// `Ok(value)` when done; `Err(Some(seen))` / `Err(None)` when not.
    fn done(self) -> Result<Self::Output, Option<String>>;
}

impl Check for bool {
    type Output = ();
    fn done(self) -> Result<(), Option<String>> {
        if self { Ok(()) } else { Err(None) }
    }
}

impl<T> Check for Option<T> {
    type Output = T;
    fn done(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Display> Check for Result<T, E> {
    type Output = T;
    fn done(self) -> Result<T, Option<String>> {
        self.map_err(|e| Some(e.to_string()))
    }
}

/// A named wait with its deadline; [`until`] and [`until_async`] are this
/// with [`TIMEOUT`].
#[derive(Debug, Clone, Copy)]
pub struct Wait<'a> {
    what: &'a str,
    timeout: Duration,
    every: Duration,
}

impl<'a> Wait<'a> {
    /// A wait for `what` (said as "waiting for {what}" when it fails).
    pub fn new(what: &'a str) -> Self {
        Self {
            what,
            timeout: TIMEOUT,
            every: EVERY,
        }
    }

    /// Gives up after `timeout` instead of [`TIMEOUT`].
    pub fn within(self, timeout: Duration) -> Self {
        Self { timeout, ..self }
    }

    /// Checks every `every` instead of every 20 ms (for checks that cost
    /// something, like a round trip to a daemon).
    pub fn every(self, every: Duration) -> Self {
        Self { every, ..self }
    }

    /// Calls `check` until it is done and returns its value; panics naming
    /// the wait (and what the check saw last) when time runs out. For
    /// synchronous tests: it blocks the thread between checks.
    #[track_caller]
    pub fn until<C: Check>(self, mut check: impl FnMut() -> C) -> C::Output {
        let deadline = Instant::now() + self.timeout;
        loop {
            match check().done() {
                Ok(v) => return v,
                Err(seen) if Instant::now() >= deadline => self.timed_out(seen),
                Err(_) => std::thread::sleep(self.every),
            }
        }
    }

    /// [`Self::until`] for async checks; sleeps on the Tokio timer between
    /// checks, so the runtime's workers stay free.
    pub async fn until_async<C: Check>(self, mut check: impl AsyncFnMut() -> C) -> C::Output {
        let deadline = Instant::now() + self.timeout;
        loop {
            match check().await.done() {
                Ok(v) => return v,
                Err(seen) if Instant::now() >= deadline => self.timed_out(seen),
                Err(_) => tokio::time::sleep(self.every).await,
            }
        }
    }

    #[track_caller]
    fn timed_out(&self, seen: Option<String>) -> ! {
        let (what, timeout) = (self.what, self.timeout);
        match seen {
            Some(seen) => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen:\n{seen}")
            }
            None => panic!("timed out after {timeout:?} waiting for {what}"),
        }
    }
}

/// Blocks until `check` is done (see [`Check`]), at most [`TIMEOUT`];
/// panics naming `what` otherwise.
#[track_caller]
pub fn until<C: Check>(what: &str, check: impl FnMut() -> C) -> C::Output {
    Wait::new(what).until(check)
}

/// Awaits until the async `check` is done (see [`Check`]), at most
/// [`TIMEOUT`]; panics naming `what` otherwise.
pub async fn until_async<C: Check>(what: &str, check: impl AsyncFnMut() -> C) -> C::Output {
    Wait::new(what).until_async(check).await
}

/// Lets `duration` pass, for a test that needs time itself to pass (an
/// expiry, distinct timestamps), never to wait for something to happen.
/// `why` is the reason, written where the test reads it.
pub async fn elapse(duration: Duration, why: &str) {
    let _ = why;
    tokio::time::sleep(duration).await;
}

/// [`elapse`] for synchronous tests.
pub fn elapse_blocking(duration: Duration, why: &str) {
    let _ = why;
    std::thread::sleep(duration);
}

/// Polls `check` every 20 ms until it yields `Some`, or fails after
/// `timeout` naming `what`. For callers that add context to the error
/// (a daemon's log) rather than panic.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(EVERY).await;
    }
}
