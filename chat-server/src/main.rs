//! The chat-server binary: flags in, [`chat_server::start`] out.

use std::process::ExitCode;

use anyhow::Context;
use chat_server::cli::file::ParseError;
use chat_server::cli::{Cli, Command, data_dir};
use chat_server::keys;
use chat_server::migrate::MigrateOptions;

fn main() -> ExitCode {
    let parsed = match chat_server::cli::file::parse() {
        Ok(parsed) => parsed,
        Err(ParseError::Clap(e)) => e.exit(),
        Err(e @ ParseError::File(_)) => {
            eprintln!("chat-server: {e}");
            return ExitCode::from(2);
        }
    };
    let cli = parsed.cli;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never into a log file
        // or the journal.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    for warning in &parsed.warnings {
        tracing::warn!("{warning}");
    }
    let result = match cli.command {
        Some(Command::Fingerprint { data_dir: dir, key }) => fingerprint(dir, key),
        Some(Command::Migrate {
            from,
            to,
            overwrite,
            store_ca,
        }) => migrate(MigrateOptions {
            from,
            to,
            overwrite,
            ca: store_ca,
        }),
        None => serve(cli),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chat-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn fingerprint(
    dir: Option<std::path::PathBuf>,
    key: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let path = match key {
        Some(k) => k,
        None => data_dir(dir)
            .context("no data directory: pass --data-dir or --key")?
            .join(keys::DEFAULT_KEY_FILE),
    };
    println!("{}", keys::fingerprint_of_file(&path)?);
    Ok(())
}

fn migrate(opts: MigrateOptions) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let summary = runtime.block_on(chat_server::migrate::run(&opts))?;
    println!("{summary}");
    Ok(())
}

fn serve(cli: Cli) -> anyhow::Result<()> {
    let data_dir = data_dir(cli.run.data_dir.clone())
        .context("cannot find a data directory (no HOME?); pass --data-dir")?;
    let opts = chat_server::Options {
        listen: cli.run.listen,
        data_dir,
        key: cli.run.key.clone(),
        plaintext: cli.run.plaintext,
        store: cli.run.store.clone(),
        store_ca: cli.run.store_ca.clone(),
        bus: cli.run.bus_options(),
        config: cli.run.config(),
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Handlers first: a SIGTERM that arrives as soon as the address is
        // announced (a supervisor or a test stopping it at once) is an
        // orderly shutdown, not the default action that kills the process.
        let signals = Signals::install();
        let running = chat_server::start(opts).await?;
        println!(
            "Server Listening on address {} port {}",
            running.addr.ip(),
            running.addr.port()
        );
        println!("Server fingerprint {}", running.fingerprint);
        tracing::info!(
            tls = !cli.run.plaintext,
            fingerprint = %chat_proto::crypto::format_fingerprint(&running.fingerprint),
            "ready"
        );
        let stop = running.shutdown_token();
        tokio::spawn(async move {
            signals.wait().await;
            tracing::info!("shutting down");
            stop.cancel();
        });
        running.wait().await;
        anyhow::Ok(())
    })
}

/// SIGTERM and SIGINT, caught from the moment they are installed.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self {
            term: signal(SignalKind::terminate()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn wait(self) {
        let (Some(mut term), Some(mut int)) = (self.term, self.int) else {
            // Without signal handlers the server still runs; it stops when killed.
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    }
}
