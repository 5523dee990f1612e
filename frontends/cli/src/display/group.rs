//! Groups for people: one group as a block (its id to name it by, and its
//! members with admin marks, presence and key state), the list of groups
//! as a table, and what a change did as a sentence.

use chatd_api::{Group, GroupMember, TrustState};

use super::message::{last_preview, sender};
use super::table::{Align, render};
use super::text::safe;
use super::time::relative;

/// One group: name, id, version, whether we are in it, and the members,
/// ourselves (`me`) marked.
pub fn info(g: &Group, me: Option<&str>) -> String {
    let mut out = format!("{}\n", safe(&g.name));
    let count = g.members.len();
    let state = if g.is_member {
        format!("{count} member{}", if count == 1 { "" } else { "s" })
    } else {
        format!("{count} members; you are no longer one (read-only)")
    };
    let head = vec![
        vec!["id".to_string(), safe(&g.id)],
        vec!["version".to_string(), g.version.to_string()],
        vec!["members".to_string(), state],
    ];
    out.push_str(&indent(&render(&head, &[Align::Left, Align::Left])));
    let rows: Vec<Vec<String>> = g.members.iter().map(|m| member_row(m, me)).collect();
    out.push_str(&indent(&indent(&render(
        &rows,
        &[Align::Left, Align::Left, Align::Left, Align::Left],
    ))));
    if g.members
        .iter()
        .any(|m| m.trust == Some(TrustState::Changed))
    {
        out.push_str(
            "KEY CHANGED: nothing is sent to that member until you compare the new \
             fingerprint (`chat fingerprint USER`) and accept it with `chat trust USER`.\n",
        );
    }
    out
}

/// A member: name (with "(you)"), admin, online, a key state worth saying.
fn member_row(m: &GroupMember, me: Option<&str>) -> Vec<String> {
    let mut name = safe(&m.user);
    if me == Some(m.user.as_str()) {
        name.push_str(" (you)");
    }
    let admin = if m.admin { "admin" } else { "" };
    let online = if m.online { "online" } else { "" };
    let trust = match m.trust {
        Some(TrustState::Verified) => "verified",
        Some(TrustState::Changed) => "KEY CHANGED",
        Some(TrustState::Unverified) | None => "",
    };
    vec![
        name,
        admin.to_string(),
        online.to_string(),
        trust.to_string(),
    ]
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// The `group list` table: name, id (to name a group by when names
/// repeat), members, unread, and the last message.
pub fn list(groups: &[Group], now_ms: i64) -> String {
    if groups.is_empty() {
        return "(no groups yet: `chat group create NAME USER...` makes one)\n".to_string();
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let members = if g.is_member {
                format!("{} members", g.members.len())
            } else {
                "left".to_string()
            };
            let unread = match g.unread {
                0 => String::new(),
                n => format!("{n} new"),
            };
            let (when, last) = match &g.last {
                Some(m) => (
                    relative(m.ts, now_ms),
                    format!("{}: {}", sender(m), last_preview(m, 40)),
                ),
                None => (String::new(), String::new()),
            };
            vec![safe(&g.name), safe(&g.id), members, unread, when, last]
        })
        .collect();
    render(
        &rows,
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::{Direction, Message, MessageStatus};

    const NOW: i64 = 1_700_000_000_000;
    const ID: &str = "6b1f0c3e-0000-4000-8000-000000000001";

    fn member(user: &str, admin: bool, online: bool) -> GroupMember {
        GroupMember {
            user: user.into(),
            admin,
            online,
            trust: None,
        }
    }

    fn team() -> Group {
        Group {
            id: ID.into(),
            name: "team".into(),
            version: 3,
            members: vec![
                member("alice", true, true),
                member("bob", false, true),
                member("carol", false, false),
            ],
            is_member: true,
            last: None,
            unread: 0,
        }
    }

    #[test]
    fn a_group_shows_its_id_and_members_with_admins_and_presence() {
        let text = info(&team(), Some("alice"));
        assert_eq!(
            text,
            format!(
                "team\n  id       {ID}\n  version  3\n  members  3 members\n\
                 \x20   alice (you)  admin  online\n\
                 \x20   bob                 online\n\
                 \x20   carol\n"
            )
        );
        let mut hostile = team();
        hostile.members[2].user = "carol\x1b[2J".into();
        assert!(info(&hostile, None).contains("carol\\u{1b}[2J\n"));
        let mut left = team();
        left.is_member = false;
        left.members[1].trust = Some(TrustState::Changed);
        let text = info(&left, Some("alice"));
        assert!(text.contains("no longer one"), "{text}");
        assert!(text.contains("KEY CHANGED") && text.contains("chat trust USER"));
    }

    #[test]
    fn the_list_names_ids_members_unread_and_the_last_message() {
        let mut g = team();
        g.unread = 2;
        g.last = Some(Message {
            id: "m".into(),
            from: "bob".into(),
            to: ID.into(),
            text: "see you".into(),
            ts: NOW - 60_000,
            direction: Direction::In,
            status: MessageStatus::Delivered,
            group: None,
            receipts: None,
            file: None,
        });
        let mut old = team();
        old.name = "old".into();
        old.is_member = false;
        assert_eq!(
            list(&[g, old], NOW),
            format!(
                "team  {ID}  3 members  2 new  1m ago  bob: see you\n\
                 old   {ID}       left\n"
            )
        );
        assert!(list(&[], NOW).contains("chat group create"));
    }
}
