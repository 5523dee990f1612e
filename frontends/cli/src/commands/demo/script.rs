//! The demo's story: a server, two daemons, two people who sign up,
//! compare fingerprints, exchange messages and see the receipts, each step
//! driven through the same local API every frontend uses.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use chatd_api::client::{Client, EventStream};
use chatd_api::{
    Direction, ErrorCode, Event, EventBody, EventKind, MessageStatus, SubscribeParams, TrustState,
};
use serde::Serialize;

use super::binaries::Binaries;
use super::procs::{Children, ServerInfo};
use super::say::Say;
use super::wait;
use crate::display::fingerprint::grouped;
use crate::display::message::mark;
use crate::display::text::safe;

/// How long a daemon may take to start answering (it may create its
/// identity key first).
const DAEMON_START: Duration = Duration::from_secs(30);
/// How long signing up may take, including chatd reaching the server.
const SIGNUP: Duration = Duration::from_secs(60);
/// How long a message or receipt may take to arrive.
const DELIVERY: Duration = Duration::from_secs(30);

const FIRST: &str = "Hi Bob! This message was encrypted by my chatd for yours alone.";
const SECOND: &str = "The server in between only ever sees ciphertext.";
const REPLY: &str = "Hi Alice, got both, and marked them read.";

/// What the demo showed, printed at the end (`--json`: as one object).
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    /// `host:port` of the server.
    pub(crate) server: String,
    /// The server's TLS key fingerprint, pinned by both daemons.
    pub(crate) server_fingerprint: String,
    /// Each person's identity key fingerprint, verified by the other.
    pub(crate) fingerprints: HashMap<String, String>,
    /// Every message sent, with its final status as the sender saw it.
    pub(crate) messages: Vec<SummaryMessage>,
}

/// One message in the summary.
#[derive(Debug, Serialize)]
pub(crate) struct SummaryMessage {
    /// Sender.
    pub(crate) from: String,
    /// Recipient.
    pub(crate) to: String,
    /// The text.
    pub(crate) text: String,
    /// Its status when the demo ended.
    pub(crate) status: MessageStatus,
}

/// One person: their daemon's socket client and event stream.
struct Person {
    name: &'static str,
    client: Client,
    events: Option<EventStream>,
}

impl Person {
    fn events(&mut self) -> anyhow::Result<&mut EventStream> {
        self.events
            .as_mut()
            .with_context(|| format!("{} has not subscribed", self.name))
    }
}

/// Runs the story; the caller owns cleanup.
pub(crate) async fn run(
    say: &Say,
    bins: &Binaries,
    dir: &Path,
    children: &mut Children,
) -> anyhow::Result<Summary> {
    say.step(
        "Starting chat-server",
        "The relay: it stores accounts, public keys and encrypted envelopes, and speaks \
         TLS 1.3 on a port the OS picks.",
    );
    let server = children
        .start_server(&bins.server, &dir.join("server"), &dir.join("server.log"))
        .await?;
    say.detail(&format!(
        "listening on {}, TLS key fingerprint {}",
        server.addr,
        grouped(&server.fingerprint)
    ));

    say.step(
        "Starting a chatd for alice and one for bob",
        "Each person has their own daemon: it holds their keys and history and is the only \
         thing that talks to the server. Both pin the server's fingerprint.",
    );
    let mut alice = start_person(say, bins, dir, children, &server, "alice").await?;
    let mut bob = start_person(say, bins, dir, children, &server, "bob").await?;

    say.step(
        "Signing up alice and bob",
        "Each daemon creates an identity key, publishes its public half and logs in; the \
         passphrases are random and never leave this demo.",
    );
    for p in [&alice, &bob] {
        signup(say, children, p).await?;
    }

    say.step(
        "Comparing fingerprints",
        "What alice's daemon got from the server as bob's key must be the key bob's daemon \
         holds. People compare this out of band; here both sides are on one screen.",
    );
    let bob_fpr = compare_and_verify(say, &alice, &bob).await?;
    let alice_fpr = compare_and_verify(say, &bob, &alice).await?;

    say.step(
        "Subscribing to events",
        "Frontends learn about messages and receipts as events pushed over the local socket.",
    );
    for p in [&mut alice, &mut bob] {
        subscribe(say, p).await?;
    }

    say.step(
        "alice sends bob two messages",
        "Her daemon encrypts each for bob's key and signs it with hers; the server relays \
         envelopes it cannot open.",
    );
    let mut sent = Vec::new();
    for text in [FIRST, SECOND] {
        let s = alice.client.send("bob", text).await?;
        say.detail(&format!("alice → bob: {text}"));
        sent.push(s.id);
    }
    let received = wait_for_messages(say, &mut bob, "alice", 2).await?;
    if received != [FIRST, SECOND] {
        anyhow::bail!("bob received {received:?}, not what alice sent");
    }

    say.step(
        "bob reads them; alice sees the receipts",
        "Bob's daemon acknowledged delivery on arrival; marking the conversation read sends \
         read receipts, end-to-end encrypted like messages.",
    );
    let mut statuses: HashMap<String, MessageStatus> = HashMap::new();
    wait_for_receipts(
        say,
        &mut alice,
        &sent,
        &["message 1", "message 2"],
        &mut statuses,
        MessageStatus::Delivered,
    )
    .await?;
    bob.client.mark_read("alice").await?;
    say.detail("bob marked the conversation with alice read");
    wait_for_receipts(
        say,
        &mut alice,
        &sent,
        &["message 1", "message 2"],
        &mut statuses,
        MessageStatus::Read,
    )
    .await?;

    say.step(
        "bob replies",
        "The same path the other way round, and bob sees his reply delivered.",
    );
    let reply_id = bob.client.send("alice", REPLY).await?.id;
    say.detail(&format!("bob → alice: {REPLY}"));
    let reply = wait_for_messages(say, &mut alice, "bob", 1).await?;
    if reply != [REPLY] {
        anyhow::bail!("alice received {reply:?}, not bob's reply");
    }
    let sent_back = [reply_id];
    wait_for_receipts(
        say,
        &mut bob,
        &sent_back,
        &["the reply"],
        &mut statuses,
        MessageStatus::Delivered,
    )
    .await?;

    let mut messages: Vec<SummaryMessage> = [FIRST, SECOND]
        .iter()
        .zip(&sent)
        .map(|(text, id)| SummaryMessage {
            from: "alice".into(),
            to: "bob".into(),
            text: text.to_string(),
            status: statuses.get(id).copied().unwrap_or(MessageStatus::Sent),
        })
        .collect();
    messages.push(SummaryMessage {
        from: "bob".into(),
        to: "alice".into(),
        text: REPLY.into(),
        status: statuses
            .get(&sent_back[0])
            .copied()
            .unwrap_or(MessageStatus::Sent),
    });
    Ok(Summary {
        server: server.addr,
        server_fingerprint: server.fingerprint,
        fingerprints: HashMap::from([("alice".into(), alice_fpr), ("bob".into(), bob_fpr)]),
        messages,
    })
}

