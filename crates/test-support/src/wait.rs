//! Named waits: poll a condition until it holds or a deadline passes, and
//! say which wait failed, so a flaky environment shows up as a clear
//! timeout rather than a confusing assertion later.

use std::future::Future;
use std::time::{Duration, Instant};

/// Polls `check` every 20 ms until it yields `Some`, or fails after
/// `timeout` naming `what`.
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
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
