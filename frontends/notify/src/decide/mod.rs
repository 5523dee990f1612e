//! The notifier's judgement, with no I/O and no clock of its own: events
//! from chatd go in, notifications to show or close come out. Keeping it
//! pure lets every rule (grouping bursts, quiet for a focused
//! conversation, no repeats, naming the group of a group message, telling
//! us we were added to or removed from a group) be tested without a bus or
//! a daemon.

pub mod text;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use chatd_api::{Direction, Event, EventBody, Group, GroupChange, Message, MessageStatus};

/// Previews kept per burst of messages (the newest ones are shown).
pub const PREVIEWS_SHOWN: usize = 3;
/// Message ids remembered per burst, to close it when one is read.
const IDS_KEPT: usize = 256;
/// Bursts alive at once at most; the stalest goes first. Bounds memory
/// when many people write at once.
const BURSTS_KEPT: usize = 256;

/// What a notification is about. A new notification for the same slot
/// replaces the one shown before, which is how bursts become one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Slot {
    /// Messages from this sender (1:1).
    Messages(String),
    /// Messages in this group (by id), whoever sent them.
    GroupMessages(String),
    /// We were added to or removed from this group (by id).
    Membership(String),
    /// This user's identity key changed.
    KeyChanged(String),
    /// Security alerts about this user.
    Security(String),
}

/// How insistent a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Messages.
    Normal,
    /// Changed keys and security alerts: they need a person's attention.
    Critical,
}

/// One notification to show, in plain text (markup, if the server wants
/// it, is the I/O side's business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// What it is about; replaces an earlier note of the same slot.
    pub slot: Slot,
    /// The first line.
    pub summary: String,
    /// The rest; empty when there is nothing more to say.
    pub body: String,
    /// How insistent.
    pub urgency: Urgency,
}

/// What to do on the desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show this note, replacing the slot's earlier one.
    Show(Note),
    /// Take the slot's note away (the person has seen the conversation).
    Close(Slot),
}

/// The person's choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Show message text and file names; when false only the sender is
    /// shown.
    pub preview: bool,
    /// Notes of one slot closer together than this are grouped.
    pub group_window: Duration,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            preview: true,
            group_window: Duration::from_secs(60),
        }
    }
}

/// A burst in progress.
#[derive(Debug)]
struct Burst {
    count: u32,
    last: Instant,
    ids: VecDeque<String>,
    previews: VecDeque<String>,
}

impl Burst {
    fn new(now: Instant) -> Self {
        Self {
            count: 0,
            last: now,
            ids: VecDeque::new(),
            previews: VecDeque::new(),
        }
    }
}

/// Turns events into actions. Feed it every event in order with the time
/// it was taken; it remembers the last seq it saw so that nothing replayed
/// twice is shown twice.
#[derive(Debug)]
pub struct Decider {
    rules: Rules,
    bursts: HashMap<Slot, Burst>,
    last_seq: Option<u64>,
    /// Our account name, once chatd said it: a change we made ourselves is
    /// no news.
    me: Option<String>,
}

impl Decider {
    /// A decider that has seen nothing yet.
    pub fn new(rules: Rules) -> Self {
        Self {
            rules,
            bursts: HashMap::new(),
            last_seq: None,
            me: None,
        }
    }

    /// Our account name (from chatd's status on attach), so that group
    /// changes we made ourselves are not notified.
    pub fn set_me(&mut self, me: Option<String>) {
        self.me = me;
    }

    /// The seq of the last event handled, to resume from (`since`).
    pub fn last_seq(&self) -> Option<u64> {
        self.last_seq
    }

    /// Treats every event up to `seq` as handled: the state file's value at
    /// start, or chatd's current seq when its log began anew.
    pub fn set_last_seq(&mut self, seq: u64) {
        self.last_seq = Some(seq);
    }

    /// Decides what `event`, taken at `now`, calls for.
    pub fn on_event(&mut self, event: &Event, now: Instant) -> Vec<Action> {
        if self.last_seq.is_some_and(|last| event.seq <= last) {
            return Vec::new();
        }
        self.last_seq = Some(event.seq);
        self.expire(now);
        match &event.body {
            EventBody::Message { message, focused } if message.direction == Direction::In => {
                self.on_message(message, *focused, now)
            }
            EventBody::Receipt {
                id,
                status: MessageStatus::Read,
                ..
            } => self.on_read(id),
            EventBody::KeyChanged { user, .. } => {
                let slot = Slot::KeyChanged(user.clone());
                self.touch(&slot, now, None, None);
                vec![Action::Show(Note {
                    slot,
                    summary: text::key_changed_summary(user),
                    body: text::key_changed_body(user),
                    urgency: Urgency::Critical,
                })]
            }
            EventBody::Security { user, reason, .. } => {
                let slot = Slot::Security(user.clone());
                let count = self.touch(&slot, now, None, None);
                vec![Action::Show(Note {
                    slot,
                    summary: text::security_summary(user, count),
                    body: text::security_body(user, reason),
                    urgency: Urgency::Critical,
                })]
            }
            EventBody::Group { group, by, change } => self.on_group(group, by, change, now),
            _ => Vec::new(),
        }
    }

