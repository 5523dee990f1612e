//! What each key does on each screen, pane and overlay. Unknown keys are
//! ignored; no key can panic.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::chat::{KeysView, Overlay, Pane, SearchView};
use super::commands::{self, Command};
use super::login::FormAction;
use super::notice::{About, Level};
use super::{App, Daemon, Effect, Request, Screen};
use chatd_api::{Chat as Talk, ConnectionState};

impl App {
    pub(super) fn key(&mut self, key: KeyEvent) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c' | 'q')) {
            self.out.push(Effect::Quit);
            return;
        }
        if self.switched.is_some() {
            // Held: only Esc goes on; the rest was typed for the old screen.
            if key.code == KeyCode::Esc {
                self.switched = None;
            }
            return;
        }
        match self.screen {
            Screen::Connecting => {
                if matches!(key.code, KeyCode::Char('q') | KeyCode::Esc) {
                    self.out.push(Effect::Quit);
                }
            }
            Screen::Login => {
                if let FormAction::Submit(request) = self.login.key(key) {
                    self.call(request);
                }
            }
            Screen::Chat => self.chat_key(key),
        }
    }

    fn chat_key(&mut self, key: KeyEvent) {
        if self.chat.overlay.is_some() {
            self.overlay_key(key);
            return;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            KeyCode::F(1) => self.chat.show(Overlay::Help),
            KeyCode::Tab if self.chat.pane == Pane::Input && self.complete() => {}
            KeyCode::Tab => self.chat.pane = self.chat.pane.cycle(true),
            KeyCode::BackTab => self.chat.pane = self.chat.pane.cycle(false),
            KeyCode::PageUp => self.scroll_by(self.page() as isize),
            KeyCode::PageDown => self.scroll_by(-(self.page() as isize)),
            KeyCode::Char('n') if ctrl => self.step_conversation(1),
            KeyCode::Char('p') if ctrl => self.step_conversation(-1),
            KeyCode::Down if alt => self.step_conversation(1),
            KeyCode::Up if alt => self.step_conversation(-1),
            KeyCode::Esc => {
                if self.notice.take().is_none() {
                    self.chat.pane = Pane::Input;
                }
            }
            _ => match self.chat.pane {
                Pane::Sidebar => self.sidebar_key(key),
                Pane::Messages => self.messages_key(key),
                Pane::Input => self.input_key(key),
            },
        }
    }

    /// Opens the next (or previous) conversation in the left pane.
    fn step_conversation(&mut self, delta: isize) {
        self.chat.selected = self.chat.open_chat().cloned();
        self.chat.move_selection(self.me.as_deref(), delta);
        if let Some(chat) = self.chat.selected.clone() {
            self.open(&chat);
        }
    }

    fn sidebar_key(&mut self, key: KeyEvent) {
        let me = self.me.clone();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.chat.move_selection(me.as_deref(), -1),
            KeyCode::Down | KeyCode::Char('j') => self.chat.move_selection(me.as_deref(), 1),
            KeyCode::Home => {
                self.chat.selected = None;
                self.chat.move_selection(me.as_deref(), 1);
            }
            KeyCode::End => {
                self.chat.selected = None;
                self.chat.move_selection(me.as_deref(), -1);
            }
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => {
                if self.chat.selected.is_none() {
                    self.chat.move_selection(me.as_deref(), 1);
                }
                if let Some(chat) = self.chat.selected.clone() {
                    self.open(&chat);
                    self.chat.pane = Pane::Input;
                }
            }
            KeyCode::Char('?') => self.chat.show(Overlay::Help),
            _ => self.type_into_input(key),
        }
    }

    fn messages_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(-1),
            KeyCode::Home | KeyCode::Char('g') => self.scroll_by(isize::MAX / 2),
            KeyCode::End | KeyCode::Char('G') => self.scroll_by(-(isize::MAX / 2)),
            KeyCode::Char('?') => self.chat.show(Overlay::Help),
            _ => self.type_into_input(key),
        }
    }

    /// A printable key in another pane goes to the input line, so typing
    /// never gets lost.
    fn type_into_input(&mut self, key: KeyEvent) {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        if plain && let KeyCode::Char(_) = key.code {
            self.chat.pane = Pane::Input;
            self.input_key(key);
        }
    }

    fn input_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let shift = key.modifiers.contains(KeyModifiers::SHIFT);
        // A refused draft is back: `/` starts a command beside it rather
        // than at its end (where it would go out as part of the message).
        if std::mem::take(&mut self.returned) && key.code == KeyCode::Char('/') && !ctrl && !alt {
            self.aside = Some(self.input.take());
        }
        match key.code {
            KeyCode::Enter if alt || shift => self.input.insert_char('\n'),
            KeyCode::Char('j') if ctrl => self.input.insert_char('\n'),
            // `?` alone is a question for the help, not for the peer.
            KeyCode::Enter if self.input.text().trim() == "?" => {
                self.input.take();
                self.chat.show(Overlay::Help);
            }
            KeyCode::Enter => self.submit(),
            KeyCode::Up if !self.input.move_line(true) => {
                if !self.recall(true) {
                    self.scroll_by(1);
                }
            }
            KeyCode::Down if !self.input.move_line(false) => {
                if !self.recall(false) {
                    self.scroll_by(-1);
                }
            }
            KeyCode::Up | KeyCode::Down => {}
            // A terminal reads Esc and the key after it as Alt+key: that
            // key is typed, not lost.
            KeyCode::Char(c) if alt && !ctrl && !matches!(c, 'b' | 'f') => {
                self.notice = None;
                self.input.insert_char(c);
                self.typed();
            }
            KeyCode::Char(_) if !ctrl && !alt => {
                self.input.key(key);
                self.typed();
            }
            _ => {
                self.input.key(key);
            }
        }
    }

    /// A character was typed into the input: tell the open conversation
    /// (`typing`), at most once a second, and never for a command.
    fn typed(&mut self) {
        let Some(chat) = self.chat.open_chat().cloned() else {
            return;
        };
        let text = self.input.text();
        let command = text.starts_with('/') && !text.starts_with("//");
        let off = self.settings.as_ref().is_some_and(|s| !s.typing_indicators);
        let notes = chat.as_peer().is_some() && chat.as_peer() == self.me.as_deref();
        let left = chat
            .as_group()
            .and_then(|id| self.chat.group(id))
            .is_some_and(|g| !g.is_member);
        if command
            || off
            || notes
            || left
            || self.daemon != Daemon::Up
            || self.server_state() != Some(ConnectionState::LoggedIn)
        {
            return;
        }
        let recent = self
            .typing_sent
            .as_ref()
            .is_some_and(|(c, at)| c == &chat && self.now_ms - at < TYPING_EVERY_MS);
        if !recent {
            self.typing_sent = Some((chat.clone(), self.now_ms));
            self.call(Request::Typing { chat });
        }
    }

    /// Enter in the input line: a command, or a message for the open
    /// conversation. The text leaves the input only when it is on its way.
    fn submit(&mut self) {
        let text = self.input.text().to_string();
        if text.trim().is_empty() {
            return;
        }
        if text.starts_with('/') && !text.starts_with("//") {
            match commands::parse(&text) {
                Ok(command) => {
                    self.remember(&text);
                    self.input.take();
                    self.settled(&About::Typing);
                    self.command(command);
                }
                Err(problem) => self.say_about(Level::Error, problem, About::Typing),
            }
            return;
        }
        self.remember(&text);
        let text = text.strip_prefix('/').unwrap_or(&text).to_string();
        let Some(chat) = self.chat.open_chat().cloned() else {
            self.say(
                Level::Error,
                "no conversation is open: pick one on the left (Tab) or type /msg NAME",
            );
            return;
        };
        if self.daemon != Daemon::Up {
            self.say(
                Level::Error,
                "chatd is not running: nothing was sent, and your text stays here until it is back",
            );
            return;
        }
        self.input.take();
        self.settled(&About::Typing);
        if let Some(c) = self.chat.convo.as_mut() {
            c.scroll = 0;
        }
        // Sent: the next keystroke is typing again.
        self.typing_sent = None;
        self.call(Request::Send { chat, text });
    }

    fn command(&mut self, command: Command) {
        let peer = self.chat.open_peer().map(str::to_string);
        let group = self
            .chat
            .open_chat()
            .and_then(Talk::as_group)
            .map(str::to_string);
        let no_group = "open a group first (/msg #GROUP, or pick one on the left)";
        match command {
            Command::Msg(name) => {
                self.open(&Talk::peer(name));
                self.chat.pane = Pane::Input;
            }
            Command::OpenGroup(name) => self.open_group_named(&name),
            Command::GroupCreate { name, members } => {
                self.call(Request::GroupCreate { name, members });
            }
            Command::Add(users) => match group {
                Some(group) => self.call(Request::GroupAdd { group, users }),
                None => self.say(Level::Error, no_group),
            },
            Command::Remove(users) => match group {
                Some(group) => self.call(Request::GroupRemove { group, users }),
                None => self.say(Level::Error, no_group),
            },
            Command::Leave => match group {
                Some(group) => self.call(Request::GroupLeave { group }),
                None => self.say(Level::Error, no_group),
            },
            Command::Admin { user, admin } => match group {
                Some(group) => self.call(Request::GroupAdmin { group, user, admin }),
                None => self.say(Level::Error, no_group),
            },
            Command::Info => match group {
                Some(group) => {
                    self.chat.show(Overlay::Group(group.clone()));
                    self.call(Request::GroupInfo { group });
                }
                None => self.say(Level::Error, no_group),
            },
            Command::Typing(on) => self.call(Request::SetTyping { on }),
            Command::Fingerprint(user) => {
                let user = user.or(peer).filter(|u| Some(u) != self.me.as_ref());
                self.chat.show(Overlay::Keys(KeysView {
                    user: user.clone(),
                    ..KeysView::default()
                }));
                self.call(Request::Fingerprint { user: None });
                if let Some(user) = user {
                    self.call(Request::Fingerprint { user: Some(user) });
                }
            }
            Command::Verify(fingerprint) => match peer {
                Some(user) => self.call(Request::Verify { user, fingerprint }),
                None => self.say(Level::Error, "open the conversation with that user first"),
            },
            Command::Trust => match peer {
                Some(user) => self.call(Request::Trust { user }),
                None => self.say(Level::Error, "open the conversation with that user first"),
            },
            Command::Search(query) => {
                self.chat.show(Overlay::Search(SearchView {
                    query: query.clone(),
                    results: None,
                    selected: 0,
                }));
                self.call(Request::Search { query });
            }
            Command::Me(action) => match self.chat.open_chat().cloned() {
                Some(chat) if self.daemon == Daemon::Up => {
                    self.call(Request::Send {
                        chat,
                        text: format!("/me {action}"),
                    });
                }
                Some(_) => self.say(Level::Error, "chatd is not running: nothing was sent"),
                None => self.say(Level::Error, "open a conversation first (/msg NAME)"),
            },
            Command::Close => {
                self.chat.convo = None;
                self.chat.selected = None;
                self.read_asked = None;
                self.call(Request::Focus { chat: None });
                self.refresh_conversations();
                self.refresh_groups();
            }
            Command::Receipts(on) => self.call(Request::SetReceipts { on }),
            Command::SendFile { path, caption } => self.send_file(path, caption),
            Command::Download(n) => self.download(n),
            Command::Cancel => self.cancel_transfer(),
            Command::Help => self.chat.show(Overlay::Help),
            Command::Quit => self.out.push(Effect::Quit),
        }
    }

    fn overlay_key(&mut self, key: KeyEvent) {
        let close = matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::F(1) | KeyCode::Char('?')
        );
        match &mut self.chat.overlay {
            Some(Overlay::Search(view)) => {
                let count = view.results.as_ref().map_or(0, Vec::len);
                match key.code {
                    KeyCode::Up | KeyCode::Char('k') => {
                        view.selected = view.selected.saturating_sub(1);
                    }
                    KeyCode::Down | KeyCode::Char('j') => {
                        view.selected = (view.selected + 1).min(count.saturating_sub(1));
                    }
                    KeyCode::Enter => {
                        let hit = view
                            .results
                            .as_ref()
                            .and_then(|r| r.get(view.selected))
                            .cloned();
                        self.chat.overlay = None;
                        if let Some(m) = hit {
                            self.open(&super::events::chat_of(&m));
                            self.chat.pane = Pane::Input;
                        }
                    }
                    _ if close => self.chat.overlay = None,
                    _ => {}
                }
            }
            Some(o) => {
                let o = o.clone();
                self.scroll_overlay(&o, key.code);
                if close || key.code == KeyCode::Enter {
                    self.chat.overlay = None;
                }
            }
            None => {}
        }
    }
}

