//! The desktop side: notes become freedesktop notifications through
//! notify-rust on the session bus. Behind the small [`Sink`] trait so that
//! the loop in `run.rs` can be driven without a bus.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use notify_rust::{Hint, Notification, NotificationHandle};

use crate::decide::{Note, Slot, Urgency};

/// How long one call to the notification server may take. A bus that
/// tries to start a notification server which never comes must not stall
/// the notifier.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Notifications whose handle is kept for replacing or closing them; the
/// oldest is let go first (it then can no longer be replaced, only
/// followed by a new one).
const HANDLES_KEPT: usize = 32;
/// The application name servers show and group by.
pub const APP_NAME: &str = "SecureChat";
/// The desktop entry of the app, for servers that show its icon or open it.
pub const DESKTOP_ENTRY: &str = "chat-gui";

/// Where notes are shown.
pub trait Sink {
    /// Shows `note`, replacing the slot's earlier notification if any.
    fn show(&mut self, note: &Note) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Takes the slot's notification away, if one is shown.
    fn close(&mut self, slot: &Slot) -> impl Future<Output = ()> + Send;
}

/// The freedesktop notification server on the session bus.
#[derive(Debug, Default)]
pub struct Desktop {
    shown: HashMap<Slot, (u64, NotificationHandle)>,
    counter: u64,
    /// Whether the server renders markup in bodies; asked once per server.
    markup: Option<bool>,
}

impl Desktop {
    /// A sink that connects on first use.
    pub fn new() -> Self {
        Self::default()
    }

    async fn body_markup(&mut self) -> anyhow::Result<bool> {
        if let Some(m) = self.markup {
            return Ok(m);
        }
        // notify-rust offers this call blocking only.
        let caps = tokio::task::spawn_blocking(notify_rust::get_capabilities)
            .await
            .context("the capabilities task failed")?
            .context("cannot ask the notification server what it supports")?;
        let markup = caps.iter().any(|c| c == "body-markup");
        self.markup = Some(markup);
        Ok(markup)
    }

    fn remember(&mut self, slot: Slot, handle: NotificationHandle) {
        self.counter += 1;
        self.shown.insert(slot, (self.counter, handle));
        if self.shown.len() > HANDLES_KEPT {
            let oldest = self
                .shown
                .iter()
                .min_by_key(|(_, (n, _))| *n)
                .map(|(s, _)| s.clone());
            if let Some(slot) = oldest {
                self.shown.remove(&slot);
            }
        }
    }
}

impl Sink for Desktop {
    async fn show(&mut self, note: &Note) -> anyhow::Result<()> {
        let result = tokio::time::timeout(CALL_TIMEOUT, async {
            let markup = self.body_markup().await?;
            let mut n = build(note, markup);
            if let Some((_, old)) = self.shown.get(&note.slot) {
                n.id(old.id());
            }
            n.show_async()
                .await
                .context("the notification server refused the notification")
        })
        .await
        .unwrap_or_else(|_| {
            Err(anyhow::anyhow!(
                "the notification server did not answer within {CALL_TIMEOUT:?}"
            ))
        });
        match result {
            Ok(handle) => {
                self.remember(note.slot.clone(), handle);
                Ok(())
            }
            Err(e) => {
                // The next server may be another one: ask again then.
                self.markup = None;
                self.shown.clear();
                Err(e)
            }
        }
    }

    async fn close(&mut self, slot: &Slot) {
        if let Some((_, handle)) = self.shown.remove(slot) {
            let _ = tokio::time::timeout(CALL_TIMEOUT, handle.close_async()).await;
        }
    }
}

/// The notification for `note`; `markup` says whether the server reads
/// the body as markup, in which case text from the network is escaped.
pub fn build(note: &Note, markup: bool) -> Notification {
    let mut n = Notification::new();
    let body = if markup {
        escape_markup(&note.body)
    } else {
        note.body.clone()
    };
    n.appname(APP_NAME)
        .summary(&note.summary)
        .body(&body)
        .hint(Hint::DesktopEntry(DESKTOP_ENTRY.to_string()));
    match note.urgency {
        Urgency::Normal => {
            n.urgency(notify_rust::Urgency::Normal)
                .hint(Hint::Category("im.received".to_string()));
        }
        Urgency::Critical => {
            n.urgency(notify_rust::Urgency::Critical);
        }
    }
    n
}

/// Escapes the three characters the notification markup gives meaning to.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped_only_for_servers_that_read_it() {
        assert_eq!(
            escape_markup("<b>hi</b> & <a href=x>"),
            "&lt;b&gt;hi&lt;/b&gt; &amp; &lt;a href=x&gt;"
        );
        let note = Note {
            slot: Slot::Messages("bob".into()),
            summary: "New message from bob".into(),
            body: "a <b> c".into(),
            urgency: Urgency::Normal,
        };
        assert_eq!(build(&note, true).body, "a &lt;b&gt; c");
        assert_eq!(build(&note, false).body, "a <b> c");
        assert_eq!(build(&note, false).summary, "New message from bob");
        assert_eq!(build(&note, false).appname, APP_NAME);
    }
}
