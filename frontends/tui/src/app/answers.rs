//! chatd's answers applied to the app's state, each matched with the
//! request it answers; failures become notices that say what to do next.

use chatd_api::{
    Chat as Talk, ConnectionState, ErrorCode, Fingerprint, Group, Message, MessageStatus,
    TrustState,
};

use super::chat::{Overlay, PAGE};
use super::keyclock::List;
use super::notice::{About, Level};
use super::{Answer, App, Failure, Outcome, Request};

impl App {
    pub(super) fn answer(&mut self, request: Request, outcome: Outcome) {
        match (request, outcome) {
            (Request::Status, Ok(Answer::Status(mut status))) => {
                // The link's state comes from events, which may be newer
                // than this answer; the rest (who, which server) from here.
                if let Some(state) = self.server_state() {
                    status.state = state;
                }
                self.apply_status(status);
            }
            (Request::Login { .. } | Request::Signup { .. }, outcome) => self.logged_in(outcome),
            (Request::Conversations, outcome) => {
                if let Ok(Answer::Conversations(list)) = outcome {
                    // A list may have been made before a key change it
                    // arrives after: it can raise a key warning, never
                    // settle one (only `trust` events and our own /trust
                    // or /verify do).
                    for c in &list {
                        if c.trust == Some(TrustState::Changed)
                            && self.key_clock.list_may_raise(List::Conversations, &c.peer)
                        {
                            self.chat.set_key_alert(&c.peer, true);
                        }
                    }
                    self.chat.conversations = list;
                }
                if self.conversations.done() {
                    self.refresh_conversations();
                }
            }
            (Request::Groups, outcome) => {
                if let Ok(Answer::Groups(groups)) = outcome {
                    // As the conversation list: raises key warnings only.
                    for m in groups.iter().flat_map(|g| &g.members) {
                        if m.trust == Some(TrustState::Changed)
                            && self.key_clock.list_may_raise(List::Groups, &m.user)
                        {
                            self.chat.set_key_alert(&m.user, true);
                        }
                    }
                    self.chat.groups = groups;
                }
                if self.groups.done() {
                    self.refresh_groups();
                }
            }
            (Request::Typing { .. }, _) => {}
            (
                request @ (Request::GroupInfo { .. }
                | Request::GroupCreate { .. }
                | Request::GroupAdd { .. }
                | Request::GroupRemove { .. }
                | Request::GroupLeave { .. }
                | Request::GroupAdmin { .. }),
                outcome,
            ) => self.group_done(&request, outcome),
            (Request::OnlineUsers, outcome) => {
                if let Ok(Answer::Users(users)) = outcome {
                    let me = self.me.clone();
                    self.chat.online = users
                        .into_iter()
                        .filter(|u| u.online && Some(&u.username) != me.as_ref())
                        .map(|u| u.username)
                        .collect();
                    self.chat.online.sort();
                }
                if self.users.done() {
                    self.refresh_users();
                }
            }
            (Request::History { chat, before }, outcome) => self.history(&chat, before, outcome),
            (Request::Send { chat, text }, outcome) => self.sent(&chat, text, outcome),
            (Request::MarkRead { .. }, _) => {
                self.mark_read.done();
                // The badges follow chatd's counts.
                self.refresh_conversations();
            }
            (Request::Fingerprint { user }, outcome) => self.fingerprint(user, outcome),
            (Request::Verify { user, .. }, outcome) => self.trusted(&user, true, outcome),
            (Request::Trust { user }, outcome) => self.trusted(&user, false, outcome),
            (Request::Search { query }, outcome) => self.searched(&query, outcome),
            (Request::Settings, Ok(Answer::Settings(settings))) => self.settings = Some(settings),
            (Request::SetReceipts { on }, outcome) => self.receipts_set(on, outcome),
            (Request::SetTyping { on }, outcome) => self.typing_set(on, outcome),
            (Request::Settings, _) => {}
            (Request::Status | Request::Focus { .. }, _) => {}
            (
                request @ (Request::SendFile { .. }
                | Request::Download { .. }
                | Request::CancelTransfer { .. }),
                outcome,
            ) => self.file_answer(request, outcome),
        }
    }