impl App {
    /// `/msg #NAME`: the group we are a member of with that name (the
    /// only one, else the person picks it on the left).
    fn open_group_named(&mut self, name: &str) {
        let found: Vec<String> = self
            .chat
            .groups
            .iter()
            .filter(|g| g.name == name && g.is_member)
            .map(|g| g.id.clone())
            .collect();
        match found.as_slice() {
            [id] => {
                self.open(&Talk::group(id));
                self.chat.pane = Pane::Input;
            }
            [] => self.say(
                Level::Error,
                format!(
                    "you are in no group called #{name}; /group create {name} USER... makes one"
                ),
            ),
            _ => self.say(
                Level::Error,
                format!(
                    "{} of your groups are called #{name}: pick one on the left (Tab)",
                    found.len()
                ),
            ),
        }
    }

    /// Up, Down, PgUp and PgDn scroll the help or the fingerprints, within
    /// what there is to see at this size.
    fn scroll_overlay(&mut self, overlay: &Overlay, code: KeyCode) {
        let max = crate::ui::overlay::max_scroll(self, overlay);
        let page = usize::from(self.size.1 / 2).max(1);
        let at = self.chat.overlay_scroll.min(max);
        self.chat.overlay_scroll = match code {
            KeyCode::Up | KeyCode::Char('k') => at.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => (at + 1).min(max),
            KeyCode::PageUp | KeyCode::Home => at.saturating_sub(page),
            KeyCode::PageDown | KeyCode::End => (at + page).min(max),
            _ => at,
        };
    }

