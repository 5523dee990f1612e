//! `chat signup` and `chat login`: the same shape, a name and a password,
//! which never appears on the command line. chatd is asked first, so that
//! nobody types a password (or a name) into a command that cannot work: a
//! chatd that is not running, or one already logged in.

use chatd_api::client::Client;
use chatd_api::{ConnectionState, LoggedIn};

use super::Ctx;
use crate::cli::AccountArgs;
use crate::prompt;

/// Creates the account and logs in.
pub(crate) async fn signup(ctx: &Ctx, args: &AccountArgs) -> anyhow::Result<()> {
    prompt::username_available(args.user.as_deref(), "signup")?;
    let client = ctx.client().await?;
    if let Some(me) = logged_in_as(&client).await? {
        anyhow::bail!(
            "chatd is already logged in as {me}, and one chatd holds one account; log out \
             with `chat logout` first, or run another chatd with its own --data-dir"
        );
    }
    let user = prompt::username(args.user.as_deref(), "signup")?;
    let password = if args.password_stdin {
        take_one(prompt::stdin_lines(1, "the password")?)
    } else {
        prompt::new_password(&format!("New password for {user}: "))?
    };
    let done = client.signup(&user, &password).await?;
    ctx.out.result(&done, |d| {
        format!("Signed up and logged in as {}.\n", d.username)
    })
}

/// Logs in, or says it already is.
pub(crate) async fn login(ctx: &Ctx, args: &AccountArgs) -> anyhow::Result<()> {
    prompt::username_available(args.user.as_deref(), "login")?;
    let client = ctx.client().await?;
    if let Some(me) = logged_in_as(&client).await? {
        return match args.user.as_deref() {
            Some(other) if other != me => anyhow::bail!(
                "chatd is logged in as {me}, and one chatd holds one account; log out with \
                 `chat logout` first, or run another chatd with its own --data-dir for {other}"
            ),
            _ => ctx.out.result(&LoggedIn { username: me }, |d| {
                format!("Already logged in as {}.\n", d.username)
            }),
        };
    }
    let user = prompt::username(args.user.as_deref(), "login")?;
    let password = if args.password_stdin {
        take_one(prompt::stdin_lines(1, "the password")?)
    } else {
        prompt::password(&format!("Password for {user}: "))?
    };
    let done = client.login(&user, &password).await?;
    ctx.out
        .result(&done, |d| format!("Logged in as {}.\n", d.username))
}

/// The account chatd is logged in as, if it is.
async fn logged_in_as(client: &Client) -> anyhow::Result<Option<String>> {
    let status = client.status().await?;
    Ok(match status.state {
        ConnectionState::LoggedIn => status.username,
        _ => None,
    })
}

fn take_one(lines: Vec<String>) -> String {
    lines.into_iter().next().unwrap_or_default()
}
