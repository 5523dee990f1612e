//! Test helpers shared by the workspace's integration tests: real servers
//! started as child processes in temp dirs (killed on drop, killable with
//! SIGKILL on demand), a wire client that speaks PROTOCOL.md §1 like any
//! independent client would, and named waits with timeouts instead of bare
//! sleeps.

pub mod client;
pub mod daemon;
pub mod fixtures;
pub mod proxy;
pub mod server;
pub mod wait;

pub use client::WireClient;
pub use daemon::{DaemonProcess, RpcClient};
pub use proxy::FaultProxy;
pub use server::ServerProcess;
pub use wait::wait_for;