    /// Keeps a sent line or command for Up and Down (the newest last).
    fn remember(&mut self, line: &str) {
        self.recall_at = None;
        if self.sent.last().map(String::as_str) != Some(line) {
            self.sent.push(line.to_string());
        }
        if self.sent.len() > HISTORY {
            self.sent.remove(0);
        }
    }

    /// Up (`older`) or Down through what was sent; false when there is
    /// nothing to go to (the key then scrolls the conversation).
    fn recall(&mut self, older: bool) -> bool {
        let next = match (self.recall_at, older) {
            (None, true) if !self.sent.is_empty() => {
                self.recall_draft = self.input.text().to_string();
                Some(self.sent.len() - 1)
            }
            (None, _) => return false,
            (Some(i), true) => Some(i.saturating_sub(1)),
            (Some(i), false) if i + 1 < self.sent.len() => Some(i + 1),
            (Some(_), false) => None,
        };
        self.recall_at = next;
        match next {
            Some(i) => {
                let line = self.sent.get(i).cloned().unwrap_or_default();
                self.input.set(&line);
            }
            None => {
                let draft = std::mem::take(&mut self.recall_draft);
                self.input.set(&draft);
            }
        }
        true
    }

    /// Tab after part of a word: completes a command name (at the start)
    /// or a user name. False when there is no word to complete, so Tab
    /// moves to the next pane.
    fn complete(&mut self) -> bool {
        let text = self.input.text().to_string();
        if !self.input.at_end() || text.is_empty() || text.ends_with(char::is_whitespace) {
            return false;
        }
        let start = text.rfind(char::is_whitespace).map_or(0, |i| {
            i + text[i..].chars().next().map_or(1, char::len_utf8)
        });
        let word = &text[start..];
        let mut candidates: Vec<String> = if start == 0 && word.starts_with('/') {
            commands::NAMES.iter().map(|s| s.to_string()).collect()
        } else {
            let members = self
                .chat
                .open_group()
                .map(|g| g.members.iter().map(|m| m.user.clone()).collect::<Vec<_>>())
                .unwrap_or_default();
            let mut names: Vec<String> = self
                .chat
                .entries(self.me.as_deref())
                .into_iter()
                .filter_map(|e| e.chat.as_peer().map(str::to_string))
                .chain(members)
                .chain(self.me.clone())
                .collect();
            names.sort();
            names.dedup();
            names
        };
        candidates.retain(|c| c.starts_with(word));
        let Some(first) = candidates.first().cloned() else {
            return true;
        };
        let common = candidates.iter().fold(first, |acc, c| {
            acc.chars()
                .zip(c.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        });
        let done = if candidates.len() == 1 {
            format!("{common} ")
        } else {
            common
        };
        self.input.set(&format!("{}{done}", &text[..start]));
        if candidates.len() > 1 {
            self.say_about(Level::Info, candidates.join("  "), About::Typing);
        }
        true
    }
}

/// Lines kept for Up and Down.
const HISTORY: usize = 100;
/// At most one `typing` call a second from keystrokes.
const TYPING_EVERY_MS: i64 = 1_000;
