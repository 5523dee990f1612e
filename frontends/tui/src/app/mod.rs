//! The app as a pure state machine: [`App::update`] takes one [`Msg`] (a
//! key, a chatd event, an answer, a tick) and returns the [`Effect`]s to
//! carry out. It does no I/O and reads no clock, so every screen and
//! scenario can be driven and checked in tests without a terminal or a
//! daemon; the renderer only reads it.

mod answers;
pub mod chat;
pub mod commands;
mod events;
mod files;
pub mod input;
mod keyclock;
mod keys;
pub mod login;
pub mod msg;
pub mod notice;
pub mod password;
pub mod request;

use chatd_api::{
    Chat as Talk, ConnectionState, Direction, MessageStatus, Settings, Status, TrustState,
};

use crate::time::Zone;
use chat::{Chat, Convo, Pane};
use input::TextInput;
use login::LoginForm;
use notice::{About, Level, Notice};

pub use msg::{Effect, Msg};
pub use request::{Answer, Failure, Outcome, Request, Secret};

/// How often chatd's status is read again while it resumes a session by
/// itself (connected, not yet logged in): a resume the server refuses
/// shows the login form within this long.
pub const RESUME_CHECK_MS: i64 = 1_000;
/// How often the list of online users is refreshed (presence events only
/// cover conversation peers).
pub const USERS_REFRESH_MS: i64 = 30_000;

/// What the app starts with.
#[derive(Debug, Clone)]
pub struct Options {
    /// Open this conversation once logged in (`chat-tui PEER`).
    pub peer: Option<String>,
    /// The zone for timestamps.
    pub zone: Zone,
    /// Now, Unix ms.
    pub now_ms: i64,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// Ring the terminal bell when a message arrives that is not on
    /// screen (another conversation, or the terminal has no focus).
    pub bell: bool,
}

/// Which screen is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// chatd has not been reached yet.
    Connecting,
    /// Log in or sign up.
    Login,
    /// Conversations.
    Chat,
}

/// Why the screen changed under the person's hands: chatd was logged in or
/// out by another program (`chat login`, `chat logout`, another chat-tui)
/// or its session ended. Until the person dismisses it with Esc every key
/// is dropped, so keys typed for the old screen (the rest of a password,
/// the end of a message and its Enter) can never act on the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Switched {
    /// The login form gave way to the chat: logged in elsewhere.
    LoggedIn,
    /// The chat gave way to the login form: chatd is not logged in.
    LoggedOut,
}

/// The link between this app and chatd (not chatd's link to the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Daemon {
    /// Not tried yet.
    Unknown,
    /// Attached and subscribed.
    Up,
    /// Not reachable; the I/O task keeps trying.
    Down {
        /// Why, with how to start chatd.
        reason: String,
    },
}

/// A request type that is asked for at most once at a time, and once more
/// if it was wanted again meanwhile.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Debounce {
    busy: bool,
    again: bool,
}

impl Debounce {
    /// True when the request should go out now.
    fn want(&mut self) -> bool {
        if self.busy {
            self.again = true;
            false
        } else {
            self.busy = true;
            true
        }
    }

    /// The answer came; true when it should be asked again.
    fn done(&mut self) -> bool {
        self.busy = false;
        std::mem::take(&mut self.again)
    }
}

