//! `chat verify USER FINGERPRINT`: record that a person compared the key.

use super::Ctx;
use crate::cli::VerifyArgs;
use crate::display::fingerprint::state_word;

/// Verifies `user`'s key against the fingerprint typed in.
pub(crate) async fn run(ctx: &Ctx, args: &VerifyArgs) -> anyhow::Result<()> {
    let user = &args.user;
    let done = ctx
        .client()
        .await?
        .verify(user, &args.fingerprint())
        .await?;
    ctx.out.result(&done, |d| {
        format!(
            "The fingerprint matches: {user}'s key is {}.\n",
            state_word(d.state)
        )
    })
}
