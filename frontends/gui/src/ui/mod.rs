//! The window: [`App`] owns the model, the worker's handle and the state
//! that only the widgets care about (what is typed, what is open), takes
//! the worker's updates at the start of every frame and draws the view the
//! daemon's state calls for. One module per view or dialog.

mod chat;
mod dialogs;
mod format;
mod forms;
mod login;
mod not_running;
mod signup;
mod status_bar;
mod theme;
mod widgets;

use std::collections::HashMap;

use chatd_api::Chat;

use crate::backend::{Backend, Command};
use crate::cli::Theme;
use crate::model::{Model, Phase, TypingThrottle};
#[cfg(feature = "screenshot")]
use crate::screenshot::{Plan, Shot};

pub use dialogs::NewGroupForm;
pub use forms::{LoginForm, SignupForm};
pub use theme::Palette;

/// Which of the two signed-out forms is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthScreen {
    /// Log in.
    #[default]
    Login,
    /// Create an account.
    Signup,
}

/// The screens that take typed input, as far as switching between them
/// matters: everything typed belongs to one of them and must not reach
/// another (a password must never become a message, nor a message a
/// password).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Screen {
    /// Log in or sign up.
    SignedOut,
    /// Chatting as this account.
    Chat(Option<String>),
}

/// State of the widgets, not of chatd.
#[derive(Debug, Default)]
pub struct ViewState {
    /// The theme in use.
    pub theme: Theme,
    /// The theme last applied to the context.
    applied_theme: Option<Theme>,
    /// Log in or sign up.
    pub auth_screen: AuthScreen,
    /// The log-in form.
    pub login: LoginForm,
    /// The sign-up form.
    pub signup: SignupForm,
    /// The open conversation.
    pub open: Option<Chat>,
    /// What is typed for each conversation.
    pub drafts: HashMap<Chat, String>,
    /// When chatd was last told the person types, per conversation.
    pub typing_sent: TypingThrottle,
    /// The "New group" dialog, while open.
    pub new_group: Option<NewGroupForm>,
    /// The name typed into a group's "Add member" field.
    pub add_member: String,
    /// Decoded image previews of file messages.
    pub thumbnails: chat::Thumbnails,
    /// The people search box.
    pub search: String,
    /// The search last sent to chatd.
    pub searched: String,
    /// The peer whose safety numbers are shown.
    pub safety: Option<String>,
    /// The focus last told to chatd.
    focus_told: Option<Option<Chat>>,
    /// The open conversation and the last of its messages whose end was
    /// on screen in this frame (what may be marked read).
    pub shown: Option<(Chat, String)>,
    /// Move keyboard focus to the composer on the next frame.
    pub focus_composer: bool,
    /// Move keyboard focus to the search box on the next frame.
    pub focus_search: bool,
    /// The person was told the command queue was full.
    busy_told: bool,
    /// The input screen last shown (the not-running screen in between
    /// does not count: it takes no typing).
    screen: Option<Screen>,
    /// The next screen switch was asked for in this window (Log in, Log
    /// out, Create account), so its form may take keyboard focus.
    switch_expected: bool,
    /// The log-in and sign-up forms may take keyboard focus by themselves:
    /// at start and after a switch this window asked for, never after one
    /// another frontend caused (typing meant for the chat would land in
    /// the password field).
    pub autofocus: bool,
    /// Behave as if the window had keyboard focus even when the system
    /// says it has not (screenshots under Xvfb, which has no window
    /// manager to give any window focus).
    pub assume_focused: bool,
}

/// How the app starts.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// chatd's socket (the default path when `None`).
    pub socket: Option<std::path::PathBuf>,
    /// The first theme.
    pub theme: Theme,
    /// A test-only screenshot to take (only with the `screenshot` feature).
    #[cfg(feature = "screenshot")]
    pub screenshot: Option<Plan>,
}