/// The whole state of the frontend.
#[derive(Debug, Clone)]
pub struct App {
    pub(crate) zone: Zone,
    pub(crate) now_ms: i64,
    pub(crate) size: (u16, u16),
    pub(crate) screen: Screen,
    pub(crate) daemon: Daemon,
    pub(crate) status: Option<Status>,
    pub(crate) me: Option<String>,
    pub(crate) login: LoginForm,
    pub(crate) chat: Chat,
    pub(crate) input: TextInput,
    /// A draft chatd refused to send is back in the input, untouched: a
    /// `/` typed now starts a command and puts the draft aside.
    pub(crate) returned: bool,
    /// The draft put aside while a command is typed; back in the input as
    /// soon as the input is empty again.
    pub(crate) aside: Option<String>,
    /// Lines sent and commands run, oldest first, for Up and Down.
    sent: Vec<String>,
    /// Which of them the input shows (None: the draft).
    recall_at: Option<usize>,
    /// The draft while older lines are shown.
    recall_draft: String,
    pub(crate) notice: Option<Notice>,
    /// Keys are held after a screen switch nobody here asked for.
    pub(crate) switched: Option<Switched>,
    initial_peer: Option<String>,
    terminal_focused: bool,
    /// chatd's settings, once read.
    pub(crate) settings: Option<Settings>,
    bell: bool,
    /// When chatd's status is read again while it resumes.
    next_resume_check: i64,
    /// The message the last `mark_read` of the open conversation went up
    /// to, so that one is not asked for twice.
    read_asked: Option<String>,
    conversations: Debounce,
    groups: Debounce,
    users: Debounce,
    mark_read: Debounce,
    next_users_refresh: i64,
    /// The conversation and time of the last `typing` call: at most one a
    /// second (chatd sends at most one every 3 s anyway).
    typing_sent: Option<(Talk, i64)>,
    /// Everything was asked for again while handling this message.
    reloaded: bool,
    /// Users whose `key_changed` event awaits chatd's word on their key.
    key_notices: Vec<String>,
    /// Which answers are older than the last settling `trust` event.
    key_clock: keyclock::KeyClock,
    out: Vec<Effect>,
}

impl App {
    /// A new app, waiting for chatd.
    pub fn new(options: Options) -> Self {
        Self {
            zone: options.zone,
            now_ms: options.now_ms,
            size: options.size,
            screen: Screen::Connecting,
            daemon: Daemon::Unknown,
            status: None,
            me: None,
            login: LoginForm::default(),
            chat: Chat::default(),
            input: TextInput::multiline(),
            returned: false,
            aside: None,
            sent: Vec::new(),
            recall_at: None,
            recall_draft: String::new(),
            notice: None,
            switched: None,
            initial_peer: options.peer,
            terminal_focused: true,
            settings: None,
            bell: options.bell,
            next_resume_check: 0,
            read_asked: None,
            conversations: Debounce::default(),
            groups: Debounce::default(),
            users: Debounce::default(),
            mark_read: Debounce::default(),
            next_users_refresh: 0,
            typing_sent: None,
            reloaded: false,
            key_notices: Vec::new(),
            key_clock: keyclock::KeyClock::default(),
            out: Vec::new(),
        }
    }

