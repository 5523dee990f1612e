//! The real terminal: raw mode, the alternate screen, bracketed paste and
//! focus reports switched on for the session and off again however it
//! ends, and a thread that turns crossterm's input into [`Msg`]s.

use std::io::{IsTerminal, stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context, bail};
use crossterm::event::{
    self, DisableBracketedPaste, DisableFocusChange, EnableBracketedPaste, EnableFocusChange, Event,
};
use crossterm::execute;
use ratatui::DefaultTerminal;
use tokio::sync::mpsc;

use crate::app::Msg;

/// How often the input thread checks whether it should stop.
const POLL: Duration = Duration::from_millis(100);

/// The terminal in full-screen mode; restored when dropped.
pub struct Screen {
    /// Where ratatui draws.
    pub terminal: DefaultTerminal,
}

impl Screen {
    /// Switches the terminal to full-screen mode.
    pub fn enter() -> anyhow::Result<Self> {
        if !stdout().is_terminal() {
            bail!("standard output is not a terminal; for scripts use `chat` (see chat --help)");
        }
        let terminal = ratatui::try_init().context("cannot switch the terminal to full screen")?;
        // Paste and focus reports are conveniences: a terminal without
        // them still works.
        let _ = execute!(stdout(), EnableBracketedPaste, EnableFocusChange);
        Ok(Self { terminal })
    }

    /// Rings the bell (BEL): terminals flash or mark the window, tmux
    /// flags it in its status line.
    pub fn bell(&mut self) {
        use std::io::Write;
        let mut out = stdout();
        let _ = out.write_all(b"\x07").and_then(|()| out.flush());
    }
}

impl Drop for Screen {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableBracketedPaste, DisableFocusChange);
        ratatui::restore();
    }
}

/// Reads terminal input on its own thread (crossterm's reads block) until
/// `stop` is set or the app is gone.
pub fn spawn_input(
    app: mpsc::Sender<Msg>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("chat-tui-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match event::poll(POLL) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(_) => return,
                }
                let Ok(event) = event::read() else {
                    return;
                };
                let msg = match event {
                    Event::Key(key) => Msg::Key(key),
                    Event::Paste(text) => Msg::Paste(text),
                    Event::Resize(width, height) => Msg::Resize { width, height },
                    Event::FocusGained => Msg::Focus(true),
                    Event::FocusLost => Msg::Focus(false),
                    Event::Mouse(_) => continue,
                };
                if app.blocking_send(msg).is_err() {
                    return;
                }
            }
        })
}
