//! chatd's events applied to the app's state. Every handler is idempotent
//! (messages by id, statuses only forward, lists re-read from chatd), since
//! after a reconnect the `since` replay may repeat what an answer already
//! showed.

use chatd_api::{
    Chat as Talk, Direction, EventBody, Group, GroupChange, Message, MessageStatus, Notice,
    NoticeKind, SecurityReason, TrustState,
};

use super::chat::{GroupLine, TYPING_MS, Typist};
use super::notice::{About, Level};
use super::{App, Effect, Request};

impl App {
    pub(super) fn event(&mut self, body: EventBody) {
        match body {
            EventBody::Message { message, .. } => self.message_event(message),
            EventBody::Receipt {
                id,
                status,
                receipts,
                ..
            } => {
                if let Some(c) = self.chat.convo.as_mut() {
                    c.receipt(&id, status, receipts.as_ref());
                }
                if status != MessageStatus::Sending {
                    // It left the outbox (or failed, which its mark shows).
                    self.settled(&About::Outbox(id));
                }
            }
            EventBody::Presence { user, online } => {
                self.chat.presence(&user, online);
            }
            EventBody::Connection { state } => {
                let old = self.server_state();
                self.server_state_changed(old, state);
                if old != Some(state) {
                    // Who is logged in may have changed (`chat login` as
                    // someone else): read it again.
                    self.call(Request::Status);
                }
            }
            EventBody::KeyChanged { user, .. } => {
                // Ask chatd where the key stands now: after a `since`
                // replay the change may already be accepted. The alert
                // and the notice wait for the answer.
                if !self.key_notices.contains(&user) {
                    self.key_notices.push(user.clone());
                }
                self.call(Request::Fingerprint { user: Some(user) });
            }
            EventBody::Security {
                user,
                reason,
                group,
            } => {
                let about = match group {
                    Some(id) => format!(
                        "a group update from {user} for #{} was refused",
                        self.chat.group_name(&id)
                    ),
                    None => format!("a message from {user} was refused"),
                };
                self.say(
                    Level::Error,
                    format!("{about}: {}", security_reason(&reason)),
                );
            }
            // Extension kinds (PROTOCOL.md D9).
            EventBody::Trust {
                user,
                state,
                fingerprint,
                ts,
            } => self.trust_event(user, state, fingerprint, ts),
            EventBody::Settings { settings } => self.settings = Some(settings),
            EventBody::Group { group, by, change } => self.group_event(*group, &by, &change),
            EventBody::Typing { user, group } => self.typing_event(user, group),
            EventBody::Transfer { transfer, .. } => self.transfer_event(*transfer),
        }
    }

    /// A group's state changed (our own change too): the list takes the
    /// new state at once (and is read again for the order and badges),
    /// and the group's timeline gets a line for it.
    fn group_event(&mut self, group: Group, by: &str, change: &GroupChange) {
        let me = self.me.as_deref();
        let by_us = Some(by) == me;
        let text = if change.joined && by_us {
            format!("you created #{}", group.name)
        } else {
            let who = if by_us { "you" } else { by };
            change.describe(who, &group.name)
        };
        let ours = |users: &[String]| me.is_some_and(|m| users.iter().any(|u| u == m));
        if !by_us && (change.joined || ours(&change.removed)) {
            // It concerns us and we did not do it: say so wherever we are.
            self.say(Level::Info, format!("#{}: {text}", group.name));
        }
        let line = GroupLine {
            group: group.id.clone(),
            ts: self.now_ms,
            text,
        };
        if let Some(c) = self
            .chat
            .convo
            .as_mut()
            .filter(|c| c.group() == Some(group.id.as_str()))
            && !c.changes.contains(&line)
        {
            c.changes.push(line.clone());
        }
        self.chat.group_log.push(line);
        // A member whose key chatd holds as changed is marked at once.
        for m in &group.members {
            if m.trust == Some(TrustState::Changed) {
                self.chat.set_key_alert(&m.user, true);
            }
        }
        self.chat.upsert_group(group);
        self.refresh_groups();
    }

    /// Someone types: shown for 6 s after their last indicator, or until
    /// their message comes.
    fn typing_event(&mut self, user: String, group: Option<String>) {
        if self.me.as_ref() == Some(&user) {
            return;
        }
        let chat = match group {
            Some(id) => Talk::group(id),
            None => Talk::peer(&user),
        };
        let until_ms = self.now_ms + TYPING_MS;
        match self
            .chat
            .typing
            .iter_mut()
            .find(|t| t.chat == chat && t.user == user)
        {
            Some(t) => t.until_ms = until_ms,
            None => self.chat.typing.push(Typist {
                chat,
                user,
                until_ms,
            }),
        }
    }

