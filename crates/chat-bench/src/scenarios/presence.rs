//! `presence`: users watching others while those log in at once.

use serde_json::Value;

use crate::accounts::Accounts;
use crate::cli::{Cli, PresenceArgs};
use crate::target::Target;

/// Not implemented yet.
pub async fn run(
    _cli: &Cli,
    _args: &PresenceArgs,
    _target: &Target,
    _accounts: &mut Accounts,
) -> anyhow::Result<Value> {
    anyhow::bail!("presence is not implemented yet")
}
