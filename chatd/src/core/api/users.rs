//! `users`: the server's directory, asked through the link.

use chat_proto::{Request, ServerMessage};
use chatd_api::{ApiError, User, Users, UsersParams};

use crate::core::Core;
use crate::link::LinkError;

pub(super) async fn users(core: &Core, p: UsersParams) -> Result<Users, ApiError> {
    let request = Request::ListUsers {
        prefix: p.prefix.unwrap_or_default(),
        limit: p.limit,
        online_only: p.online_only.unwrap_or(false),
        after: None,
    };
    match core.link().request(request).await? {
        ServerMessage::Users { users, .. } => Ok(Users {
            users: users
                .into_iter()
                .map(|u| User {
                    username: u.username,
                    online: u.online,
                })
                .collect(),
        }),
        other => Err(LinkError::Protocol(format!("list_users answered {other:?}")).into()),
    }
}
