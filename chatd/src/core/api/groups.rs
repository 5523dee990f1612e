//! `group_create`, `group_add`, `group_remove`, `group_leave`,
//! `group_admin`, `groups` and `group_info` (the CLI's `chat group ...`;
//! /work/notes/API12.md, PROTOCOL.md D14, D15). The rules of who may do
//! what are checked here against the state held, so the caller gets a
//! plain answer; the change itself (sign, commit, fan out, races) is
//! `core::groups::change`, whose edit checks them again on top of any
//! state that won a race meanwhile.

use std::collections::BTreeSet;
use std::sync::Arc;

use chat_e2e::group::{GroupState, MAX_MEMBERS, MAX_NAME_CHARS, Membership};
use chatd_api::{
    ApiError, ConnectionState, ErrorCode, GroupAdminParams, GroupCreateParams, GroupInfo,
    GroupMembersParams, GroupParams, Groups,
};
use uuid::Uuid;

use super::check_user;
use super::known::no_such_user;
use crate::core::groups::change::{Edit, change};
use crate::core::groups::{resolve, view, views};
use crate::core::{Core, CoreError};
use crate::link::LinkError;

pub(super) async fn group_create(
    core: &Arc<Core>,
    p: GroupCreateParams,
) -> Result<GroupInfo, ApiError> {
    let me = me(core)?;
    check_name(&p.name)?;
    let others: BTreeSet<String> = p.members.into_iter().filter(|m| *m != me).collect();
    if others.len() >= MAX_MEMBERS {
        return Err(invalid(format!(
            "a group has at most {MAX_MEMBERS} members, you included; {} others were named",
            others.len()
        )));
    }
    online(core)?;
    for user in &others {
        check_user(user)?;
        pin(core, user).await?;
    }
    let name = p.name;
    let gid = change(core, None, |_| {
        let mut members = others.clone();
        members.insert(me.clone());
        Ok(Edit::Next(Membership::new(
            name.clone(),
            members,
            [me.clone()],
        )))
    })
    .await?;
    info(core, gid).await
}

pub(super) async fn group_add(
    core: &Arc<Core>,
    p: GroupMembersParams,
) -> Result<GroupInfo, ApiError> {
    let me = me(core)?;
    let gid = admin_of(core, &p.group, &me).await?;
    if p.users.is_empty() {
        return Err(invalid("name at least one user to add"));
    }
    online(core)?;
    for user in &p.users {
        check_user(user)?;
        pin(core, user).await?;
    }
    let users = p.users;
    change(core, Some(gid), |held| {
        let h = must_admin(held, &me)?;
        let mut m = h.membership().clone();
        for u in &users {
            if m.is_member(u) {
                return Err(CoreError::InvalidInput(format!("{u} is a member already")));
            }
            m.add(u);
        }
        if m.members.len() > MAX_MEMBERS {
            return Err(CoreError::InvalidInput(format!(
                "a group has at most {MAX_MEMBERS} members; this would make {}",
                m.members.len()
            )));
        }
        Ok(Edit::Next(m))
    })
    .await?;
    info(core, gid).await
}

pub(super) async fn group_remove(
    core: &Arc<Core>,
    p: GroupMembersParams,
) -> Result<GroupInfo, ApiError> {
    let me = me(core)?;
    let gid = admin_of(core, &p.group, &me).await?;
    if p.users.is_empty() {
        return Err(invalid("name at least one member to remove"));
    }
    if p.users.contains(&me) {
        return Err(invalid(
            "to remove yourself, leave the group (`group_leave`)",
        ));
    }
    online(core)?;
    let users = p.users;
    change(core, Some(gid), |held| {
        let h = must_admin(held, &me)?;
        let mut m = h.membership().clone();
        for u in &users {
            if !m.is_member(u) {
                return Err(CoreError::InvalidInput(format!("{u} is not a member")));
            }
            m.remove(u);
        }
        if m.admins.is_empty() {
            return Err(CoreError::InvalidInput(
                "that would leave the group without an admin; make another member admin first"
                    .into(),
            ));
        }
        Ok(Edit::Next(m))
    })
    .await?;
    info(core, gid).await
}

pub(super) async fn group_leave(core: &Arc<Core>, p: GroupParams) -> Result<GroupInfo, ApiError> {
    let me = me(core)?;
    let gid = member_of(core, &p.group, &me).await?;
    online(core)?;
    change(core, Some(gid), |held| {
        let h = must_member(held, &me)?;
        if h.members().len() == 1 {
            return Ok(Edit::LastLeave);
        }
        let mut m = h.membership().clone();
        m.remove(&me);
        if m.admins.is_empty() {
            return Err(CoreError::InvalidInput(
                "you are the group's last admin: make another member admin first".into(),
            ));
        }
        Ok(Edit::Next(m))
    })
    .await?;
    info(core, gid).await
}