    fn logged_in(&mut self, outcome: Outcome) {
        match outcome {
            Ok(Answer::LoggedIn(who)) => {
                self.me = Some(who.username);
                let old = self.server_state();
                // Switches while the form is still busy: our own login.
                self.server_state_changed(old, ConnectionState::LoggedIn);
                self.login.finished(None);
            }
            Ok(_) => self.login.finished(None),
            Err(failure) => self.login.finished(Some(&failure)),
        }
    }

    fn history(&mut self, chat: &Talk, before: Option<i64>, outcome: Outcome) {
        let Some(convo) = self.chat.convo.as_mut().filter(|c| &c.chat == chat) else {
            return;
        };
        convo.loading = false;
        let page = match outcome {
            Ok(Answer::Messages(messages)) => Ok(chatd_api::Messages {
                messages,
                notices: Vec::new(),
            }),
            Ok(Answer::History(page)) => Ok(page),
            Ok(_) => return,
            Err(f) => Err(f),
        };
        match page {
            Ok(page) => {
                let first_page = before.is_none() && convo.messages.is_empty();
                let full = page.messages.len() >= PAGE;
                convo.merge(page.messages);
                convo.merge_notices(page.notices);
                if first_page {
                    convo.place_unread_line();
                }
                if before.is_some() || first_page {
                    convo.more_before = full;
                }
            }
            Err(f) if f.unreachable => {}
            // Said once, by the fingerprint answer.
            Err(f)
                if chat.as_peer().is_some()
                    && matches!(f.code, Some(ErrorCode::NoSuchUser | ErrorCode::Offline)) => {}
            Err(f) => self.say(
                Level::Error,
                format!("cannot load the conversation: {}", f.message),
            ),
        }
    }

    fn sent(&mut self, chat: &Talk, text: String, outcome: Outcome) {
        let failure = match outcome {
            Ok(Answer::Sent(sent)) => {
                let waiting = self.chat.convo.as_ref().is_none_or(|c| {
                    c.messages
                        .iter()
                        .find(|m| m.id == sent.id)
                        .is_none_or(|m| m.status == MessageStatus::Sending)
                });
                if sent.queued && waiting {
                    self.say_about(
                        Level::Warn,
                        "chatd is not connected to the server: the message waits in its \
                         outbox and goes out when it is",
                        About::Outbox(sent.id),
                    );
                }
                return;
            }
            Ok(_) => return,
            Err(f) => f,
        };
        // Give the text back, before anything typed since.
        let rest = self.input.take();
        let restored = if rest.is_empty() {
            text
        } else {
            format!("{text}\n{rest}")
        };
        self.input.set(&restored);
        self.returned = rest.is_empty();
        let to = self.chat.title(chat);
        let why = match failure.code {
            Some(ErrorCode::KeyChanged) if chat.as_group().is_some() => {
                format!("not sent: {}", failure.message)
            }
            Some(ErrorCode::KeyChanged) => {
                self.chat.set_key_alert(&to, true);
                self.call(Request::Fingerprint {
                    user: Some(to.clone()),
                });
                format!(
                    "not sent: {to}'s key changed; compare fingerprints (/fingerprint), accept \
                     the new key with /trust, then press Enter again"
                )
            }
            Some(ErrorCode::NoSuchUser) if chat.as_peer().is_some() => {
                format!("not sent: there is no user {to}")
            }
            Some(ErrorCode::NotGroupMember) => {
                format!("not sent: you are no longer a member of {to}")
            }
            _ if failure.unreachable => {
                "not sent: chatd went away; your text is back in the input".to_string()
            }
            _ => format!("not sent: {}", failure.message),
        };
        self.say(Level::Error, why);
    }

