//! `chat passwd`: change the password, asking for the current one first.

use super::Ctx;
use crate::cli::PasswdArgs;
use crate::prompt;

/// Changes the account's password.
pub(crate) async fn run(ctx: &Ctx, args: &PasswdArgs) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let (current, new) = if args.password_stdin {
        let mut lines = prompt::stdin_lines(2, "the current and the new password")?.into_iter();
        (
            lines.next().unwrap_or_default(),
            lines.next().unwrap_or_default(),
        )
    } else {
        let current = prompt::password("Current password: ")?;
        (current, prompt::new_password("New password: ")?)
    };
    let done = client.change_password(&current, &new).await?;
    ctx.out.result(&done, |_| "Password changed.\n".to_string())
}