pub(super) async fn group_admin(
    core: &Arc<Core>,
    p: GroupAdminParams,
) -> Result<GroupInfo, ApiError> {
    let me = me(core)?;
    let gid = admin_of(core, &p.group, &me).await?;
    check_user(&p.user)?;
    online(core)?;
    let (user, admin) = (p.user, p.admin);
    change(core, Some(gid), |held| {
        let h = must_admin(held, &me)?;
        let mut m = h.membership().clone();
        if !m.is_member(&user) {
            return Err(CoreError::InvalidInput(format!("{user} is not a member")));
        }
        match (admin, m.is_admin(&user)) {
            (true, true) => {
                return Err(CoreError::InvalidInput(format!(
                    "{user} is an admin already"
                )));
            }
            (false, false) => {
                return Err(CoreError::InvalidInput(format!("{user} is not an admin")));
            }
            (true, false) => m.make_admin(&user),
            (false, true) => {
                m.admins.remove(&user);
            }
        }
        if m.admins.is_empty() {
            return Err(CoreError::InvalidInput(
                "a group needs an admin: make another member admin first".into(),
            ));
        }
        Ok(Edit::Next(m))
    })
    .await?;
    info(core, gid).await
}

pub(super) async fn groups(core: &Core) -> Result<Groups, ApiError> {
    let online = core.online_now();
    let groups = core.db().call(move |tx| views(tx, &online)).await?;
    Ok(Groups { groups })
}

pub(super) async fn group_info(core: &Core, p: GroupParams) -> Result<GroupInfo, ApiError> {
    let row = core
        .db()
        .run(move |tx| resolve(tx, &p.group))
        .await
        .map_err(ApiError::from)?;
    info(core, row.group_id).await
}

/// The group as it stands now.
pub(super) async fn info(core: &Core, gid: Uuid) -> Result<GroupInfo, ApiError> {
    let online = core.online_now();
    let group = core
        .db()
        .call(move |tx| view(tx, gid, &online))
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NoSuchGroup, "the group is not held"))?;
    Ok(GroupInfo { group })
}

/// The group `group` names, where `me` is a member of the state held.
pub(super) async fn member_of(core: &Core, group: &str, me: &str) -> Result<Uuid, ApiError> {
    let (group, me) = (group.to_string(), me.to_string());
    core.db()
        .run(move |tx| {
            let row = resolve(tx, &group)?;
            let held = tx.group_held(row.group_id)?;
            must_member(held.as_ref().map(|h| h.state()), &me)?;
            Ok::<_, CoreError>(row.group_id)
        })
        .await
        .map_err(ApiError::from)
}

async fn admin_of(core: &Core, group: &str, me: &str) -> Result<Uuid, ApiError> {
    let (group, me) = (group.to_string(), me.to_string());
    core.db()
        .run(move |tx| {
            let row = resolve(tx, &group)?;
            let held = tx.group_held(row.group_id)?;
            must_admin(held.as_ref().map(|h| h.state()), &me)?;
            Ok::<_, CoreError>(row.group_id)
        })
        .await
        .map_err(ApiError::from)
}

fn must_member<'a>(held: Option<&'a GroupState>, me: &str) -> Result<&'a GroupState, CoreError> {
    match held {
        Some(h) if h.is_member(me) => Ok(h),
        _ => Err(CoreError::NotGroupMember(
            "you are not a member of this group".into(),
        )),
    }
}

fn must_admin<'a>(held: Option<&'a GroupState>, me: &str) -> Result<&'a GroupState, CoreError> {
    let h = must_member(held, me)?;
    if !h.is_admin(me) {
        return Err(CoreError::NotGroupAdmin(
            "only an admin of the group may do this; `chat group info` lists them".into(),
        ));
    }
    Ok(h)
}

fn me(core: &Core) -> Result<String, ApiError> {
    core.account()
        .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "sign up or log in first"))
}

fn online(core: &Core) -> Result<(), ApiError> {
    if core.link().state().conn != ConnectionState::LoggedIn {
        return Err(ApiError::new(
            ErrorCode::Offline,
            "changing a group needs the server (it sequences every change); try again once \
             `chat status` says logged in",
        ));
    }
    Ok(())
}

/// Pins `user`'s key (a state names only people whose key we hold).
async fn pin(core: &Core, user: &str) -> Result<(), ApiError> {
    match core.ensure_pin(user).await {
        Ok(()) => Ok(()),
        Err(CoreError::Link(LinkError::Server {
            code: chat_proto::ErrorCode::NoSuchUser,
            ..
        })) => Err(no_such_user(user)),
        Err(e) => Err(e.into()),
    }
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(invalid(format!(
            "a group name has 1 to {MAX_NAME_CHARS} characters; this one has {chars}"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(invalid("a group name may not contain control characters"));
    }
    Ok(())
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, msg)
}
