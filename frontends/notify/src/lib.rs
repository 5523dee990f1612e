//! chat-notify: desktop notifications for SecureChat, as a detachable
//! frontend of chatd. It holds no secrets and never talks to the server;
//! it only turns chatd's events into freedesktop notifications.
//!
//! The parts: [`decide`] (pure: events in, notifications out), [`run`]
//! (events from chatd-api's attach session to the desktop), [`desktop`]
//! (notify-rust), and the small pieces they use. `main.rs` calls [`main`].

pub mod cli;
pub mod decide;
pub mod desktop;
pub mod run;
pub mod settings;

use std::process::ExitCode;

use clap::Parser;

/// Parses the process's arguments and runs until SIGTERM or SIGINT. Exit
/// status: 0 after a signal, 1 on a failure at start, 2 for a usage or
/// configuration error.
pub fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let settings = match settings::Settings::resolve(&cli, &settings::Env::from_process()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("chat-notify: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("chat-notify: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let notifier = run::Notifier::new(settings, desktop::Desktop::new());
    match runtime.block_on(notifier.run(stop_signal())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-notify: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for SIGTERM; stop chat-notify with SIGKILL");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}
