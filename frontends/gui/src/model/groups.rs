//! Groups as the window holds them: chatd's `groups` list and `group`
//! events (the group after each change, which replaces what was held),
//! each group's conversation with a line per change, unread counts like
//! 1:1 conversations, and the outcome of the group actions this window
//! asked for (create, add, remove, leave, make admin), whose refusals are
//! shown in chatd's words.

use chatd_api::{Chat, Group, GroupChange, TrustState};

use super::Model;
use crate::backend::Failure;

/// A group action in flight, and chatd's last refusal of one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupAction {
    /// A request is waiting for chatd.
    pub busy: bool,
    /// Why chatd refused the last one, in its words.
    pub error: Option<String>,
}

impl Model {
    /// Groups, most recent message first, then by name.
    pub fn groups_by_recency(&self) -> Vec<&Group> {
        let mut list: Vec<&Group> = self.groups.values().collect();
        let last = |g: &Group| {
            let thread = self.group_threads.get(&g.id).map_or(0, |t| t.last_ts());
            thread.max(g.last.as_ref().map_or(0, |m| m.ts))
        };
        list.sort_by(|a, b| {
            last(b)
                .cmp(&last(a))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        list
    }

    /// We are an admin of the group `id` (and still a member).
    pub fn is_group_admin(&self, id: &str) -> bool {
        let me = self.account();
        self.groups.get(id).is_some_and(|g| {
            g.is_member
                && g.members
                    .iter()
                    .any(|m| Some(m.user.as_str()) == me && m.admin)
        })
    }

    /// Takes chatd's list of groups.
    pub(super) fn set_groups(&mut self, list: Vec<Group>) {
        for group in list {
            self.take_group(group, true);
        }
    }

    /// A `group` event: the group as it is now, and a line saying what
    /// changed.
    pub(super) fn group_changed(&mut self, group: Group, by: &str, change: &GroupChange) {
        let text = describe_change(self.account(), by, &group.name, change);
        let at_least = group.last.as_ref().map_or(0, |m| m.ts);
        let chat = Chat::Group(group.id.clone());
        self.take_group(group, false);
        self.chat_thread_mut(&chat).add_change(text, at_least);
    }

    /// A group action finished: the group after it, or chatd's refusal.
    pub(super) fn group_done(&mut self, created: bool, result: Result<Group, Failure>) {
        self.group_action.busy = false;
        match result {
            Ok(group) => {
                self.group_action.error = None;
                if created {
                    self.created = Some(group.id.clone());
                }
                self.take_group(group, false);
            }
            Err(failure) => self.group_action.error = Some(failure.message),
        }
    }

    /// Holds `group` (replacing what was held), with its conversation,
    /// its members' presence and changed keys. From a list (`snapshot`),
    /// the unread count is chatd's unless every message is here.
    fn take_group(&mut self, group: Group, snapshot: bool) {
        let me = self.account().map(str::to_string);
        for m in &group.members {
            if Some(&m.user) == me.as_ref() {
                continue;
            }
            if m.online {
                self.online.insert(m.user.clone());
            }
            // Like the conversation list: a snapshot may raise a key
            // warning, never settle one.
            if m.trust == Some(TrustState::Changed) {
                self.key_changed(&m.user);
            }
        }
        let chat = Chat::Group(group.id.clone());
        if let Some(last) = group.last.clone() {
            self.merge(last);
        }
        let unread = group.unread;
        let thread = self.chat_thread_mut(&chat);
        if snapshot {
            thread.unread = if thread.complete() {
                thread.unread_loaded()
            } else {
                unread
            };
        }
        self.groups.insert(group.id.clone(), group);
    }
}

/// A group change in words, from where `me` stands: "You added carol",
/// "alice added you", "You created team", "alice made you a member of
/// team".
pub fn describe_change(me: Option<&str>, by: &str, name: &str, change: &GroupChange) -> String {
    let is_me = |u: &str| Some(u) == me;
    let by_me = is_me(by);
    if change.joined && by_me {
        return format!("You created {name}");
    }
    let you = |list: &[String]| -> Vec<String> {
        list.iter()
            .filter(|u| !(change.joined && is_me(u)))
            .map(|u| {
                if is_me(u) {
                    "you".to_string()
                } else {
                    u.clone()
                }
            })
            .collect()
    };
    let mine = GroupChange {
        joined: change.joined,
        added: you(&change.added),
        removed: if change.removed.len() == 1 && change.removed[0] == by {
            // "bob left": kept as the one who went.
            vec![if by_me { "You".into() } else { by.to_string() }]
        } else {
            you(&change.removed)
        },
        admins_added: you(&change.admins_added),
        admins_removed: you(&change.admins_removed),
        renamed_from: change.renamed_from.clone(),
    };
    let who = if by_me { "You" } else { by };
    mine.describe(who, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> GroupChange {
        GroupChange::default()
    }

    #[test]
    fn changes_read_from_where_we_stand() {
        let me = Some("alice");
        let created = GroupChange {
            joined: true,
            added: vec!["bob".into(), "carol".into()],
            ..change()
        };
        assert_eq!(
            describe_change(me, "alice", "team", &created),
            "You created team"
        );
        let joined = GroupChange {
            joined: true,
            added: vec!["alice".into()],
            ..change()
        };
        assert_eq!(
            describe_change(me, "bob", "team", &joined),
            "bob made you a member of team"
        );
        let added = GroupChange {
            added: vec!["carol".into()],
            ..change()
        };
        assert_eq!(
            describe_change(me, "alice", "team", &added),
            "You added carol"
        );
        assert_eq!(
            describe_change(me, "bob", "team", &added),
            "bob added carol"
        );
        let removed_me = GroupChange {
            removed: vec!["alice".into()],
            ..change()
        };
        assert_eq!(
            describe_change(me, "bob", "team", &removed_me),
            "bob removed you"
        );
        assert_eq!(
            describe_change(me, "alice", "team", &removed_me),
            "You left"
        );
        let left = GroupChange {
            removed: vec!["carol".into()],
            ..change()
        };
        assert_eq!(describe_change(me, "carol", "team", &left), "carol left");
        let admin = GroupChange {
            admins_added: vec!["alice".into()],
            ..change()
        };
        assert_eq!(
            describe_change(me, "bob", "team", &admin),
            "bob made you admin"
        );
    }
}
