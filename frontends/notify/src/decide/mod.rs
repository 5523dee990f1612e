//! The notifier's judgement, with no I/O and no clock of its own: events
//! from chatd go in, notifications to show or close come out. Keeping it
//! pure lets every rule (grouping bursts, quiet for a focused
//! conversation, no repeats) be tested without a bus or a daemon.

pub mod text;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use chatd_api::{Direction, Event, EventBody, Message, MessageStatus};

/// Previews kept per group of messages (the newest ones are shown).
pub const PREVIEWS_SHOWN: usize = 3;
/// Message ids remembered per group, to close it when one is read.
const IDS_KEPT: usize = 256;
/// Groups alive at once at most; the stalest goes first. Bounds memory
/// when many people write at once.
const GROUPS_KEPT: usize = 256;

/// What a notification is about. A new notification for the same slot
/// replaces the one shown before, which is how bursts become one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Slot {
    /// Messages from this sender.
    Messages(String),
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
    /// Show message text; when false only the sender is shown.
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
struct Group {
    count: u32,
    last: Instant,
    ids: VecDeque<String>,
    previews: VecDeque<String>,
}

impl Group {
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
    groups: HashMap<Slot, Group>,
    last_seq: Option<u64>,
}

impl Decider {
    /// A decider that has seen nothing yet.
    pub fn new(rules: Rules) -> Self {
        Self {
            rules,
            groups: HashMap::new(),
            last_seq: None,
        }
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
            _ => Vec::new(),
        }
    }

    fn on_message(&mut self, message: &Message, focused: bool, now: Instant) -> Vec<Action> {
        let slot = Slot::Messages(message.from.clone());
        if focused {
            // The person is looking at this conversation: say nothing, and
            // take away what we said about it before.
            return match self.groups.remove(&slot) {
                Some(_) => vec![Action::Close(slot)],
                None => Vec::new(),
            };
        }
        let preview = self
            .rules
            .preview
            .then(|| text::one_line(&message.text, text::PREVIEW_CHARS));
        let count = self.touch(&slot, now, Some(&message.id), preview);
        let body = match self.groups.get(&slot) {
            Some(group) if self.rules.preview => group
                .previews
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        vec![Action::Show(Note {
            summary: text::messages_summary(&message.from, count),
            slot,
            body,
            urgency: Urgency::Normal,
        })]
    }

    /// A message was read somewhere: its group's note is stale.
    fn on_read(&mut self, id: &str) -> Vec<Action> {
        let slot = self
            .groups
            .iter()
            .find(|(slot, g)| matches!(slot, Slot::Messages(_)) && g.ids.iter().any(|i| i == id))
            .map(|(slot, _)| slot.clone());
        match slot {
            Some(slot) => {
                self.groups.remove(&slot);
                vec![Action::Close(slot)]
            }
            None => Vec::new(),
        }
    }

    /// Counts one more note for `slot` and returns the group's count.
    fn touch(
        &mut self,
        slot: &Slot,
        now: Instant,
        id: Option<&str>,
        preview: Option<String>,
    ) -> u32 {
        if !self.groups.contains_key(slot) && self.groups.len() >= GROUPS_KEPT {
            self.evict_stalest();
        }
        let group = self
            .groups
            .entry(slot.clone())
            .or_insert_with(|| Group::new(now));
        group.count = group.count.saturating_add(1);
        group.last = now;
        if let Some(id) = id {
            if group.ids.len() == IDS_KEPT {
                group.ids.pop_front();
            }
            group.ids.push_back(id.to_string());
        }
        if let Some(p) = preview {
            if group.previews.len() == PREVIEWS_SHOWN {
                group.previews.pop_front();
            }
            group.previews.push_back(p);
        }
        group.count
    }

    /// Ends the bursts that have been quiet for longer than the window.
    fn expire(&mut self, now: Instant) {
        let window = self.rules.group_window;
        self.groups
            .retain(|_, g| now.saturating_duration_since(g.last) < window);
    }

    fn evict_stalest(&mut self) {
        let stalest = self
            .groups
            .iter()
            .min_by_key(|(_, g)| g.last)
            .map(|(slot, _)| slot.clone());
        if let Some(slot) = stalest {
            self.groups.remove(&slot);
        }
    }
}

#[cfg(test)]
mod tests;
