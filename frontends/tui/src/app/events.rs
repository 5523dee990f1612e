//! chatd's events applied to the app's state. Every handler is idempotent
//! (messages by id, statuses only forward, lists re-read from chatd), since
//! after a reconnect the `since` replay may repeat what an answer already
//! showed.

use chatd_api::{
    Direction, EventBody, Message, MessageStatus, Notice, NoticeKind, SecurityReason, TrustState,
};

use super::notice::{About, Level};
use super::{App, Effect, Request};

impl App {
    pub(super) fn event(&mut self, body: EventBody) {
        match body {
            EventBody::Message { message, .. } => self.message_event(message),
            EventBody::Receipt { id, status, .. } => {
                if let Some(c) = self.chat.convo.as_mut() {
                    c.receipt(&id, status);
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
            EventBody::Security { user, reason, .. } => {
                self.say(
                    Level::Error,
                    format!(
                        "a message from {user} was refused: {}",
                        security_reason(&reason)
                    ),
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
            // Groups and typing come with chatd's groups (issue 12).
            EventBody::Group { .. } | EventBody::Typing { .. } => {}
        }
    }

    /// A pin changed (here or in another frontend: `chat trust`, `chat
    /// verify`): the key marks follow at once, and the open conversation
    /// gets a system line for it.
    fn trust_event(&mut self, user: String, state: TrustState, fingerprint: String, ts: i64) {
        self.chat.set_key_alert(&user, state == TrustState::Changed);
        if state != TrustState::Changed {
            // Accepted meanwhile: a `key_changed` still being looked up
            // raises no alarm, and its notice goes.
            self.key_notices.retain(|u| u != &user);
            self.settled(&About::KeyChanged(user.clone()));
        }
        for c in &mut self.chat.conversations {
            if c.peer == user {
                c.trust = Some(state);
            }
        }
        let Some(convo) = self.chat.convo.as_mut().filter(|c| c.peer == user) else {
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
        let peer = match message.direction {
            Direction::In => message.from.clone(),
            Direction::Out => message.to.clone(),
        };
        let unseen = message.direction == Direction::In
            && message.status != MessageStatus::Read
            && !(self.chat.is_open(&peer) && self.can_see());
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
            if let Some(c) = self.chat.convo.as_mut().filter(|c| c.peer == peer)
                && c.unread_from.is_none()
            {
                c.unread_from = Some(message.id.clone());
            }
        }
        if self.chat.is_open(&peer) {
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
        self.refresh_conversations();
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
