//! `chat conversations`: everyone you talk to, most recent first.

use super::Ctx;
use crate::display::message::conversations;
use crate::display::time::now_ms;

/// Lists conversations.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let list = ctx.client().await?.conversations().await?;
    ctx.out
        .result(&list, |l| conversations(&l.conversations, now_ms()))
}
