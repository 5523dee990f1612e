//! Params, results and event bodies of the group and typing extensions
//! (docs/PROTOCOL.md §4 and D14). Kept apart from [`crate::types`] because
//! they grow together: a group is named by [`GroupParams::group`] (its id,
//! or the name of exactly one group we are a member of) everywhere, and
//! the conversation-scoped methods (`send`, `history`, `mark_read`,
//! `search`, `focus`, `typing`) take either a `peer`/`to` or a `group`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::types::{Message, TrustState};

/// A conversation: 1:1 with a peer, or a group (by id or name). Fills the
/// `peer`/`to` and `group` params of the conversation-scoped methods, of
/// which exactly one is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chat {
    /// The conversation with this user.
    Peer(String),
    /// The conversation of this group (id, or name of one group).
    Group(String),
}

impl Chat {
    /// The 1:1 conversation with `user`.
    pub fn peer(user: impl Into<String>) -> Self {
        Chat::Peer(user.into())
    }

    /// The conversation of a group.
    pub fn group(group: impl Into<String>) -> Self {
        Chat::Group(group.into())
    }

    /// The peer, for a 1:1 conversation.
    pub fn as_peer(&self) -> Option<&str> {
        match self {
            Chat::Peer(p) => Some(p),
            Chat::Group(_) => None,
        }
    }

    /// The group, for a group conversation.
    pub fn as_group(&self) -> Option<&str> {
        match self {
            Chat::Group(g) => Some(g),
            Chat::Peer(_) => None,
        }
    }

    /// Reads the pair of optional params; `what` names the peer param
    /// (`to` or `peer`) in the error for both or neither.
    pub fn from_params(
        peer: Option<&str>,
        group: Option<&str>,
        what: &str,
    ) -> Result<Self, String> {
        match (peer, group) {
            (Some(p), None) => Ok(Chat::peer(p)),
            (None, Some(g)) => Ok(Chat::group(g)),
            (Some(_), Some(_)) => Err(format!("give `{what}` or `group`, not both")),
            (None, None) => Err(format!("`{what}` (a user) or `group` is needed")),
        }
    }
}

/// A message's group (`Message::group`): its id and its name now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupRef {
    /// The group id (uuid).
    pub id: String,
    /// The group's name in the state held now.
    pub name: String,
}

/// Per-member receipts of an outgoing group message, aggregated by chatd
/// ("delivered to 3 of 5", "read by alice, bob").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupReceipts {
    /// How many members it was sent to (the members of the state it was
    /// sent under, without us).
    pub recipients: u32,
    /// Members whose daemon has it (those who read it included), sorted.
    #[serde(default)]
    pub delivered: Vec<String>,
    /// Members who read it, sorted.
    #[serde(default)]
    pub read: Vec<String>,
}

/// One member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupMember {
    /// Account name.
    pub user: String,
    /// An admin of the group (may add, remove, make admins).
    pub admin: bool,
    /// Online now, as far as presence says (false for ourselves when
    /// offline).
    pub online: bool,
    /// The trust state of the member's key; absent before chatd pinned
    /// one (and for ourselves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustState>,
}

/// A group as chatd holds it (the last state it accepted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Group {
    /// The group id (uuid).
    pub id: String,
    /// The name.
    pub name: String,
    /// Version of the state held.
    pub version: u64,
    /// Members, sorted by name (ourselves included while a member).
    pub members: Vec<GroupMember>,
    /// We are a member. False after leaving or being removed: the group
    /// stays, read-only, with its history.
    pub is_member: bool,
    /// The newest message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<Message>,
    /// Incoming messages not yet marked read.
    #[serde(default)]
    pub unread: u32,
}

/// Params of `group_create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupCreateParams {
    /// The name: 1 to 64 characters, no control characters.
    pub name: String,
    /// The other members (we are added as the first admin). At most 255;
    /// each must exist. May be empty.
    #[serde(default)]
    pub members: Vec<String>,
}

/// Params of `group_add` and `group_remove`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupMembersParams {
    /// The group: its id, or the name of one group we are a member of.
    pub group: String,
    /// Whom to add or remove.
    pub users: Vec<String>,
}

/// Params of `group_leave`, `group_info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupParams {
    /// The group: its id, or the name of one group we are a member of.
    pub group: String,
}

/// Params of `group_admin`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupAdminParams {
    /// The group: its id, or the name of one group we are a member of.
    pub group: String,
    /// The member.
    pub user: String,
    /// Make an admin (true, the default) or no longer an admin (false).
    #[serde(default = "yes")]
    pub admin: bool,
}

fn yes() -> bool {
    true
}

/// Result of `group_create`, `group_add`, `group_remove`, `group_leave`,
/// `group_admin` and `group_info`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GroupInfo {
    /// The group after the change.
    pub group: Group,
}

/// Result of `groups`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Groups {
    /// Every group held (also those we left), most recent message or
    /// change first.
    pub groups: Vec<Group>,
}

/// Params of `typing`: the conversation being typed in (exactly one of
/// the two).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TypingParams {
    /// A 1:1 conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// A group: its id, or the name of one group we are a member of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Result of `typing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TypingSent {
    /// An indicator left now. False when one left for this conversation
    /// less than 3 seconds ago, when the `typing_indicators` setting is
    /// off, when offline, or when no recipient has confirmed a key yet.
    pub sent: bool,
}

/// What a `group` event changed (the lists are sorted, empty ones absent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GroupChange {
    /// The group is new to us: we created it, or were added to it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub joined: bool,
    /// Members added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub added: Vec<String>,
    /// Members removed, or who left (`by` equal to the one who went).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed: Vec<String>,
    /// Members made admins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admins_added: Vec<String>,
    /// Members who are no longer admins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admins_removed: Vec<String>,
    /// The previous name, when the name changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
}

impl GroupChange {
    /// A sentence for people, such as "alice added carol, dave".
    pub fn describe(&self, by: &str, group: &str) -> String {
        let mut parts = Vec::new();
        if self.joined {
            parts.push(format!("{by} made you a member of {group}"));
        }
        let list = |users: &[String]| users.join(", ");
        if !self.added.is_empty() {
            parts.push(format!("{by} added {}", list(&self.added)));
        }
        if self.removed.len() == 1 && self.removed[0] == by {
            parts.push(format!("{by} left"));
        } else if !self.removed.is_empty() {
            parts.push(format!("{by} removed {}", list(&self.removed)));
        }
        if !self.admins_added.is_empty() {
            parts.push(format!("{by} made {} admin", list(&self.admins_added)));
        }
        if !self.admins_removed.is_empty() {
            parts.push(format!(
                "{by} made {} no longer admin",
                list(&self.admins_removed)
            ));
        }
        if let Some(old) = &self.renamed_from {
            parts.push(format!("{by} renamed {old} to {group}"));
        }
        if parts.is_empty() {
            format!("{by} changed {group}")
        } else {
            parts.join("; ")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_admin_flag_defaults_to_making_an_admin() {
        let p: GroupAdminParams =
            serde_json::from_value(json!({"group": "g", "user": "bob"})).unwrap();
        assert!(p.admin);
    }

    #[test]
    fn a_change_says_who_did_what() {
        let c = GroupChange {
            added: vec!["carol".into(), "dave".into()],
            ..Default::default()
        };
        assert_eq!(c.describe("alice", "team"), "alice added carol, dave");
        let left = GroupChange {
            removed: vec!["bob".into()],
            ..Default::default()
        };
        assert_eq!(left.describe("bob", "team"), "bob left");
        assert_eq!(
            serde_json::to_value(&left).unwrap(),
            json!({"removed": ["bob"]})
        );
    }
}
