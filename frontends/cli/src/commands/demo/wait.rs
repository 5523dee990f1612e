//! Named waits with deadlines, the demo's only way of waiting: each says
//! what it waits for, polls at a fixed pace or reads events, and fails with
//! that name when time runs out, so no step hangs and no sleep guesses.

use std::future::Future;
use std::time::Duration;

use chatd_api::Event;
use chatd_api::client::EventStream;
use tokio::time::{Instant, MissedTickBehavior};

/// Pace of polling waits.
pub(crate) const POLL: Duration = Duration::from_millis(50);

/// Calls `attempt` every [`POLL`] until it returns `Some`, fails, or
/// `timeout` passes.
pub(crate) async fn until<T, F, Fut>(
    what: &str,
    timeout: Duration,
    mut attempt: F,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Option<T>>>,
{
    let deadline = Instant::now() + timeout;
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Some(done) = attempt().await? {
            return Ok(done);
        }
        if Instant::now() >= deadline {
            anyhow::bail!("gave up after {} waiting until {what}", span(timeout));
        }
    }
}

/// Reads events until `matcher` returns `Some` (or an error), the stream
/// ends, or `timeout` passes.
pub(crate) async fn event<T>(
    stream: &mut EventStream,
    what: &str,
    timeout: Duration,
    mut matcher: impl FnMut(&Event) -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, stream.recv()).await {
            Err(_) => anyhow::bail!("gave up after {} waiting for {what}", span(timeout)),
            Ok(None) => anyhow::bail!("chatd closed the event stream while waiting for {what}"),
            Ok(Some(event)) => {
                if let Some(done) = matcher(&event)? {
                    return Ok(done);
                }
            }
        }
    }
}

/// "30 s", or "200 ms" below a second.
fn span(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wait_ends_when_its_condition_holds() {
        let mut n = 0;
        let got = until("n reaches 3", Duration::from_secs(1), || {
            n += 1;
            let now = n;
            async move { Ok((now >= 3).then_some(now)) }
        })
        .await
        .expect("done");
        assert_eq!(got, 3);
    }

    #[tokio::test]
    async fn a_wait_that_times_out_names_what_it_waited_for() {
        let err = until(
            "the moon turns blue",
            Duration::from_millis(120),
            || async { Ok(None::<()>) },
        )
        .await
        .expect_err("timeout");
        assert_eq!(
            err.to_string(),
            "gave up after 120 ms waiting until the moon turns blue"
        );
    }
}
