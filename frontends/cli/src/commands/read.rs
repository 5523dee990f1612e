//! `chat read USER`: mark a conversation read, which sends read receipts.

use super::Ctx;

/// Marks the conversation with `user` read.
pub(crate) async fn run(ctx: &Ctx, user: &str) -> anyhow::Result<()> {
    let done = ctx.client().await?.mark_read(user).await?;
    ctx.out.result(&done, |_| {
        format!("Marked the conversation with {user} read.\n")
    })
}
