//! The connected users of the storm scenarios: a few pairs chatting before
//! and during a storm, whose latency says what the storm costs everyone
//! else. They run on a runtime of their own, on a thread of their own: in
//! the generator's main runtime their reads would queue behind thousands
//! of storm clients (each sealing credentials with RSA inline), and their
//! figures would measure the generator's backlog instead of the server's.
//! They still share the machine's cores with everything else.

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::oneshot;

use crate::accounts::Accounts;
use crate::target::Target;
use crate::traffic::{Engine, Load, Mode, Phase, Stop};

/// What the pairs do: users `first..first + 2 * pairs` chat at `rate`.
pub struct Bystanders<'a> {
    /// The run's accounts, the pairs' among them.
    pub accounts: &'a Accounts,
    /// The first pair's sender; its receiver is the next user.
    pub first: usize,
    /// Pairs.
    pub pairs: usize,
    /// Messages per second, all pairs together.
    pub rate: u64,
    /// How long they chat before the storm.
    pub calm: Duration,
    /// The server, for the CPU and memory figures.
    pub target: &'a Target,
}

/// The pairs' phases before and during the storm, and the storm's result.
pub struct Beside<T> {
    /// The pairs before the storm.
    pub before: Phase,
    /// The pairs from the storm's start to its end (and their drain).
    pub during: Phase,
    /// What the storm returned.
    pub storm: T,
}

impl Bystanders<'_> {
    /// Logs the pairs in, lets them chat for `calm`, then runs `storm` on
    /// the calling runtime while they go on chatting, until it is over.
    pub fn around<T, F>(self, storm: F) -> anyhow::Result<Beside<T>>
    where
        F: Future<Output = anyhow::Result<T>>,
    {
        let (calm_over, storm_may_start) = oneshot::channel::<()>();
        let (storm_over, stop) = oneshot::channel::<()>();
        let main = tokio::runtime::Handle::current();
        tokio::task::block_in_place(|| {
            std::thread::scope(|scope| {
                let pairs = std::thread::Builder::new()
                    .name("bystanders".into())
                    .spawn_scoped(scope, move || self.chat(calm_over, stop))
                    .context("cannot start the bystanders' thread")?;
                let storm = main.block_on(async {
                    // The pairs could not start: no storm to measure.
                    storm_may_start.await.ok()?;
                    let result = storm.await;
                    let _ = storm_over.send(());
                    Some(result)
                });
                let phases = pairs
                    .join()
                    .map_err(|_| anyhow::anyhow!("the bystanders' thread panicked"))?;
                let (before, during) = phases?;
                let storm = storm.context("the storm did not start")??;
                Ok(Beside {
                    before,
                    during,
                    storm,
                })
            })
        })
    }

    fn chat(
        self,
        calm_over: oneshot::Sender<()>,
        stop: oneshot::Receiver<()>,
    ) -> anyhow::Result<(Phase, Phase)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the bystanders' runtime")?;
        runtime.block_on(async {
            let conns = super::server_pairs(self.accounts, self.first, self.pairs).await?;
            let mut engine = Engine::start(Mode::Server, conns, 200);
            let load = Load::Open { rate: self.rate };
            let drain = Duration::from_secs(30);
            let before = engine
                .run(load, Stop::After(self.calm), drain, self.target)
                .await;
            let _ = calm_over.send(());
            let during = engine.run(load, Stop::When(stop), drain, self.target).await;
            engine.close();
            Ok((before, during))
        })
    }
}
