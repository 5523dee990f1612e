//! The only part of chat-gui that does I/O. A background thread owns a
//! Tokio runtime and the chatd client; the UI sends it [`Command`]s and
//! reads [`Update`]s without ever waiting, so a slow or absent daemon can
//! never freeze a frame. Every update wakes the UI through a callback (the
//! window's `request_repaint`).

mod command;
mod update;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

pub use command::Command;
pub use update::{Failure, Link, Update};

/// Commands waiting for the worker. The UI never blocks on a full queue:
/// it tells the person to try again instead (a person cannot click 256
/// times faster than chatd answers).
const COMMAND_QUEUE: usize = 256;
/// Updates waiting for the UI; the worker waits when the UI falls behind,
/// which in turn slows its reading of chatd's events (which chatd buffers
/// in its durable log), so nothing is lost.
const UPDATE_QUEUE: usize = 4096;

/// How the worker wakes the UI after queueing an update.
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The UI's end of the worker: send commands, take updates.
pub struct Backend {
    commands: mpsc::Sender<Command>,
    updates: mpsc::Receiver<Update>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend").finish_non_exhaustive()
    }
}

impl Backend {
    /// Starts the worker thread for the socket at `socket` (the default
    /// path when `None`). The thread ends when the `Backend` is dropped.
    pub fn start(socket: Option<PathBuf>, waker: Waker) -> std::io::Result<Self> {
        let (commands, command_rx) = mpsc::channel(COMMAND_QUEUE);
        let (update_tx, updates) = mpsc::channel(UPDATE_QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("chatd-client".into())
            .spawn(move || {
                let sink = worker::Sink::new(update_tx, waker);
                runtime.block_on(worker::run(socket, command_rx, sink));
            })?;
        Ok(Self { commands, updates })
    }

    /// Queues a command; false when the queue is full or the worker is gone.
    pub fn send(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// The next update, if one is waiting.
    pub fn try_recv(&mut self) -> Option<Update> {
        self.updates.try_recv().ok()
    }
}