/// Starts `name`'s daemon and waits until its socket answers `status`.
async fn start_person(
    say: &Say,
    bins: &Binaries,
    dir: &Path,
    children: &mut Children,
    server: &ServerInfo,
    name: &'static str,
) -> anyhow::Result<Person> {
    let paths = children.start_daemon(&bins.chatd, name, &dir.join(name), server)?;
    let proc_name = format!("{name}'s chatd");
    let what = format!("{proc_name} answers on {}", paths.socket.display());
    let (client, status) = wait::until(&what, DAEMON_START, || {
        let alive = children.check_alive(&proc_name);
        let socket = paths.socket.clone();
        async move {
            alive?;
            let Ok(client) = Client::connect(&socket).await else {
                return Ok(None);
            };
            match client.status().await {
                Ok(status) => Ok(Some((client, status))),
                Err(_) => Ok(None),
            }
        }
    })
    .await?;
    say.detail(&format!(
        "{proc_name} {} answers on {}",
        status.version,
        paths.socket.display()
    ));
    Ok(Person {
        name,
        client,
        events: None,
    })
}

/// Signs `p` up with a random passphrase, retrying while chatd is still
/// reaching the server.
async fn signup(say: &Say, children: &mut Children, p: &Person) -> anyhow::Result<()> {
    let password = passphrase()?;
    let proc_name = format!("{}'s chatd", p.name);
    let what = format!("{} can sign up (chatd reaches the server)", p.name);
    wait::until(&what, SIGNUP, || {
        let alive = children.check_alive(&proc_name);
        let (client, name, password) = (p.client.clone(), p.name, password.clone());
        async move {
            alive?;
            match client.signup(name, &password).await {
                Ok(done) => Ok(Some(done)),
                Err(e) if e.code() == Some(ErrorCode::Offline) => Ok(None),
                Err(e) => Err(anyhow::Error::new(e).context(format!("signing up {name}"))),
            }
        }
    })
    .await?;
    say.detail(&format!("{} signed up and is logged in", p.name));
    Ok(())
}

