//! `chat logout`.

use super::Ctx;

/// Logs out; the history stays with chatd.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let done = ctx.client().await?.logout().await?;
    ctx.out.result(&done, |_| "Logged out.\n".to_string())
}