    fn fingerprint(&mut self, user: Option<String>, outcome: Outcome) {
        let result = match outcome {
            Ok(Answer::Fingerprint(f)) => Ok(f),
            Ok(_) => return,
            Err(f) => Err(f),
        };
        if let Some(Overlay::Keys(view)) = &mut self.chat.overlay {
            match (&user, &result) {
                (None, Ok(f)) => view.own = Some(f.clone()),
                (Some(u), Ok(f)) if view.user.as_ref() == Some(u) => view.theirs = Some(f.clone()),
                (Some(u), Err(e)) if view.user.as_ref() == Some(u) => {
                    view.error = Some(e.message.clone());
                }
                (None, Err(e)) => view.error = Some(e.message.clone()),
                _ => {}
            }
        }
        let Some(user) = user else {
            return;
        };
        let announce = self.key_notices.contains(&user);
        self.key_notices.retain(|u| u != &user);
        // Asked before a `trust` event settled the key: older than it.
        let fresh = self.key_clock.key_answered(&user);
        let changed = fresh
            && match &result {
                Ok(f) => f.state == TrustState::Changed,
                // Cannot tell: say what the event said.
                Err(_) => true,
            };
        if announce && changed {
            self.chat.set_key_alert(&user, true);
            self.say_about(
                Level::Warn,
                format!(
                    "{user}'s key changed: nothing goes to or comes from {user} until you \
                     compare fingerprints (/fingerprint) and accept it (/trust)"
                ),
                About::KeyChanged(user.clone()),
            );
        }
        match result {
            Ok(f) if !fresh => {
                // The `trust` event set the key shown; this one is older.
                if let Some(c) = self.chat.convo.as_mut().filter(|c| c.peer() == Some(&user))
                    && c.key.is_none()
                    && f.state != TrustState::Changed
                {
                    c.key = Some(f);
                }
            }
            Ok(f) => self.peer_key(&user, f),
            Err(f) if f.code == Some(ErrorCode::NoSuchUser) && self.chat.is_open(&user) => {
                self.no_such_user(&user);
            }
            Err(f) if f.code == Some(ErrorCode::Offline) && self.chat.is_open(&user) => {
                self.unchecked_user(&user);
            }
            Err(_) => {}
        }
    }

    /// chatd is not logged in and does not know `user`, so it cannot ask
    /// the server whether they exist: say that, not that they do not.
    fn unchecked_user(&mut self, user: &str) {
        self.say(
            Level::Warn,
            format!(
                "chatd is not connected, so it cannot check whether {user} exists; a \
                 message to {user} waits in the outbox and is refused if there is no such user"
            ),
        );
    }

    /// chatd says `user` does not exist: a conversation with nobody is not
    /// kept open (one with history stays, to read).
    fn no_such_user(&mut self, user: &str) {
        let empty = self
            .chat
            .convo
            .as_ref()
            .is_some_and(|c| c.peer() == Some(user) && c.messages.is_empty());
        let known = self.chat.conversations.iter().any(|c| c.peer == user);
        // Offline, chatd cannot ask the server: that is no answer.
        let checked = self.server_state() == Some(ConnectionState::LoggedIn);
        if empty && !known && checked {
            self.chat.convo = None;
            if self.chat.selected.as_ref().and_then(Talk::as_peer) == Some(user) {
                self.chat.selected = None;
            }
            self.call(Request::Focus { chat: None });
            self.say(
                Level::Error,
                format!("no user named {user}; check the spelling (/msg NAME)"),
            );
        } else {
            self.say(Level::Error, format!("no user named {user} on the server"));
        }
    }

    /// chatd's answer about a key. It may have been computed before a
    /// change that reached us first (as the conversation list may): it
    /// can raise the key warning, never settle it. Only `trust` events
    /// and our own /trust or /verify do.
    fn peer_key(&mut self, user: &str, key: Fingerprint) {
        if key.state == TrustState::Changed {
            self.chat.set_key_alert(user, true);
        }
        if let Some(c) = self.chat.convo.as_mut().filter(|c| c.peer() == Some(user)) {
            c.key = Some(key);
        }
    }

    fn trusted(&mut self, user: &str, verify: bool, outcome: Outcome) {
        match outcome {
            Ok(result) => {
                let unchanged = matches!(&result, Answer::Trust(t) if t.unchanged);
                let text = if verify && unchanged {
                    format!("{user}'s key was already verified; nothing changed")
                } else if verify {
                    format!("{user}'s key is verified")
                } else if unchanged {
                    format!("{user}'s key has not changed; nothing to accept")
                } else {
                    format!(
                        "{user}'s new key is accepted, as unverified; compare fingerprints and \
                         /verify when you can"
                    )
                };
                // Accepted (here, now): the warning is settled, whatever
                // an older answer still on its way says.
                self.chat.set_key_alert(user, false);
                self.key_notices.retain(|u| u != user);
                self.say(Level::Info, text);
                self.call(Request::Fingerprint {
                    user: Some(user.to_string()),
                });
            }
            Err(f) => self.say(Level::Error, trust_failure(user, &f)),
        }
    }

