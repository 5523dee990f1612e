//! `chat fingerprint [USER]`: the key fingerprint to compare with its
//! owner, in the 16 groups of 4 people read aloud.

use super::Ctx;
use crate::display::fingerprint::describe;

/// Shows `user`'s fingerprint, or one's own.
pub(crate) async fn run(ctx: &Ctx, user: Option<&str>) -> anyhow::Result<()> {
    let f = ctx.client().await?.fingerprint(user).await?;
    ctx.out.result(&f, |f| describe(f, user.is_none()))
}
