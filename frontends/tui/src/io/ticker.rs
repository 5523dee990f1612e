//! The clock as messages: a tick about once a second, so the app can expire
//! notices and refresh what goes stale without reading a clock itself.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::Msg;
use crate::time::now_ms;

/// Time between ticks.
pub const EVERY: Duration = Duration::from_secs(1);

/// Sends [`Msg::Tick`] until the app is gone.
pub async fn run(app: mpsc::Sender<Msg>) {
    let mut interval = tokio::time::interval(EVERY);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if app.send(Msg::Tick { now_ms: now_ms() }).await.is_err() {
            return;
        }
    }
}