    fn receipts_set(&mut self, on: bool, outcome: Outcome) {
        match outcome {
            Ok(Answer::Settings(settings)) => {
                let text = if settings.read_receipts {
                    "read receipts are on: people see when you have read their messages"
                } else {
                    "read receipts are off: nobody is told you read their messages, from any \
                     frontend (/receipts on to send them again)"
                };
                self.settings = Some(settings);
                self.say(Level::Info, text);
            }
            Ok(_) => {}
            Err(f) => {
                let which = if on { "on" } else { "off" };
                self.say(
                    Level::Error,
                    format!("cannot turn read receipts {which}: {}", f.message),
                );
            }
        }
    }

    fn typing_set(&mut self, on: bool, outcome: Outcome) {
        match outcome {
            Ok(Answer::Settings(settings)) => {
                let text = if settings.typing_indicators {
                    "typing indicators are on: people see when you are typing to them"
                } else {
                    "typing indicators are off: nobody is told you are typing, from any \
                     frontend (/typing on to send them again); you still see others typing"
                };
                self.settings = Some(settings);
                self.say(Level::Info, text);
            }
            Ok(_) => {}
            Err(f) => {
                let which = if on { "on" } else { "off" };
                self.say(
                    Level::Error,
                    format!("cannot turn typing indicators {which}: {}", f.message),
                );
            }
        }
    }

    /// A group method's answer: the list takes the group at once; a new
    /// group opens; a refusal is said in chatd's words.
    fn group_done(&mut self, request: &Request, outcome: Outcome) {
        let group: Group = match outcome {
            Ok(Answer::Group(group)) => group,
            Ok(_) => return,
            Err(f) => {
                let what = match request {
                    Request::GroupCreate { name, .. } => format!("cannot create #{name}"),
                    Request::GroupInfo { .. } => "cannot read the group".to_string(),
                    Request::GroupAdd { group, .. } => {
                        format!("cannot add to {}", self.chat.title(&Talk::group(group)))
                    }
                    Request::GroupRemove { group, .. } => {
                        format!(
                            "cannot remove from {}",
                            self.chat.title(&Talk::group(group))
                        )
                    }
                    Request::GroupLeave { group } => {
                        format!("cannot leave {}", self.chat.title(&Talk::group(group)))
                    }
                    _ => "cannot change the group".to_string(),
                };
                let why = if f.code == Some(ErrorCode::NotGroupAdmin) {
                    format!("{what}: {} (ask an admin: /info lists them)", f.message)
                } else {
                    format!("{what}: {}", f.message)
                };
                self.say(Level::Error, why);
                return;
            }
        };
        let id = group.id.clone();
        let name = group.name.clone();
        self.chat.upsert_group(group);
        self.refresh_groups();
        let text = match request {
            Request::GroupCreate { .. } => {
                self.open(&Talk::group(&id));
                self.chat.pane = super::chat::Pane::Input;
                format!("#{name} is created; /add USER adds people, /info shows it")
            }
            Request::GroupAdd { users, .. } => format!("added {} to #{name}", users.join(", ")),
            Request::GroupRemove { users, .. } => {
                format!("removed {} from #{name}", users.join(", "))
            }
            Request::GroupLeave { .. } => {
                format!("you left #{name}; its history stays here, read-only")
            }
            Request::GroupAdmin { user, admin, .. } if *admin => {
                format!("{user} is an admin of #{name}")
            }
            Request::GroupAdmin { user, .. } => format!("{user} is no longer an admin of #{name}"),
            _ => return,
        };
        self.say(Level::Info, text);
    }

    fn searched(&mut self, query: &str, outcome: Outcome) {
        let Some(Overlay::Search(view)) = &mut self.chat.overlay else {
            return;
        };
        if view.query != query {
            return;
        }
        match outcome {
            Ok(Answer::Messages(found)) => view.results = Some(found),
            Ok(_) => view.results = Some(Vec::<Message>::new()),
            Err(f) => {
                view.results = Some(Vec::new());
                self.say(Level::Error, format!("search failed: {}", f.message));
            }
        }
    }
}

fn trust_failure(user: &str, f: &Failure) -> String {
    match f.code {
        Some(ErrorCode::FingerprintMismatch) => format!(
            "that is not {user}'s fingerprint, so nothing changed; compare again (/fingerprint)"
        ),
        _ => format!("cannot change trust in {user}'s key: {}", f.message),
    }
}