    /// Handles one message and returns what to do about it.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        self.reloaded = false;
        match msg {
            Msg::Key(key) => self.key(key),
            Msg::Paste(text) => self.paste(&text),
            Msg::Resize { width, height } => self.resize(width, height),
            Msg::Focus(focused) => self.terminal_focus(focused),
            Msg::Tick { now_ms } => self.tick(now_ms),
            Msg::Attached { status } => self.attached(status),
            Msg::Detached { reason } => {
                self.daemon = Daemon::Down { reason };
                self.chat.forget_presence();
            }
            Msg::Event(event) => self.event(event.body),
            Msg::Answer { request, outcome } => self.answer(request, outcome),
        }
        if self.input.is_empty()
            && let Some(draft) = self.aside.take()
        {
            self.input.set(&draft);
        }
        // One rule for read receipts, whatever happened: what is on
        // screen now, and only that, is read.
        self.flush_read();
        std::mem::take(&mut self.out)
    }

    /// The terminal size the app lays itself out for (columns, rows).
    pub fn size(&self) -> (u16, u16) {
        self.size
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The link to chatd.
    pub fn daemon(&self) -> &Daemon {
        &self.daemon
    }

    /// The draft put aside while a command is typed.
    pub fn draft_aside(&self) -> Option<&str> {
        self.aside.as_deref()
    }

    /// The text in the chat input line.
    pub fn input_text(&self) -> &str {
        self.input.text()
    }

    /// The login form.
    pub fn login_form(&self) -> &LoginForm {
        &self.login
    }

    /// The chat screen's state.
    pub fn chat(&self) -> &Chat {
        &self.chat
    }

    /// The account, once known.
    pub fn me(&self) -> Option<&str> {
        self.me.as_deref()
    }

    /// The screen switched under the person's hands, and keys are held
    /// until they dismiss this.
    pub fn switched(&self) -> Option<&Switched> {
        self.switched.as_ref()
    }

    /// The notice in the status bar.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// chatd's last status (with the state kept current by events).
    pub fn status(&self) -> Option<&Status> {
        self.status.as_ref()
    }

    /// chatd's settings, once read (they change by events).
    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    /// chatd logs in by itself (it holds a session) and has not yet.
    pub fn resuming(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.resume && s.state != ConnectionState::LoggedIn)
    }

    /// chatd's link to the server, as last reported.
    pub fn server_state(&self) -> Option<ConnectionState> {
        self.status.as_ref().map(|s| s.state)
    }

    /// The banner above the messages: the peer's key needs attention.
    pub fn key_banner(&self) -> Option<(Level, String)> {
        let convo = self.chat.convo.as_ref()?;
        let peer = convo.peer()?;
        let state = self.key_state(peer)?;
        // Notes to oneself: one's own key needs no comparing.
        if self.me.as_deref() == Some(peer) && state != TrustState::Changed {
            return None;
        }
        match state {
            TrustState::Changed => Some((
                Level::Error,
                format!(
                    "⚠ {peer}'s key has CHANGED. Nothing is sent to or accepted from {peer} \
                     until you compare the new fingerprint (/fingerprint) and accept it (/trust)."
                ),
            )),
            TrustState::Unverified => Some((
                Level::Warn,
                format!(
                    "{peer}'s key is unverified: compare fingerprints with {peer} \
                     (/fingerprint), then /verify."
                ),
            )),
            TrustState::Verified => None,
        }
    }

    /// Where the open conversation's peer's key stands: changed while a
    /// change waits for /trust (only chatd's `trust` events and our own
    /// /trust or /verify settle that), else what chatd last said.
    pub fn key_state(&self, peer: &str) -> Option<TrustState> {
        if self.chat.key_alerts.iter().any(|u| u == peer) {
            return Some(TrustState::Changed);
        }
        let convo = self
            .chat
            .convo
            .as_ref()
            .filter(|c| c.peer() == Some(peer))?;
        convo.key.as_ref().map(|k| k.state)
    }

    /// The line above an open group's messages: its members, admins
    /// starred, with presence and key marks, and whether we are still in
    /// it.
    pub fn members_line(&self) -> Option<String> {
        let id = self.chat.convo.as_ref()?.group()?;
        let Some(group) = self.chat.group(id) else {
            return Some("members: asking chatd…".into());
        };
        let me = self.me.as_deref();
        let members: Vec<String> = group
            .members
            .iter()
            .map(|m| {
                let dot = if Some(m.user.as_str()) == me || m.online {
                    "●"
                } else {
                    "○"
                };
                let admin = if m.admin { "★" } else { "" };
                let you = if Some(m.user.as_str()) == me {
                    " (you)"
                } else {
                    ""
                };
                let changed = m.trust == Some(TrustState::Changed)
                    || self.chat.key_alerts.iter().any(|u| u == &m.user);
                let key = if changed { " !key" } else { "" };
                format!("{dot}{admin}{}{you}{key}", m.user)
            })
            .collect();
        if !group.is_member {
            return Some(format!(
                "You are no longer a member of #{}: its history stays, read-only.",
                group.name
            ));
        }
        Some(format!(
            "{} members (★ admin): {}",
            group.members.len(),
            members.join("  ")
        ))
    }

    /// "bob is typing..." for the open conversation, while anyone is.
    pub fn typing_line(&self) -> Option<String> {
        let chat = self.chat.open_chat()?;
        let who = self.chat.typists(chat);
        match who.as_slice() {
            [] => None,
            [one] => Some(format!("{one} is typing...")),
            many => Some(format!("{} are typing...", many.join(", "))),
        }
    }

    /// The banner across the chat screen while chatd is away.
    pub fn down_banner(&self) -> Option<String> {
        match &self.daemon {
            Daemon::Down { reason } => Some(format!(
                "{reason}. Retrying every second; what you type is kept."
            )),
            _ => None,
        }
    }

    fn call(&mut self, request: Request) {
        match &request {
            Request::Fingerprint { user: Some(u) } => self.key_clock.ask_key(u),
            Request::Conversations => self.key_clock.ask_list(keyclock::List::Conversations),
            Request::Groups => self.key_clock.ask_list(keyclock::List::Groups),
            _ => {}
        }
        self.out.push(Effect::Call(request));
    }

    fn say(&mut self, level: Level, text: impl Into<String>) {
        self.say_about(level, text, About::Event);
    }

    fn say_about(&mut self, level: Level, text: impl Into<String>, about: About) {
        self.notice = Some(Notice {
            level,
            text: text.into(),
            at_ms: self.now_ms,
            about,
        });
    }

    /// Drops the notice when it is about `about` (which no longer holds).
    fn settled(&mut self, about: &About) {
        if self.notice.as_ref().is_some_and(|n| &n.about == about) {
            self.notice = None;
        }
    }

    fn paste(&mut self, text: &str) {
        if self.switched.is_some() {
            return;
        }
        self.returned = false;
        match self.screen {
            Screen::Login => self.login.paste(text),
            Screen::Chat if self.chat.overlay.is_none() => {
                self.chat.pane = Pane::Input;
                self.input.insert_str(text);
            }
            _ => {}
        }
    }

    fn resize(&mut self, width: u16, height: u16) {
        self.size = (width, height);
        if let Some(max) = self.max_scroll()
            && let Some(c) = self.chat.convo.as_mut()
        {
            c.scroll = c.scroll.min(max);
        }
    }

    fn terminal_focus(&mut self, focused: bool) {
        self.terminal_focused = focused;
        if !focused && let Some(c) = self.chat.convo.as_mut() {
            // Everything was seen: the next message that comes unseen
            // gets the "unread" line.
            let all_read = c
                .messages
                .iter()
                .all(|m| m.direction == Direction::Out || m.status == MessageStatus::Read);
            if all_read {
                c.unread_from = None;
            }
        }
        if self.screen != Screen::Chat {
            return;
        }
        let chat = if focused {
            self.chat.open_chat().cloned()
        } else {
            None
        };
        self.call(Request::Focus { chat });
    }

    fn tick(&mut self, now_ms: i64) {
        self.now_ms = now_ms;
        if self.notice.as_ref().is_some_and(|n| n.expired(now_ms)) {
            self.notice = None;
        }
        self.chat.typing.retain(|t| t.until_ms > now_ms);
        if self.screen != Screen::Chat || self.daemon != Daemon::Up {
            return;
        }
        match self.server_state() {
            Some(ConnectionState::Connected)
                if self.resuming() && now_ms >= self.next_resume_check =>
            {
                self.next_resume_check = now_ms + RESUME_CHECK_MS;
                self.call(Request::Status);
            }
            Some(ConnectionState::LoggedIn) if now_ms >= self.next_users_refresh => {
                self.refresh_users();
            }
            _ => {}
        }
    }

    fn show_login(&mut self) {
        self.switch_to(Screen::Login);
        if self.login.username.is_empty()
            && let Some(me) = self.me.clone()
        {
            self.login = LoginForm::for_account(Some(&me));
        }
    }

    fn attached(&mut self, status: Status) {
        self.daemon = Daemon::Up;
        // What was said while chatd was away no longer holds, and answers
        // from the old connection no longer gate new requests.
        self.notice = None;
        self.conversations = Debounce::default();
        self.groups = Debounce::default();
        self.users = Debounce::default();
        self.mark_read = Debounce::default();
        self.read_asked = None;
        self.apply_status(status);
        self.reload();
    }

    fn apply_status(&mut self, status: Status) {
        if let Some(user) = &status.username {
            self.me = Some(user.clone());
        }
        let state = status.state;
        let old = self.server_state();
        self.status = Some(status);
        self.server_state_changed(old, state);
    }

    /// chatd reached the server but is not logged in and will not log in
    /// by itself: the login form, at once.
    fn not_resuming(&mut self) {
        if self.screen == Screen::Chat {
            self.show_login();
            self.say_about(
                Level::Warn,
                "chatd is connected to the server but not logged in; log in again",
                About::LoggedOut,
            );
        }
    }

    /// chatd's server link moved from `old` to `new`.
    fn server_state_changed(&mut self, old: Option<ConnectionState>, new: ConnectionState) {
        if let Some(s) = self.status.as_mut() {
            s.state = new;
        }
        if new == ConnectionState::LoggedIn {
            self.settled(&About::LoggedOut);
        } else {
            // Presence comes from the server: without it nobody is known
            // to be online (re-read once logged in again).
            self.chat.forget_presence();
        }
        let resume = self.status.as_ref().is_some_and(|s| s.resume);
        match self.screen {
            Screen::Connecting => {
                // Connected and not logged in, with no session to resume:
                // nothing will log chatd in but the person.
                let waits = new == ConnectionState::Connected && !resume;
                if new == ConnectionState::LoggedIn || (self.me.is_some() && !waits) {
                    self.enter_chat();
                } else {
                    self.show_login();
                }
            }
            Screen::Chat if new == ConnectionState::Connected && !resume => self.not_resuming(),
            Screen::Login if new == ConnectionState::LoggedIn => self.enter_chat(),
            Screen::Chat
                if new == ConnectionState::LoggedIn && old.is_some() && old != Some(new) =>
            {
                self.reload();
            }
            _ => {}
        }
    }

    fn enter_chat(&mut self) {
        self.switch_to(Screen::Chat);
        if let Some(peer) = self.initial_peer.take() {
            // Loaded by the reload below, with everything else.
            let chat = Talk::peer(peer);
            self.chat.selected = Some(chat.clone());
            self.chat.convo = Some(Convo::new(chat));
        }
        self.reload();
    }

    /// Shows another screen. Nothing typed on one screen reaches another:
    /// the passwords are wiped and the chat input emptied on every switch,
    /// and when nobody here asked for it (another program logged chatd in
    /// or out) keys are held until the person has seen the new screen.
    fn switch_to(&mut self, to: Screen) {
        let from = self.screen;
        if from == to {
            return;
        }
        // Our own login: the form sent it and waits for the answer.
        let ours = from == Screen::Login && self.login.busy;
        self.login.clear_secrets();
        self.input.wipe();
        self.aside = None;
        self.returned = false;
        self.chat.overlay = None;
        self.chat.pane = chat::Pane::Input;
        self.screen = to;
        if from == Screen::Connecting || ours {
            return;
        }
        self.switched = Some(match to {
            Screen::Chat => Switched::LoggedIn,
            _ => Switched::LoggedOut,
        });
    }

    /// Asks chatd for everything shown (after attaching, logging in or a
    /// reconnect of chatd to the server).
    fn reload(&mut self) {
        if self.screen != Screen::Chat || self.reloaded {
            return;
        }
        self.reloaded = true;
        self.call(Request::Settings);
        self.refresh_conversations();
        self.refresh_groups();
        self.refresh_users();
        if let Some(chat) = self.chat.open_chat().cloned() {
            self.load_convo(&chat);
        }
    }

    /// Asks for a conversation's history, the peer's key (1:1), and tells
    /// chatd it is on screen.
    fn load_convo(&mut self, chat: &Talk) {
        self.call(Request::History {
            chat: chat.clone(),
            before: None,
        });
        if let Some(peer) = chat.as_peer() {
            self.call(Request::Fingerprint {
                user: Some(peer.to_string()),
            });
        }
        if self.terminal_focused {
            self.call(Request::Focus {
                chat: Some(chat.clone()),
            });
        }
    }

    fn refresh_conversations(&mut self) {
        if self.conversations.want() {
            self.call(Request::Conversations);
        }
    }

    fn refresh_groups(&mut self) {
        if self.groups.want() {
            self.call(Request::Groups);
        }
    }

    /// Badges of the kind of conversation `chat` is come from chatd again.
    fn refresh_list_of(&mut self, chat: &Talk) {
        match chat {
            Talk::Peer(_) => self.refresh_conversations(),
            Talk::Group(_) => self.refresh_groups(),
        }
    }

    fn refresh_users(&mut self) {
        self.next_users_refresh = self.now_ms + USERS_REFRESH_MS;
        if self.server_state() == Some(ConnectionState::LoggedIn) && self.users.want() {
            self.call(Request::OnlineUsers);
        }
    }

    /// Opens a conversation (a peer's or a group's).
    fn open(&mut self, chat: &Talk) {
        self.chat.selected = Some(chat.clone());
        if self.chat.is_open_chat(chat) {
            return;
        }
        let left = self.chat.convo.take().map(|c| c.chat);
        let mut convo = Convo::new(chat.clone());
        if let Some(id) = chat.as_group() {
            convo.changes = self
                .chat
                .group_log
                .iter()
                .filter(|l| l.group == id)
                .cloned()
                .collect();
        }
        self.chat.convo = Some(convo);
        self.read_asked = None;
        self.mark_read = Debounce::default();
        self.load_convo(chat);
        // The one left behind may have been read meanwhile: its badge
        // comes from chatd, not from what the list said before.
        if let Some(left) = left {
            self.refresh_list_of(&left);
        } else {
            self.refresh_conversations();
        }
    }

    /// Tells chatd what the person has seen: read up to the newest
    /// incoming message on screen, when one on screen is not read yet,
    /// while the terminal has focus (or has not said it lost it) and
    /// nothing covers the conversation. Messages below the screen (arrived
    /// while scrolled up), in a hidden window or behind an overlay stay
    /// unread, and their sender sees no "read".
    fn flush_read(&mut self) {
        let Some(id) = self.unread_in_view() else {
            return;
        };
        if self.read_asked.as_ref() == Some(&id) {
            return;
        }
        let Some(chat) = self.chat.open_chat().cloned() else {
            return;
        };
        if self.mark_read.want() {
            self.read_asked = Some(id.clone());
            self.call(Request::MarkRead {
                chat,
                up_to: Some(id),
            });
        }
    }

    /// True when the person can see the open conversation now.
    fn can_see(&self) -> bool {
        self.screen == Screen::Chat
            && self.daemon == Daemon::Up
            && self.terminal_focused
            && self.chat.overlay.is_none()
            && self.switched.is_none()
            && self.size.0 >= crate::ui::MIN_SIZE.0
            && self.size.1 >= crate::ui::MIN_SIZE.1
    }

    /// The newest incoming message on screen, when one on screen is not
    /// read and the person can see the conversation.
    fn unread_in_view(&self) -> Option<String> {
        if !self.can_see() {
            return None;
        }
        let convo = self.chat.convo.as_ref()?;
        let (width, height) = self.viewport();
        let owners = crate::timeline::owners(convo.into(), width, self.zone);
        let end = owners.len().saturating_sub(convo.scroll);
        let start = end.saturating_sub(height);
        let shown: Vec<_> = owners
            .get(start..end)?
            .iter()
            .flatten()
            .filter_map(|&i| convo.messages.get(i))
            .filter(|m| m.direction == Direction::In)
            .collect();
        if shown.iter().all(|m| m.status == MessageStatus::Read) {
            return None;
        }
        shown.last().map(|m| m.id.clone())
    }

    /// The conversation's viewport (columns, rows) at the current size.
    fn viewport(&self) -> (usize, usize) {
        let (w, h) = self.size;
        let areas = crate::layout::chat(ratatui::layout::Rect::new(0, 0, w, h), self);
        (
            usize::from(areas.messages.width),
            usize::from(areas.messages.height),
        )
    }

    /// Rows the open conversation can scroll up by.
    fn max_scroll(&self) -> Option<usize> {
        let convo = self.chat.convo.as_ref()?;
        let (width, height) = self.viewport();
        let rows = crate::timeline::rows(convo.into(), width, self.zone).len();
        Some(rows.saturating_sub(height))
    }

    /// Scrolls the open conversation by `delta` rows (positive: older),
    /// asking for older history at the top.
    fn scroll_by(&mut self, delta: isize) {
        let Some(max) = self.max_scroll() else {
            return;
        };
        let Some(convo) = self.chat.convo.as_mut() else {
            return;
        };
        let target = convo.scroll as isize + delta;
        convo.scroll = usize::try_from(target.max(0)).unwrap_or(0).min(max);
        if delta > 0
            && convo.scroll == max
            && convo.more_before
            && !convo.loading
            && let Some(before) = convo.oldest_ts()
        {
            convo.loading = true;
            let chat = convo.chat.clone();
            self.call(Request::History {
                chat,
                before: Some(before),
            });
        }
    }

    /// Rows in a page of the conversation (a PgUp/PgDn step).
    fn page(&self) -> usize {
        self.viewport().1.saturating_sub(2).max(1)
    }
}