/// `viewer` looks up `owner`'s key; it must be the one `owner`'s daemon
/// holds; then `viewer` marks it verified. Returns the fingerprint.
async fn compare_and_verify(say: &Say, viewer: &Person, owner: &Person) -> anyhow::Result<String> {
    let own = owner.client.fingerprint(None).await?;
    let seen = viewer.client.fingerprint(Some(owner.name)).await?;
    let holds = format!("{}'s daemon holds", owner.name);
    let sees = format!("{} sees", viewer.name);
    let w = holds.len().max(sees.len());
    say.detail(&format!(
        "{holds:<w$}  {}\n{sees:<w$}  {}",
        grouped(&own.fingerprint),
        grouped(&seen.fingerprint)
    ));
    if !same_fingerprint(&own.fingerprint, &seen.fingerprint) {
        anyhow::bail!(
            "{}'s key as {} sees it is not the key {}'s daemon holds: something between them \
             swapped it",
            owner.name,
            viewer.name,
            owner.name
        );
    }
    let result = viewer.client.verify(owner.name, &seen.fingerprint).await?;
    if result.state != TrustState::Verified {
        anyhow::bail!("verify left {}'s key {:?}", owner.name, result.state);
    }
    say.detail(&format!(
        "they match: {} marked {}'s key verified",
        viewer.name, owner.name
    ));
    Ok(own.fingerprint)
}

fn same_fingerprint(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    norm(a) == norm(b)
}

async fn subscribe(say: &Say, p: &mut Person) -> anyhow::Result<()> {
    let params = SubscribeParams {
        events: Some(vec![
            EventKind::Message,
            EventKind::Receipt,
            EventKind::KeyChanged,
            EventKind::Security,
        ]),
        since: None,
    };
    let (subscribed, events) = p.client.subscribe(params).await?;
    p.events = Some(events);
    say.detail(&format!(
        "{} subscribed (latest event #{})",
        p.name, subscribed.seq
    ));
    Ok(())
}

/// A key change or security refusal means the demo's premise broke.
fn alarm(who: &str, event: &Event) -> anyhow::Result<()> {
    match &event.body {
        EventBody::KeyChanged { user, .. } => {
            anyhow::bail!("{who}'s daemon reports that {user}'s key changed")
        }
        EventBody::Security { user, reason, .. } => {
            anyhow::bail!("{who}'s daemon refused something from {user}: {reason}")
        }
        _ => Ok(()),
    }
}

/// Waits for `count` messages from `from` on `to`'s stream; their texts.
async fn wait_for_messages(
    say: &Say,
    to: &mut Person,
    from: &str,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let name = to.name;
    let mut texts = Vec::new();
    let what = format!("{count} message(s) from {from} on {name}'s event stream");
    wait::event(to.events()?, &what, DELIVERY, |event| {
        alarm(name, event)?;
        if let EventBody::Message { message: m, .. } = &event.body
            && m.direction == Direction::In
            && m.from == from
        {
            say.detail(&format!(
                "{name}'s stream, event #{}: {from} → {name}: {}",
                event.seq,
                safe(&m.text)
            ));
            texts.push(m.text.clone());
        }
        Ok((texts.len() >= count).then_some(()))
    })
    .await?;
    Ok(texts)
}

/// Waits until every id in `sent` has reached at least `goal` on the
/// sender's stream, printing receipts as they come.
async fn wait_for_receipts(
    say: &Say,
    sender: &mut Person,
    sent: &[String],
    labels: &[&str],
    statuses: &mut HashMap<String, MessageStatus>,
    goal: MessageStatus,
) -> anyhow::Result<()> {
    let name = sender.name;
    let reached = |s: &HashMap<String, MessageStatus>| {
        sent.iter().all(|id| {
            s.get(id)
                .is_some_and(|st| *st >= goal && *st != MessageStatus::Failed)
        })
    };
    if reached(statuses) {
        return Ok(());
    }
    let what = format!("\"{}\" receipts on {name}'s event stream", mark(goal));
    wait::event(sender.events()?, &what, DELIVERY, |event| {
        alarm(name, event)?;
        if let EventBody::Receipt { id, status, .. } = &event.body
            && let Some(n) = sent.iter().position(|s| s == id)
        {
            if *status == MessageStatus::Failed {
                anyhow::bail!(
                    "{} from {name} failed to send",
                    labels.get(n).copied().unwrap_or("a message")
                );
            }
            let label = labels.get(n).copied().unwrap_or("a message");
            say.detail(&format!(
                "{name}'s stream, event #{}: {label} {}",
                event.seq,
                mark(*status)
            ));
            let entry = statuses.entry(id.clone()).or_insert(*status);
            *entry = (*entry).max(*status);
        }
        Ok(reached(statuses).then_some(()))
    })
    .await
}

/// A random passphrase: 24 letters and digits in groups of 4 (about 124
/// bits), well past the 15-character minimum.
fn passphrase() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrases_are_long_random_and_printable() {
        let a = passphrase().expect("random");
        let b = passphrase().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.len(), 24 + 5);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    }

    #[test]
    fn fingerprints_compare_without_spaces_or_case() {
        assert!(same_fingerprint("ABCD ef01", "abcdef01"));
        assert!(!same_fingerprint("abcd", "abce"));
    }
}
