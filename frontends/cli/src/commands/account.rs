//! `chat signup` and `chat login`: the same shape, a name and a password,
//! which never appears on the command line.

use super::Ctx;
use crate::cli::AccountArgs;
use crate::prompt;

/// Creates the account and logs in.
pub(crate) async fn signup(ctx: &Ctx, args: &AccountArgs) -> anyhow::Result<()> {
    let user = prompt::username(args.user.as_deref(), "signup")?;
    let password = if args.password_stdin {
        take_one(prompt::stdin_lines(1, "the password")?)
    } else {
        prompt::new_password(&format!("New password for {user}: "))?
    };
    let done = ctx.client().await?.signup(&user, &password).await?;
    ctx.out.result(&done, |d| {
        format!("Signed up and logged in as {}.\n", d.username)
    })
}

/// Logs in.
pub(crate) async fn login(ctx: &Ctx, args: &AccountArgs) -> anyhow::Result<()> {
    let user = prompt::username(args.user.as_deref(), "login")?;
    let password = if args.password_stdin {
        take_one(prompt::stdin_lines(1, "the password")?)
    } else {
        prompt::password(&format!("Password for {user}: "))?
    };
    let done = ctx.client().await?.login(&user, &password).await?;
    ctx.out
        .result(&done, |d| format!("Logged in as {}.\n", d.username))
}

fn take_one(lines: Vec<String>) -> String {
    lines.into_iter().next().unwrap_or_default()
}