/// The whole app: model, worker handle, view state.
pub struct App {
    /// What chatd told us.
    pub model: Model,
    /// The worker.
    backend: Backend,
    /// What only the widgets care about.
    pub view: ViewState,
    /// A test-only screenshot in progress.
    #[cfg(feature = "screenshot")]
    shot: Option<Shot>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").finish_non_exhaustive()
    }
}

impl App {
    /// Starts the worker; `waker` is called from its thread after each
    /// update (pass the window's `request_repaint`).
    pub fn new(options: Options, waker: crate::backend::Waker) -> std::io::Result<Self> {
        let backend = Backend::start(options.socket, waker)?;
        #[cfg_attr(not(feature = "screenshot"), allow(unused_mut))]
        let mut view = ViewState {
            theme: options.theme,
            autofocus: true,
            ..ViewState::default()
        };
        #[cfg(feature = "screenshot")]
        let shot = options.screenshot.map(|plan| {
            plan.prepare(&mut view);
            Shot::new(plan)
        });
        Ok(Self {
            model: Model::default(),
            backend,
            view,
            #[cfg(feature = "screenshot")]
            shot,
        })
    }

    /// Queues a command for the worker.
    pub fn command(&mut self, command: Command) {
        if self.backend.send(command) {
            self.view.busy_told = false;
        } else if !self.view.busy_told {
            self.view.busy_told = true;
            self.model
                .notice("chatd is busy; wait a moment and try again");
        }
    }

