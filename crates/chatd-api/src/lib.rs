//! The local API between chatd and its frontends (PROTOCOL.md §3): the
//! closed set of methods ([`Request`], [`Reply`], [`Method`], declared once
//! in `method.rs`), their typed params, results and events, the error codes,
//! the JSON-RPC 2.0 framing, the OpenRPC document generated from the types
//! (`docs/api/openrpc.json`), and the client every frontend uses. Frontends
//! depend on this crate only, never on the daemon.

pub mod attach;
pub mod blocking;
pub mod client;
pub mod domain;
pub mod error;
pub mod files;
pub mod groups;
pub mod jsonrpc;
pub mod method;
pub mod paths;
pub mod schema;
pub mod types;

pub use blocking::BlockingClient;
pub use client::{Client, ClientError, EventStream};
pub use domain::SecurityReason;
pub use error::{ApiError, ErrorCode};
pub use files::*;
pub use groups::*;
pub use method::{METHODS, Method, MethodKind, Reply, Request, call};
pub use types::*;

/// Longest line either side may send (1 MiB, PROTOCOL.md §3).
pub const MAX_LINE: usize = 1024 * 1024;
