//! chat-gui, the SecureChat desktop app: an eframe/egui window attached to
//! chatd through chatd-api like every other frontend. It is a library with
//! a thin `main` so that tests drive the very same UI (egui_kittest) and
//! the man page is generated from [`cli::Cli`].
//!
//! The parts: [`backend`] (the only I/O: a thread with the chatd client),
//! [`model`] (what chatd told us, as plain data), [`ui`] (the views), and,
//! only with the test-only cargo feature `screenshot`, `screenshot` (a way
//! to save a frame of a chosen view, which the shipped binary lacks).

pub mod backend;
pub mod cli;
pub mod model;
#[cfg(feature = "screenshot")]
pub mod screenshot;
pub mod ui;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser;

/// Parses the command line, opens the window, and maps failures to exit
/// codes (1: the window could not open; 2: usage, from clap).
pub fn main() -> ExitCode {
    match run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-gui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Opens the window and runs until it is closed.
pub fn run(cli: cli::Cli) -> anyhow::Result<()> {
    #[cfg(feature = "screenshot")]
    let screenshot = screenshot::Plan::from_env()?;
    #[cfg_attr(not(feature = "screenshot"), allow(unused_mut))]
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("SecureChat")
        .with_app_id("chat-gui")
        .with_inner_size([1100.0, 720.0])
        .with_min_inner_size([640.0, 440.0]);
    #[cfg(feature = "screenshot")]
    if let Some(plan) = &screenshot {
        viewport = viewport.with_inner_size(plan.size);
    }
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    let app_options = ui::Options {
        socket: cli.socket,
        theme: cli.theme,
        #[cfg(feature = "screenshot")]
        screenshot,
    };
    eframe::run_native(
        "chat-gui",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let waker: backend::Waker = Arc::new(move || ctx.request_repaint());
            let app = ui::App::new(app_options, waker)?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("{e}"))
    .context(
        "cannot open the window; chat-gui needs a graphical session (DISPLAY or \
         WAYLAND_DISPLAY set) and OpenGL 2 or later (Mesa's software renderer will do); \
         from a terminal without one, use `chat` or `chat-tui`",
    )
}