    /// A pin changed (here or in another frontend: `chat trust`, `chat
    /// verify`): the key marks follow at once, and the open conversation
    /// gets a system line for it.
    fn trust_event(&mut self, user: String, state: TrustState, fingerprint: String, ts: i64) {
        self.chat.set_key_alert(&user, state == TrustState::Changed);
        if state != TrustState::Changed {
            // Accepted meanwhile: a `key_changed` still being looked up
            // raises no alarm, and its notice goes; answers asked for
            // before now are older than this.
            self.key_clock.settled(&user);
            self.key_notices.retain(|u| u != &user);
            self.settled(&About::KeyChanged(user.clone()));
        }
        for c in &mut self.chat.conversations {
            if c.peer == user {
                c.trust = Some(state);
            }
        }
        for m in self
            .chat
            .groups
            .iter_mut()
            .flat_map(|g| g.members.iter_mut())
        {
            if m.user == user {
                m.trust = Some(state);
            }
        }
        let Some(convo) = self
            .chat
            .convo
            .as_mut()
            .filter(|c| c.peer() == Some(user.as_str()))
        else {
            return;
        };
        let before = convo.key.as_ref().map(|k| k.state);
        if let Some(key) = convo.key.as_mut() {
            key.state = state;
            key.fingerprint = fingerprint.clone();
        }
        // chatd's notices, as `history` will return them; a first pin
        // (trust on first use) has none.
        let kind = match (before, state) {
            (_, TrustState::Changed) => NoticeKind::KeyChanged,
            (_, TrustState::Verified) => NoticeKind::Verified,
            (Some(TrustState::Changed), TrustState::Unverified) => NoticeKind::KeyAccepted,
            (_, TrustState::Unverified) => return,
        };
        convo.merge_notices([Notice {
            ts,
            user,
            kind,
            fingerprint,
        }]);
    }

    fn message_event(&mut self, message: Message) {
        let chat = chat_of(&message);
        // Their message is here: they are no longer typing it.
        self.chat
            .typing
            .retain(|t| !(t.chat == chat && t.user == message.from));
        let unseen = message.direction == Direction::In
            && message.status != MessageStatus::Read
            && !(self.chat.is_open_chat(&chat) && self.can_see());
        let known = self
            .chat
            .convo
            .as_ref()
            .is_some_and(|c| c.messages.iter().any(|m| m.id == message.id));
        if unseen && !known {
            // Once per update, however many came at once.
            if self.bell && !self.out.contains(&Effect::Bell) {
                self.out.push(Effect::Bell);
            }
            if let Some(c) = self.chat.convo.as_mut().filter(|c| c.chat == chat)
                && c.unread_from.is_none()
            {
                c.unread_from = Some(message.id.clone());
            }
        }
        if self.chat.is_open_chat(&chat) {
            let before = self.max_scroll().unwrap_or(0);
            let added = self.chat.convo.as_mut().map_or(0, |c| c.merge([message]));
            if added > 0 {
                // Keep the rows in view where they are when scrolled up.
                let grown = self.max_scroll().unwrap_or(0).saturating_sub(before);
                if let Some(c) = self.chat.convo.as_mut()
                    && c.scroll > 0
                {
                    c.scroll += grown;
                }
            }
        }
        self.refresh_list_of(&chat);
    }
}

/// The conversation a message belongs to: its group, else the peer.
pub(super) fn chat_of(message: &Message) -> Talk {
    match (&message.group, message.direction) {
        (Some(g), _) => Talk::group(&g.id),
        (None, Direction::In) => Talk::peer(&message.from),
        (None, Direction::Out) => Talk::peer(&message.to),
    }
}

/// The `security` reasons of PROTOCOL.md D5 in words.
fn security_reason(reason: &SecurityReason) -> String {
    match reason {
        SecurityReason::BadSignature => {
            "its signature does not match the key you have for them".into()
        }
        SecurityReason::BadTag => "it was altered on the way".into(),
        SecurityReason::Replayed => "it is a replay of an earlier message".into(),
        SecurityReason::UnwrapFailed => "its session key could not be opened".into(),
        SecurityReason::RetiredKey => "it uses a session key that was already retired".into(),
        SecurityReason::OwnKeyMismatch => {
            "the server holds another key for your own account: someone logged in to it with \
             another key; change your password, then log in again"
                .into()
        }
        SecurityReason::MalformedEnvelope | SecurityReason::MalformedPayload => {
            "it is malformed".into()
        }
        SecurityReason::Unknown(other) => format!("{other} (see PROTOCOL.md)"),
        group => group.describe(),
    }
}
