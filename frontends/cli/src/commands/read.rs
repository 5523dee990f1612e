//! `chat read USER` and `chat read --group GROUP`: mark a conversation
//! read, which sends read receipts (unless the setting is off).

use chatd_api::Chat;

use super::Ctx;
use crate::cli::ReadArgs;
use crate::display::text::safe;

/// Marks the conversation read.
pub(crate) async fn run(ctx: &Ctx, args: &ReadArgs) -> anyhow::Result<()> {
    let chat = args.chat();
    let done = ctx.client().await?.mark_read_in(&chat, None).await?;
    ctx.out.result(&done, |_| match &chat {
        Chat::Peer(user) => format!("Marked the conversation with {} read.\n", safe(user)),
        Chat::Group(group) => format!("Marked the conversation of {} read.\n", safe(group)),
    })
}
