//! `chat message ID`: one message by id, with its text, since events (and
//! `chat watch`) name messages by id.

use super::Ctx;
use crate::display::message::lines;
use crate::display::time::now_ms;

/// Shows the message `id`.
pub(crate) async fn run(ctx: &Ctx, id: &str) -> anyhow::Result<()> {
    let found = ctx.client().await?.message(id).await?;
    ctx.out.result(&found, |f| {
        lines(std::slice::from_ref(&f.message), now_ms(), true)
    })
}
