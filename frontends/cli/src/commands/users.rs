//! `chat users`: who is on the server, and who is online.

use chatd_api::{Users, UsersParams};

use super::Ctx;
use crate::cli::UsersArgs;
use crate::display::table::{Align, render};
use crate::display::text::safe;

/// Lists users.
pub(crate) async fn run(ctx: &Ctx, args: &UsersArgs) -> anyhow::Result<()> {
    let params = UsersParams {
        prefix: args.prefix.clone(),
        // As `history -n 0`: chatd reads 0 as 1, so ask for one and show
        // none.
        limit: args.limit.map(|n| n.max(1)),
        online_only: args.online.then_some(true),
    };
    let mut users = ctx.client().await?.users(&params).await?;
    if args.limit == Some(0) {
        users.users.clear();
    }
    ctx.out.result(&users, describe)
}

/// One user per line, `online` beside those who are.
pub(crate) fn describe(u: &Users) -> String {
    if u.users.is_empty() {
        return "(no users)\n".to_string();
    }
    let rows: Vec<Vec<String>> = u
        .users
        .iter()
        .map(|u| {
            let online = if u.online { "online" } else { "" };
            vec![safe(&u.username), online.to_string()]
        })
        .collect();
    render(&rows, &[Align::Left, Align::Left])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::User;

    #[test]
    fn online_users_are_marked() {
        let u = Users {
            users: vec![
                User {
                    username: "alice".into(),
                    online: false,
                },
                User {
                    username: "bo".into(),
                    online: true,
                },
            ],
        };
        assert_eq!(describe(&u), "alice\nbo     online\n");
        assert_eq!(describe(&Users { users: vec![] }), "(no users)\n");
    }
}
