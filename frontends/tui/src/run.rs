//! The runner: sets up the terminal and the background tasks, then loops
//! drawing the app and feeding it messages, carrying out its effects,
//! until it asks to quit.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio::sync::mpsc;

use crate::app::{App, Effect, Msg, Options, Request};
use crate::cli::Cli;
use crate::io::daemon::{self, Config};
use crate::io::{terminal, ticker};
use crate::time::{Zone, now_ms};

/// Messages queued for the app; senders wait when it is full.
const APP_QUEUE: usize = 1024;
/// Requests queued for the chatd task.
const REQUEST_QUEUE: usize = 256;
/// Messages handled at most between two draws.
const BATCH: usize = 256;
/// How long the chatd task gets to save the last seq on the way out.
const SHUTDOWN: Duration = Duration::from_millis(500);

/// Runs chat-tui with a parsed command line; the exit code says how it went.
pub fn run(cli: Cli) -> ExitCode {
    let Some(socket) = cli.socket.clone().or_else(chatd_api::paths::default_socket) else {
        eprintln!("chat-tui: {}", chatd_api::ClientError::NoSocketPath);
        return ExitCode::from(chatd_api::client::EXIT_USAGE);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-tui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(session(cli, socket)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-tui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn session(cli: Cli, socket: PathBuf) -> anyhow::Result<()> {
    let mut screen = terminal::Screen::enter()?;
    let size = screen
        .terminal
        .size()
        .context("cannot read the terminal size")?;
    let mut app = App::new(Options {
        peer: cli.peer,
        zone: if cli.utc { Zone::Utc } else { Zone::Local },
        now_ms: now_ms(),
        size: (size.width, size.height),
        bell: !cli.no_bell,
    });
    let (to_app, mut inbox) = mpsc::channel(APP_QUEUE);
    let (requests, for_daemon) = mpsc::channel(REQUEST_QUEUE);
    let config = Config::for_socket(&socket);
    let daemon = tokio::spawn(daemon::run(config, for_daemon, to_app.clone()));
    tokio::spawn(ticker::run(to_app.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let input = terminal::spawn_input(to_app, stop.clone()).context("cannot read the keyboard")?;
    let result = event_loop(&mut screen, &mut app, &mut inbox, &requests).await;
    // Let the chatd task save the last seq, then stop reading keys.
    drop(requests);
    let _ = tokio::time::timeout(SHUTDOWN, daemon).await;
    stop.store(true, Ordering::Relaxed);
    inbox.close();
    let _ = input.join();
    drop(screen);
    result
}

async fn event_loop(
    screen: &mut terminal::Screen,
    app: &mut App,
    inbox: &mut mpsc::Receiver<Msg>,
    requests: &mpsc::Sender<Request>,
) -> anyhow::Result<()> {
    loop {
        screen
            .terminal
            .draw(|frame| crate::ui::render(frame, app))
            .context("cannot draw on the terminal")?;
        let Some(first) = inbox.recv().await else {
            return Ok(());
        };
        let mut next = Some(first);
        let mut handled = 0;
        while let Some(msg) = next.take() {
            for effect in app.update(msg) {
                match effect {
                    Effect::Call(request) => {
                        if requests.send(request).await.is_err() {
                            return Ok(());
                        }
                    }
                    Effect::Bell => screen.bell(),
                    Effect::Quit => return Ok(()),
                }
            }
            handled += 1;
            if handled < BATCH {
                next = inbox.try_recv().ok();
            }
        }
    }
}