    /// Draws one frame.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.take_updates();
        self.guard_switch(ui.ctx());
        self.view.shown = None;
        if self.view.applied_theme != Some(self.view.theme) {
            theme::apply(ui.ctx(), self.view.theme);
            self.view.applied_theme = Some(self.view.theme);
        }
        status_bar::show(self, ui);
        match self.model.phase() {
            Phase::Detached => not_running::show(self, ui),
            Phase::SignedOut => match self.view.auth_screen {
                AuthScreen::Login => login::show(self, ui),
                AuthScreen::Signup => signup::show(self, ui),
            },
            Phase::SignedIn => {
                chat::show(self, ui);
                dialogs::show(self, ui);
            }
        }
        self.sync_focus(ui.ctx());
        #[cfg(feature = "screenshot")]
        if let Some(mut shot) = self.shot.take() {
            shot.after_frame(ui.ctx(), self);
            self.shot = Some(shot);
        }
    }

    /// Applies every waiting update to the model.
    fn take_updates(&mut self) {
        while let Some(update) = self.backend.try_recv() {
            if let crate::backend::Update::Auth(Err(_)) = &update {
                // Refused: no switch is coming.
                self.view.switch_expected = false;
            }
            let picked = match &update {
                crate::backend::Update::Picked {
                    chat,
                    path: Some(path),
                } => Some((chat.clone(), path.clone())),
                _ => None,
            };
            for command in self.model.apply(update) {
                self.command(command);
            }
            if let Some((chat, path)) = picked {
                self.send_file(&chat, path);
            }
        }
        // A group this window created: the dialog closes, the group opens.
        if let Some(id) = self.model.created.take() {
            self.view.new_group = None;
            self.open(&Chat::Group(id));
        }
    }

    /// Notes that the person asked for a screen switch in this window
    /// (logging in, signing up, logging out).
    pub fn expect_switch(&mut self) {
        self.view.switch_expected = true;
    }

    /// When the screen switches between signing in and chatting (by this
    /// window or because another frontend logged in or out), clears every
    /// input, wipes the passwords, drops keyboard focus and this frame's
    /// typing: nothing typed for one screen may reach the other.
    fn guard_switch(&mut self, ctx: &egui::Context) {
        let screen = match self.model.phase() {
            Phase::Detached => return,
            Phase::SignedOut => Screen::SignedOut,
            Phase::SignedIn => Screen::Chat(self.model.account().map(str::to_string)),
        };
        let Some(before) = self.view.screen.replace(screen.clone()) else {
            return;
        };
        if before == screen {
            return;
        }
        let view = &mut self.view;
        view.autofocus = std::mem::take(&mut view.switch_expected);
        view.login.clear();
        view.signup.clear();
        for chat in view.drafts.keys() {
            ctx.data_mut(|d| d.remove::<egui::text_edit::TextEditState>(chat::composer_id(chat)));
        }
        view.drafts.clear();
        view.search.clear();
        view.searched.clear();
        view.open = None;
        view.safety = None;
        view.new_group = None;
        view.add_member.clear();
        view.focus_composer = false;
        view.focus_search = false;
        for thread in self.model.threads.values_mut() {
            thread.draft_back = None;
        }
        ctx.memory_mut(|m| m.stop_text_input());
        // egui keeps each field's undo history, copies of what was typed.
        for id in widgets::FIELD_IDS {
            ctx.data_mut(|d| d.remove::<egui::text_edit::TextEditState>(widgets::field_id(id)));
        }
        ctx.input_mut(|i| {
            i.events.retain(|e| {
                !matches!(
                    e,
                    egui::Event::Text(_)
                        | egui::Event::Paste(_)
                        | egui::Event::Key { .. }
                        | egui::Event::Ime(_)
                )
            });
        });
    }

    /// Tells chatd which conversation a person is looking at (none while
    /// the window is in the background), and marks read what of it was
    /// on screen: only while the window has focus and no dialog covers
    /// the conversation, and only up to the last message shown (not what
    /// arrived while the person reads further up).
    fn sync_focus(&mut self, ctx: &egui::Context) {
        let window_focused = self.view.assume_focused
            || ctx.input(|i| i.focused && i.viewport().focused != Some(false));
        let looking = match self.model.phase() {
            Phase::SignedIn if window_focused => self.view.open.clone(),
            _ => None,
        };
        if self.view.focus_told.as_ref() != Some(&looking) {
            self.view.focus_told = Some(looking.clone());
            self.command(Command::Focus {
                chat: looking.clone(),
            });
        }
        let covered = !self.model.key_alerts.is_empty()
            || self.view.safety.is_some()
            || self.view.new_group.is_some();
        if let Some(chat) = looking
            && !covered
            && let Some((on_screen, up_to)) = self.view.shown.clone()
            && on_screen == chat
            && self.model.thread(&chat).is_some()
        {
            let thread = self.model.chat_thread_mut(&chat);
            if thread.unread_through(&up_to) > 0 {
                thread.mark_read_through(&up_to);
                self.command(Command::MarkRead { chat, up_to });
            }
        }
    }

    /// Opens a conversation, 1:1 or a group's, loading what it needs.
    pub fn open(&mut self, chat: &Chat) {
        if self.view.open.as_ref() == Some(chat) {
            return;
        }
        self.view.open = Some(chat.clone());
        self.view.focus_composer = true;
        self.view.add_member.clear();
        self.model.group_action.error = None;
        let loaded = self.model.chat_thread_mut(chat).loaded;
        if !loaded {
            self.command(Command::History {
                chat: chat.clone(),
                before: None,
            });
        }
        if let Chat::Peer(peer) = chat {
            self.command(Command::Fingerprints { peer: peer.clone() });
        }
    }

    /// Sends the file at `path` in `chat`, with what is typed there as
    /// its caption (the composer empties, as when a message is sent). A
    /// relative path is taken from the working directory.
    pub fn send_file(&mut self, chat: &Chat, path: std::path::PathBuf) {
        let path = std::path::absolute(&path).unwrap_or(path);
        let caption = self
            .view
            .drafts
            .get_mut(chat)
            .map(std::mem::take)
            .map(|text| text.trim_end().to_string())
            .filter(|text| !text.trim().is_empty());
        if self.model.thread(chat).is_some() {
            self.model.chat_thread_mut(chat).send_error = None;
        }
        self.command(Command::SendFile {
            chat: chat.clone(),
            path,
            caption,
        });
    }

    /// Opens the conversation with `peer`.
    pub fn open_peer(&mut self, peer: &str) {
        self.open(&Chat::peer(peer));
    }

    /// The palette of the current theme.
    pub fn palette(&self) -> Palette {
        Palette::of(self.view.theme)
    }
}

impl eframe::App for App {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }
}
