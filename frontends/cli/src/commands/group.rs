//! `chat group ...` and `chat groups`: chatd's group methods one to one.
//! chatd resolves a group named by id or name and refuses what is not
//! allowed (not an admin, not a member, a name several groups share); its
//! errors are shown as they come, with a hint where one helps. Every
//! change answers the group after it, shown as `group info` shows it.

use chatd_api::{Group, GroupInfo};

use super::Ctx;
use crate::cli::GroupCommand;
use crate::display::group::{info, list};
use crate::display::text::safe;
use crate::display::time::now_ms;

/// Runs one `group` subcommand.
pub(crate) async fn run(ctx: &Ctx, command: &GroupCommand) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    let (done, said) = match command {
        GroupCommand::List => {
            let groups = client.groups().await?;
            return ctx.out.result(&groups, |g| list(&g.groups, now_ms()));
        }
        GroupCommand::Info { group } => (client.group_info(group).await?, None),
        GroupCommand::Create { name, users } => {
            let done = client.group_create(name, users).await?;
            let with = match users.is_empty() {
                true => String::from(" (only you so far: `chat group add` adds members)"),
                false => format!(" with {}", names(users)),
            };
            let said = format!("Created {}{with}.", safe(&done.group.name));
            (done, Some(said))
        }
        GroupCommand::Add { group, users } => {
            let done = client.group_add(group, users).await?;
            let said = format!("Added {} to {}.", names(users), safe(&done.group.name));
            (done, Some(said))
        }
        GroupCommand::Remove { group, users } => {
            let done = client.group_remove(group, users).await?;
            let said = format!(
                "Removed {} from {}; nothing sent to the group reaches them now.",
                names(users),
                safe(&done.group.name)
            );
            (done, Some(said))
        }
        GroupCommand::Leave { group } => {
            let done = client.group_leave(group).await?;
            let said = left(&done.group);
            (done, Some(said))
        }
        GroupCommand::Admin {
            group,
            user,
            revoke,
        } => {
            let done = client.group_admin(group, user, !revoke).await?;
            let role = if *revoke {
                "is no longer an admin of"
            } else {
                "is an admin of"
            };
            let said = format!("{} {role} {}.", safe(user), safe(&done.group.name));
            (done, Some(said))
        }
    };
    // Our own name marks "(you)" among the members; a status that fails
    // costs the mark only.
    let me = match ctx.out.json() {
        true => None,
        false => client.status().await.ok().and_then(|s| s.username),
    };
    ctx.out
        .result(&done, |d| describe(d, said.as_deref(), me.as_deref()))
}

/// `chat groups`: the same as `chat group list`.
pub(crate) async fn list_all(ctx: &Ctx) -> anyhow::Result<()> {
    run(ctx, &GroupCommand::List).await
}

/// What was done, then the group as it is now.
fn describe(done: &GroupInfo, said: Option<&str>, me: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(said) = said {
        out.push_str(said);
        out.push('\n');
    }
    out.push_str(&info(&done.group, me));
    out
}

/// After `leave`: gone, and where the history still is.
fn left(g: &Group) -> String {
    format!(
        "You left {}; its history stays: chat history --group {}",
        safe(&g.name),
        safe(&g.id)
    )
}

fn names(users: &[String]) -> String {
    users.iter().map(|u| safe(u)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_says_what_was_done_before_the_group() {
        let g = Group {
            id: "6b1f0c3e-0000-4000-8000-000000000001".into(),
            name: "team".into(),
            version: 1,
            members: vec![],
            is_member: false,
            last: None,
            unread: 0,
        };
        let text = describe(&GroupInfo { group: g.clone() }, Some(&left(&g)), None);
        assert!(
            text.starts_with(
                "You left team; its history stays: chat history --group \
                 6b1f0c3e-0000-4000-8000-000000000001\nteam\n"
            ),
            "{text}"
        );
        assert_eq!(names(&["bob".into(), "carol".into()]), "bob, carol");
    }
}
