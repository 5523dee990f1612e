//! Test helpers shared by the workspace's integration tests: real servers
//! started as child processes in temp dirs (killed on drop, killable with
//! SIGKILL on demand), the [`World`] most end-to-end tests start from, a
//! private D-Bus session bus, a terminal program in a tmux pane, a wire client that speaks PROTOCOL.md §1 like
//! any independent client would, and named waits with timeouts instead of
//! bare sleeps.

pub mod bus;
pub mod client;
pub mod daemon;
pub mod fixtures;
pub mod nats;
pub mod postgres;
pub mod proxy;
pub mod server;
pub mod tmux;
pub mod wait;
pub mod world;

pub use bus::PrivateBus;
pub use client::WireClient;
pub use daemon::{DaemonProcess, RpcClient};
pub use nats::Nats;
pub use postgres::Postgres;
pub use proxy::FaultProxy;
pub use server::ServerProcess;
pub use wait::wait_for;
pub use world::{BlockingWorld, World};
