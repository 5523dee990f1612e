//! `login-storm`: password logins at bcrypt cost 12 (the production
//! default) arriving at once, e.g. after a deploy logged everyone out.
//! bcrypt is deliberately slow, so the question is not speed but fairness:
//! logins should go through at the rate the CPU pool allows, and users
//! already connected should not feel it.

use serde_json::Value;

use crate::cli::{Cli, LoginStormArgs};

/// Not implemented yet.
pub async fn run(_cli: &Cli, _args: &LoginStormArgs, _max: usize) -> anyhow::Result<Value> {
    anyhow::bail!("login-storm is not implemented yet")
}
