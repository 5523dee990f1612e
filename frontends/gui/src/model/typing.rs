//! Typing indicators, both ways, as rules with the clock passed in: who is
//! typing where (shown for [`SHOWN_FOR`] after their last indicator, or
//! until their message arrives in that conversation), and how often this
//! window tells chatd that the person types (at most once per
//! [`SEND_EVERY`] per conversation; chatd coalesces further, to one per
//! 3 s on the wire).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chatd_api::Chat;

/// How long "bob is typing..." stays after bob's last indicator
/// (PROTOCOL.md §4.1).
pub const SHOWN_FOR: Duration = Duration::from_secs(6);
/// The least time between two `typing` calls for one conversation.
pub const SEND_EVERY: Duration = Duration::from_secs(1);

/// Who is typing in which conversation, and since when.
#[derive(Debug, Clone, Default)]
pub struct Typists {
    last: HashMap<(Chat, String), Instant>,
}

impl Typists {
    /// `user` typed in `chat` (an indicator arrived at `now`).
    pub fn typed(&mut self, chat: Chat, user: String, now: Instant) {
        self.last
            .retain(|_, at| now.saturating_duration_since(*at) < SHOWN_FOR);
        self.last.insert((chat, user), now);
    }

    /// `user`'s message arrived in `chat`: they are done typing it.
    pub fn wrote(&mut self, chat: &Chat, user: &str) {
        self.last.retain(|(c, u), _| !(c == chat && u == user));
    }

    /// Forgets everyone (another account, chatd lost).
    pub fn clear(&mut self) {
        self.last.clear();
    }

    /// Who is typing in `chat` at `now`, by name.
    pub fn in_chat(&self, chat: &Chat, now: Instant) -> Vec<&str> {
        let mut who: Vec<&str> = self
            .last
            .iter()
            .filter(|((c, _), at)| c == chat && now.saturating_duration_since(**at) < SHOWN_FOR)
            .map(|((_, u), _)| u.as_str())
            .collect();
        who.sort_unstable();
        who
    }

    /// How long until the next indicator in `chat` expires (to redraw
    /// then), if any is shown.
    pub fn next_expiry(&self, chat: &Chat, now: Instant) -> Option<Duration> {
        self.last
            .iter()
            .filter(|((c, _), _)| c == chat)
            .filter_map(|(_, at)| SHOWN_FOR.checked_sub(now.saturating_duration_since(*at)))
            .filter(|d| !d.is_zero())
            .min()
    }
}

/// The line under the timeline: "bob is typing...", "bob and carol are
/// typing...", "4 people are typing...".
pub fn typing_line(who: &[&str]) -> Option<String> {
    match who {
        [] => None,
        [one] => Some(format!("{one} is typing...")),
        [a, b] => Some(format!("{a} and {b} are typing...")),
        [a, b, c] => Some(format!("{a}, {b} and {c} are typing...")),
        more => Some(format!("{} people are typing...", more.len())),
    }
}

/// When this window last told chatd that the person types, per
/// conversation.
#[derive(Debug, Clone, Default)]
pub struct TypingThrottle {
    sent: HashMap<Chat, Instant>,
}

impl TypingThrottle {
    /// The person typed in `chat` at `now`: true when chatd should be told
    /// (the first keystroke, or the first one [`SEND_EVERY`] after the
    /// last call).
    pub fn keystroke(&mut self, chat: &Chat, now: Instant) -> bool {
        match self.sent.get(chat) {
            Some(at) if now.saturating_duration_since(*at) < SEND_EVERY => false,
            _ => {
                self.sent.insert(chat.clone(), now);
                true
            }
        }
    }

    /// A message was sent in `chat`: the next keystroke starts a new one
    /// and is told at once.
    pub fn sent(&mut self, chat: &Chat) {
        self.sent.remove(chat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_indicator_shows_for_six_seconds_after_the_last_one() {
        let t = Instant::now();
        let bob = Chat::peer("bob");
        let mut typists = Typists::default();
        typists.typed(bob.clone(), "bob".into(), t);
        assert_eq!(typists.in_chat(&bob, t + Duration::from_secs(5)), ["bob"]);
        // Another indicator moves the end.
        typists.typed(bob.clone(), "bob".into(), t + Duration::from_secs(5));
        assert_eq!(typists.in_chat(&bob, t + Duration::from_secs(10)), ["bob"]);
        assert_eq!(
            typists.next_expiry(&bob, t + Duration::from_secs(10)),
            Some(Duration::from_secs(1))
        );
        assert!(
            typists
                .in_chat(&bob, t + Duration::from_secs(11))
                .is_empty()
        );
        assert_eq!(typists.next_expiry(&bob, t + Duration::from_secs(11)), None);
        // Only in its own conversation.
        assert!(typists.in_chat(&Chat::peer("carol"), t).is_empty());
    }

    #[test]
    fn a_message_from_the_typist_ends_it_at_once() {
        let t = Instant::now();
        let team = Chat::group("g-1");
        let mut typists = Typists::default();
        typists.typed(team.clone(), "bob".into(), t);
        typists.typed(team.clone(), "carol".into(), t);
        typists.typed(Chat::peer("bob"), "bob".into(), t);
        typists.wrote(&team, "bob");
        assert_eq!(typists.in_chat(&team, t), ["carol"]);
        assert_eq!(
            typists.in_chat(&Chat::peer("bob"), t),
            ["bob"],
            "1:1 goes on"
        );
    }

    #[test]
    fn the_line_names_up_to_three_people() {
        assert_eq!(typing_line(&[]), None);
        assert_eq!(typing_line(&["bob"]).as_deref(), Some("bob is typing..."));
        assert_eq!(
            typing_line(&["bob", "carol"]).as_deref(),
            Some("bob and carol are typing...")
        );
        assert_eq!(
            typing_line(&["a", "b", "c", "d"]).as_deref(),
            Some("4 people are typing...")
        );
    }

    #[test]
    fn chatd_is_told_at_most_once_a_second_per_conversation() {
        let t = Instant::now();
        let bob = Chat::peer("bob");
        let team = Chat::group("g-1");
        let mut throttle = TypingThrottle::default();
        assert!(throttle.keystroke(&bob, t));
        assert!(!throttle.keystroke(&bob, t + Duration::from_millis(300)));
        assert!(!throttle.keystroke(&bob, t + Duration::from_millis(999)));
        assert!(throttle.keystroke(&team, t), "each conversation on its own");
        assert!(throttle.keystroke(&bob, t + Duration::from_millis(1000)));
        // After a send, the next message's first keystroke is told at once.
        throttle.sent(&bob);
        assert!(throttle.keystroke(&bob, t + Duration::from_millis(1100)));
    }
}
