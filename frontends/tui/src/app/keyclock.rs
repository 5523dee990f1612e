//! Which answers may still raise a key warning. Answers (a key, the
//! conversation or group list) travel apart from chatd's events, so one
//! computed before a key change was accepted can arrive after the `trust`
//! event that settled it. Each settling event ticks a clock; an answer to
//! a request sent before the user's last settling tick is older than that
//! event and must not raise the warning again (the events carry the
//! truth: a newer change comes as its own `trust` event).

use std::collections::HashMap;

/// Settling `trust` events counted, and when each request was sent.
#[derive(Debug, Clone, Default)]
pub struct KeyClock {
    now: u64,
    settled: HashMap<String, u64>,
    /// Fingerprint requests in flight per user: the tick of the oldest
    /// and how many.
    asked: HashMap<String, (u64, u32)>,
    conversations_asked: u64,
    groups_asked: u64,
}

/// A list request that can raise key warnings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// `conversations`.
    Conversations,
    /// `groups`.
    Groups,
}

impl KeyClock {
    /// A `trust` event settled `user`'s key.
    pub fn settled(&mut self, user: &str) {
        self.now += 1;
        self.settled.insert(user.to_string(), self.now);
    }

    /// A `fingerprint` of `user` was asked for.
    pub fn ask_key(&mut self, user: &str) {
        let now = self.now;
        let entry = self.asked.entry(user.to_string()).or_insert((now, 0));
        entry.1 += 1;
    }

    /// Its answer came: may it raise `user`'s warning?
    pub fn key_answered(&mut self, user: &str) -> bool {
        let asked = match self.asked.get_mut(user) {
            Some((at, n)) => {
                let at = *at;
                *n = n.saturating_sub(1);
                if *n == 0 {
                    self.asked.remove(user);
                }
                at
            }
            None => self.now,
        };
        self.fresh(user, asked)
    }

    /// A list was asked for.
    pub fn ask_list(&mut self, list: List) {
        match list {
            List::Conversations => self.conversations_asked = self.now,
            List::Groups => self.groups_asked = self.now,
        }
    }

    /// May the answer to `list` raise `user`'s warning?
    pub fn list_may_raise(&self, list: List, user: &str) -> bool {
        let asked = match list {
            List::Conversations => self.conversations_asked,
            List::Groups => self.groups_asked,
        };
        self.fresh(user, asked)
    }

    fn fresh(&self, user: &str, asked: u64) -> bool {
        self.settled.get(user).is_none_or(|&s| s <= asked)
    }
}