    /// A group changed: news only when it made us a member or took us
    /// out, and we did not do it ourselves.
    fn on_group(
        &mut self,
        group: &Group,
        by: &str,
        change: &GroupChange,
        now: Instant,
    ) -> Vec<Action> {
        let me = self.me.as_deref();
        if me == Some(by) {
            return Vec::new();
        }
        let removed_us = !group.is_member
            && match me {
                Some(me) => change.removed.iter().any(|u| u == me),
                // Our name unknown: someone else signed a change that
                // left us out.
                None => !change.removed.is_empty(),
            };
        let (summary, body) = if change.joined && group.is_member {
            (
                text::added_summary(by, &group.name),
                text::added_body(&group.name),
            )
        } else if removed_us {
            (
                text::removed_summary(by, &group.name),
                text::removed_body(&group.name),
            )
        } else {
            return Vec::new();
        };
        let slot = Slot::Membership(group.id.clone());
        self.touch(&slot, now, None, None);
        vec![Action::Show(Note {
            slot,
            summary,
            body,
            urgency: Urgency::Normal,
        })]
    }

    fn on_message(&mut self, message: &Message, focused: bool, now: Instant) -> Vec<Action> {
        let slot = match &message.group {
            Some(group) => Slot::GroupMessages(group.id.clone()),
            None => Slot::Messages(message.from.clone()),
        };
        if focused {
            // The person is looking at this conversation: say nothing, and
            // take away what we said about it before.
            return match self.bursts.remove(&slot) {
                Some(_) => vec![Action::Close(slot)],
                None => Vec::new(),
            };
        }
        let preview = self.rules.preview.then(|| {
            let line = match &message.file {
                Some(file) => text::file_preview(&file.name, &message.text),
                None => text::one_line(&message.text, text::PREVIEW_CHARS),
            };
            match &message.group {
                // Several people write in a group: each line says who.
                Some(_) => format!("{}: {line}", text::one_line(&message.from, 64)),
                None => line,
            }
        });
        let count = self.touch(&slot, now, Some(&message.id), preview);
        let body = match self.bursts.get(&slot) {
            Some(burst) if self.rules.preview => burst
                .previews
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        let group = message.group.as_ref().map(|g| g.name.as_str());
        let summary = match (&message.file, group) {
            // One file alone: what it is in the summary ("bob sent
            // photo.jpg"), its caption as the body.
            (Some(file), _) if count <= 1 => {
                let name = self.rules.preview.then_some(file.name.as_str());
                text::file_summary(&message.from, group, name)
            }
            (_, Some(group)) => text::group_summary(&message.from, group, count),
            (_, None) => text::messages_summary(&message.from, count),
        };
        let body = match &message.file {
            Some(_) if count <= 1 && self.rules.preview => {
                text::one_line(&message.text, text::PREVIEW_CHARS)
            }
            _ => body,
        };
        vec![Action::Show(Note {
            summary,
            slot,
            body,
            urgency: Urgency::Normal,
        })]
    }

    /// A message was read somewhere: its burst's note is stale.
    fn on_read(&mut self, id: &str) -> Vec<Action> {
        let slot = self
            .bursts
            .iter()
            .find(|(slot, g)| {
                matches!(slot, Slot::Messages(_) | Slot::GroupMessages(_))
                    && g.ids.iter().any(|i| i == id)
            })
            .map(|(slot, _)| slot.clone());
        match slot {
            Some(slot) => {
                self.bursts.remove(&slot);
                vec![Action::Close(slot)]
            }
            None => Vec::new(),
        }
    }

    /// Counts one more note for `slot` and returns the burst's count.
    fn touch(
        &mut self,
        slot: &Slot,
        now: Instant,
        id: Option<&str>,
        preview: Option<String>,
    ) -> u32 {
        if !self.bursts.contains_key(slot) && self.bursts.len() >= BURSTS_KEPT {
            self.evict_stalest();
        }
        let burst = self
            .bursts
            .entry(slot.clone())
            .or_insert_with(|| Burst::new(now));
        burst.count = burst.count.saturating_add(1);
        burst.last = now;
        if let Some(id) = id {
            if burst.ids.len() == IDS_KEPT {
                burst.ids.pop_front();
            }
            burst.ids.push_back(id.to_string());
        }
        if let Some(p) = preview {
            if burst.previews.len() == PREVIEWS_SHOWN {
                burst.previews.pop_front();
            }
            burst.previews.push_back(p);
        }
        burst.count
    }

    /// Ends the bursts that have been quiet for longer than the window.
    fn expire(&mut self, now: Instant) {
        let window = self.rules.group_window;
        self.bursts
            .retain(|_, g| now.saturating_duration_since(g.last) < window);
    }

    fn evict_stalest(&mut self) {
        let stalest = self
            .bursts
            .iter()
            .min_by_key(|(_, g)| g.last)
            .map(|(slot, _)| slot.clone());
        if let Some(slot) = stalest {
            self.bursts.remove(&slot);
        }
    }
}

#[cfg(test)]
mod tests;
