//! What each key does on each screen, pane and overlay. Unknown keys are
//! ignored; no key can panic.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::chat::{KeysView, Overlay, Pane, SearchView};
use super::commands::{self, Command};
use super::login::FormAction;
use super::notice::Level;
use super::{App, Daemon, Effect, Request, Screen};

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
            KeyCode::F(1) => self.chat.overlay = Some(Overlay::Help),
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
        self.chat.selected = self.chat.open_peer().map(str::to_string);
        self.chat.move_selection(self.me.as_deref(), delta);
        if let Some(peer) = self.chat.selected.clone() {
            self.open(&peer);
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
                if let Some(peer) = self.chat.selected.clone() {
                    self.open(&peer);
                    self.chat.pane = Pane::Input;
                }
            }
            KeyCode::Char('?') => self.chat.overlay = Some(Overlay::Help),
            _ => self.type_into_input(key),
        }
    }

    fn messages_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.scroll_by(1),
            KeyCode::Down | KeyCode::Char('j') => self.scroll_by(-1),
            KeyCode::Home | KeyCode::Char('g') => self.scroll_by(isize::MAX / 2),
            KeyCode::End | KeyCode::Char('G') => self.scroll_by(-(isize::MAX / 2)),
            KeyCode::Char('?') => self.chat.overlay = Some(Overlay::Help),
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
        match key.code {
            KeyCode::Enter if alt || shift => self.input.insert_char('\n'),
            KeyCode::Char('j') if ctrl => self.input.insert_char('\n'),
            KeyCode::Enter => self.submit(),
            KeyCode::Char('?') if self.input.is_empty() && !ctrl && !alt => {
                self.chat.overlay = Some(Overlay::Help);
            }
            KeyCode::Up if !self.input.move_line(true) => self.scroll_by(1),
            KeyCode::Down if !self.input.move_line(false) => self.scroll_by(-1),
            KeyCode::Up | KeyCode::Down => {}
            _ => {
                self.input.key(key);
            }
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
                    self.input.take();
                    self.command(command);
                }
                Err(problem) => self.say(Level::Error, problem),
            }
            return;
        }
        let text = text.strip_prefix('/').unwrap_or(&text).to_string();
        let Some(peer) = self.chat.open_peer().map(str::to_string) else {
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
        if let Some(c) = self.chat.convo.as_mut() {
            c.scroll = 0;
        }
        self.call(Request::Send { to: peer, text });
    }

    fn command(&mut self, command: Command) {
        let peer = self.chat.open_peer().map(str::to_string);
        match command {
            Command::Msg(name) => {
                self.open(&name);
                self.chat.pane = Pane::Input;
            }
            Command::Fingerprint(user) => {
                let user = user.or(peer).filter(|u| Some(u) != self.me.as_ref());
                self.chat.overlay = Some(Overlay::Keys(KeysView {
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
                self.chat.overlay = Some(Overlay::Search(SearchView {
                    query: query.clone(),
                    results: None,
                    selected: 0,
                }));
                self.call(Request::Search { query });
            }
            Command::Help => self.chat.overlay = Some(Overlay::Help),
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
                            let peer = if m.direction == chatd_api::Direction::In {
                                m.from
                            } else {
                                m.to
                            };
                            self.open(&peer);
                            self.chat.pane = Pane::Input;
                        }
                    }
                    _ if close => self.chat.overlay = None,
                    _ => {}
                }
            }
            _ if close || key.code == KeyCode::Enter => self.chat.overlay = None,
            _ => {}
        }
    }
}
