//! `chat trust USER`: accept a changed key, after comparing it.

use super::Ctx;

/// Accepts `user`'s current key (as unverified).
pub(crate) async fn run(ctx: &Ctx, user: &str) -> anyhow::Result<()> {
    let done = ctx.client().await?.trust(user).await?;
    ctx.out.result(&done, |_| {
        format!(
            "Accepted {user}'s new key; messages flow again. It is unverified: compare \
             `chat fingerprint {user}` with {user} and run `chat verify`.\n"
        )
    })
}
