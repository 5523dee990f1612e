//! `chat watch`: events as they happen until Ctrl-C, on chatd-api's attach
//! session. When chatd is not running at the start it exits 3 like every
//! command; once watching, a chatd that goes away (a restart, an upgrade)
//! is waited for: one line says it went away, one that it is back, and the
//! events in between are replayed from chatd's durable log, each once. A
//! person's terminal shows one line per change of the server link, not one
//! per reconnect attempt. Group messages, changes and receipts come with
//! the rest; typing only with `--typing` and transfers' progress only with
//! `--progress` (noise for most readers and for scripts; a transfer's
//! changes of state always show).

use chatd_api::attach::{Attach, Update};
use chatd_api::client::ClientError;
use chatd_api::{ConnectionState, Event, EventBody};

use super::Ctx;
use crate::cli::WatchArgs;
use crate::display::event::{Known, line};

/// Prints events until interrupted.
pub(crate) async fn run(ctx: &Ctx, args: &WatchArgs) -> anyhow::Result<()> {
    // chatd sends group messages and their receipts only to subscribers
    // that name `group`; group changes are then dropped here unless asked
    // for.
    let wanted = args.kinds();
    let mut attach = Attach::new(ctx.socket()).events(args.subscription());
    let mut names = Known::default();
    if let Some(since) = args.since {
        attach = attach.since(since);
    }
    // Without a seq store, starting cannot fail.
    let mut session = attach.start()?;
    let mut state = Watching::default();
    loop {
        let update = tokio::select! {
            update = session.next() => update,
            interrupted = tokio::signal::ctrl_c() => {
                interrupted?;
                return Ok(());
            }
        };
        let update = match update {
            None => return Err(ClientError::Disconnected.into()),
            // Not there at the start: the same failure (and exit code) as
            // any other command's.
            Some(Update::Detached(why)) if !state.ever => return Err(why.into()),
            Some(update) => update,
        };
        if let Update::Attached(a) = &update {
            names.me(a.status.username.clone());
        }
        if let Some(note) = state.note(&update, args.since.is_some()) {
            eprintln!("{note}");
        }
        let Update::Event(event) = &update else {
            continue;
        };
        if !wanted.contains(&event.body.kind()) || (is_progress(&event.body) && !args.progress) {
            continue;
        }
        if ctx.out.json() {
            ctx.out.json_line(event)?;
        } else if state.shows(event) {
            names.learn_from(&event.body);
            if let Some(id) = unnamed_group(&event.body, &names) {
                learn_groups(ctx, &mut names, id).await;
            }
            ctx.out.text(&format!("{}\n", line(event, &names)))?;
        }
    }
}

/// A transfer's progress (shown with `--progress` only).
fn is_progress(event: &EventBody) -> bool {
    matches!(event, EventBody::Transfer { progress: true, .. })
}

/// A group this event names by id only, whose name the watch has not seen.
fn unnamed_group<'a>(event: &'a EventBody, names: &Known) -> Option<&'a str> {
    let id = match event {
        EventBody::Typing { group, .. } | EventBody::Security { group, .. } => group.as_deref()?,
        EventBody::Transfer { transfer, .. } => transfer.group.as_deref()?,
        _ => return None,
    };
    (!names.knows(id)).then_some(id)
}

/// Asks chatd for the groups to name `id` by; a group it does not know
/// stays named by its id (remembered, so it is asked once).
async fn learn_groups(ctx: &Ctx, names: &mut Known, id: &str) {
    if let Ok(client) = ctx.client().await {
        super::names::learn_groups(&client, names).await;
    }
    if !names.knows(id) {
        names.learn(id, id);
    }
}

/// What the watch has said so far, which decides what it says next.
#[derive(Debug, Default)]
struct Watching {
    /// Attached at least once.
    ever: bool,
    /// chatd went away and that was said.
    away: bool,
    /// The last server-link state printed, for people.
    link: Option<ConnectionState>,
}

impl Watching {
    /// The line for stderr an update calls for, if any.
    fn note(&mut self, update: &Update, resuming: bool) -> Option<String> {
        match update {
            Update::Attached(a) if !self.ever => {
                self.ever = true;
                self.link = Some(a.status.state);
                (!resuming)
                    .then(|| format!("Watching chatd's events (latest #{}); Ctrl-C stops.", a.seq))
            }
            Update::Attached(a) => {
                self.link = Some(a.status.state);
                std::mem::take(&mut self.away)
                    .then(|| format!("chatd is back; resuming after #{}.", a.seq))
            }
            Update::Detached(why) => {
                if std::mem::replace(&mut self.away, true) {
                    None
                } else {
                    Some(match why {
                        ClientError::Disconnected | ClientError::NotRunning { .. } => {
                            "chatd went away; waiting for it to come back (Ctrl-C stops).".into()
                        }
                        other => {
                            format!(
                                "lost chatd ({other}); waiting for it to come back (Ctrl-C stops)."
                            )
                        }
                    })
                }
            }
            Update::Event(_) => None,
        }
    }

    /// Whether a person sees `event`: everything but the churn of a server
    /// outage, where chatd goes connecting, offline, connecting, ... once
    /// per attempt. Offline and connecting count as one state (down), so
    /// an outage is one line and its end another. `--json` prints all.
    fn shows(&mut self, event: &Event) -> bool {
        let EventBody::Connection { state } = &event.body else {
            return true;
        };
        let down = |s: ConnectionState| {
            matches!(s, ConnectionState::Offline | ConnectionState::Connecting)
        };
        let repeat = self
            .link
            .is_some_and(|l| l == *state || (down(l) && down(*state)));
        self.link = Some(*state);
        !repeat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(seq: u64, state: ConnectionState) -> Event {
        Event {
            seq,
            body: EventBody::Connection { state },
        }
    }

    #[test]
    fn a_server_outage_is_one_line_and_its_end_another() {
        use ConnectionState::*;
        let mut w = Watching {
            ever: true,
            away: false,
            link: Some(LoggedIn),
        };
        let shown: Vec<bool> = [
            Offline, Connecting, Offline, Connecting, Offline, Connecting,
        ]
        .into_iter()
        .chain([Connected, LoggedIn, LoggedIn])
        .enumerate()
        .map(|(i, s)| w.shows(&connection(i as u64, s)))
        .collect();
        assert_eq!(
            shown,
            [true, false, false, false, false, false, true, true, false]
        );
    }

    #[test]
    fn chatd_going_away_is_said_once_and_its_return_once() {
        let mut w = Watching {
            ever: true,
            ..Watching::default()
        };
        let gone = Update::Detached(ClientError::NotRunning { path: "/x".into() });
        let first = w.note(&Update::Detached(ClientError::Disconnected), false);
        assert!(first.expect("a line").contains("went away"));
        for _ in 0..5 {
            assert!(w.note(&gone, false).is_none());
        }
        assert!(w.away);
    }
}
