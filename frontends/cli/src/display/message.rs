//! Messages as lines of a conversation: when, who, what, and for our own
//! messages how far they got (✓ sent, ✓✓ delivered, ✓✓ read; in a group
//! "delivered to 3 of 5 · read by alice, bob"); chatd's key notices (a key
//! changed, was accepted, was verified) as system lines in their place in
//! time.

use chatd_api::{
    Conversation, Direction, GroupReceipts, Message, MessageStatus, Notice, NoticeKind, TrustState,
};

use super::file::{file_label, message_text};
use super::table::{Align, render};
use super::text::{hang, preview, safe};
use super::time::relative;

/// The mark for a message's status; incoming messages get none. Our own
/// group messages say how many members have them and who read them.
pub fn status_mark(m: &Message) -> String {
    if m.direction == Direction::In {
        return String::new();
    }
    match &m.receipts {
        Some(receipts) => group_mark(m.status, receipts),
        None => mark(m.status).to_string(),
    }
}

/// The mark of an outgoing group message: "✓ delivered to 3 of 5 · read
/// by alice, bob" (✓✓ once every member has it); plain "✓ sent" in a group
/// with no one else. Sending and failed are said as for 1:1 messages.
pub fn group_mark(status: MessageStatus, r: &GroupReceipts) -> String {
    if matches!(status, MessageStatus::Sending | MessageStatus::Failed) || r.recipients == 0 {
        return mark(status).to_string();
    }
    let delivered = u32::try_from(r.delivered.len()).unwrap_or(u32::MAX);
    let check = if delivered >= r.recipients {
        "✓✓"
    } else {
        "✓"
    };
    let mut out = format!("{check} delivered to {delivered} of {}", r.recipients);
    if !r.read.is_empty() {
        let names: Vec<String> = r.read.iter().map(|u| safe(u)).collect();
        out.push_str(&format!(" · read by {}", names.join(", ")));
    }
    out
}

/// The mark for a status.
pub fn mark(status: MessageStatus) -> &'static str {
    match status {
        MessageStatus::Sending => "… sending",
        MessageStatus::Sent => "✓ sent",
        MessageStatus::Delivered => "✓✓ delivered",
        MessageStatus::Read => "✓✓ read",
        MessageStatus::Failed => "✗ failed",
    }
}

/// Who a message is from, as the reader sees it.
pub fn sender(m: &Message) -> String {
    match m.direction {
        Direction::Out => "you".to_string(),
        Direction::In => safe(&m.from),
    }
}

/// One line of a timeline before alignment.
struct Row {
    ts: i64,
    who: String,
    text: String,
    mark: String,
}

/// Who a system line is from.
const SYSTEM: &str = "--";

/// A one-line preview of a message for lists: its text, or for a file
/// its file line (the caption after it when there is room).
pub fn last_preview(m: &Message, max: usize) -> String {
    match &m.file {
        Some(file) if m.text.is_empty() => file_label(file),
        Some(file) => format!(
            "{} {}",
            file_label(file),
            preview(&m.text, max.saturating_sub(20).max(10))
        ),
        None => preview(&m.text, max),
    }
}

/// A conversation (`history`) or search results (`with_peer`: each line
/// names both sides, or the group and the sender, since results mix
/// conversations).
pub fn lines(messages: &[Message], now_ms: i64, with_peer: bool) -> String {
    timeline(messages, &[], now_ms, with_peer)
}

/// Messages (in their order) with key notices merged in by time: a notice
/// comes after the messages of its millisecond and before later ones.
pub fn timeline(messages: &[Message], notices: &[Notice], now_ms: i64, with_peer: bool) -> String {
    if messages.is_empty() && notices.is_empty() {
        return "(no messages)\n".to_string();
    }
    let mut notices: Vec<&Notice> = notices.iter().collect();
    notices.sort_by_key(|n| n.ts);
    let mut notices = notices.into_iter().peekable();
    let mut rows = Vec::with_capacity(messages.len());
    for m in messages {
        while let Some(n) = notices.next_if(|n| n.ts < m.ts) {
            rows.push(notice_row(n));
        }
        let who = match (with_peer, &m.group, m.direction) {
            (false, _, _) => sender(m),
            (true, Some(g), _) => format!("[{}] {}", safe(&g.name), sender(m)),
            (true, None, Direction::Out) => format!("you → {}", safe(&m.to)),
            (true, None, Direction::In) => format!("{} → you", safe(&m.from)),
        };
        rows.push(Row {
            ts: m.ts,
            who,
            text: message_text(m),
            mark: status_mark(m),
        });
    }
    rows.extend(notices.map(notice_row));
    let when: Vec<String> = rows.iter().map(|r| relative(r.ts, now_ms)).collect();
    let when_w = when.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let who_w = rows
        .iter()
        .map(|r| r.who.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (row, when) in rows.iter().zip(&when) {
        let text = hang(&row.text, when_w + who_w + 4);
        let (who, mark) = (&row.who, &row.mark);
        let line = format!("{when:>when_w$}  {who:<who_w$}  {text}");
        if mark.is_empty() {
            out.push_str(&line);
        } else {
            out.push_str(&format!("{line}  {mark}"));
        }
        out.push('\n');
    }
    out
}

fn notice_row(n: &Notice) -> Row {
    Row {
        ts: n.ts,
        who: SYSTEM.to_string(),
        text: notice_text(n),
        mark: String::new(),
    }
}

/// A key notice as a sentence.
pub fn notice_text(n: &Notice) -> String {
    let user = safe(&n.user);
    match n.kind {
        NoticeKind::KeyChanged => format!("{user}'s key changed"),
        NoticeKind::KeyAccepted => format!("you accepted {user}'s new key (unverified)"),
        NoticeKind::Verified => format!("you verified {user}'s key"),
    }
}

/// What to do about a key change that waits, as a closing line.
pub fn pending_change(peer: &str) -> String {
    let peer = safe(peer);
    format!(
        "{peer}'s key changed and is not accepted yet: nothing is sent to {peer} until you \
         compare the new fingerprint (`chat fingerprint {peer}`) and accept it with \
         `chat trust {peer}`.\n"
    )
}

/// The `conversations` table: peer, presence, unread count, last message.
pub fn conversations(list: &[Conversation], now_ms: i64) -> String {
    if list.is_empty() {
        return "(no conversations yet: `chat send USER TEXT` starts one)\n".to_string();
    }
    // The column is there only when it says something.
    let any_changed = list.iter().any(changed);
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let (when, last) = match &c.last {
                Some(m) => (
                    relative(m.ts, now_ms),
                    format!("{}: {}", sender(m), last_preview(m, 50)),
                ),
                None => (String::new(), String::new()),
            };
            let unread = match c.unread {
                0 => String::new(),
                n => format!("{n} new"),
            };
            let online = if c.online { "online" } else { "" };
            let mut row = vec![safe(&c.peer), online.to_string()];
            if any_changed {
                let flag = if changed(c) { "KEY CHANGED" } else { "" };
                row.push(flag.to_string());
            }
            row.extend([unread, when, last]);
            row
        })
        .collect();
    let mut align = vec![Align::Left, Align::Left];
    if any_changed {
        align.push(Align::Left);
    }
    align.extend([Align::Right, Align::Right, Align::Left]);
    let mut out = render(&rows, &align);
    if any_changed {
        out.push_str(
            "KEY CHANGED: nothing is sent until you compare the new fingerprint \
             (`chat fingerprint USER`) and accept it with `chat trust USER`.\n",
        );
    }
    out
}

/// A key change waits for this conversation's peer.
fn changed(c: &Conversation) -> bool {
    c.trust == Some(TrustState::Changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000_000;

    fn msg(direction: Direction, text: &str, status: MessageStatus, ago_s: i64) -> Message {
        let (from, to) = match direction {
            Direction::Out => ("alice", "bob"),
            Direction::In => ("bob", "alice"),
        };
        Message {
            id: "id".into(),
            from: from.into(),
            to: to.into(),
            text: text.into(),
            ts: NOW - ago_s * 1000,
            direction,
            status,
            group: None,
            receipts: None,
            file: None,
        }
    }

    #[test]
    fn a_conversation_reads_top_down_with_marks_on_our_messages() {
        let ms = vec![
            msg(Direction::Out, "hi bob", MessageStatus::Read, 300),
            msg(
                Direction::In,
                "hi!\nhow are you?",
                MessageStatus::Delivered,
                120,
            ),
            msg(Direction::Out, "fine", MessageStatus::Sent, 1),
        ];
        assert_eq!(
            lines(&ms, NOW, false),
            "  5m ago  you  hi bob  ✓✓ read\n\
             \x20 2m ago  bob  hi!\n\
             \x20              how are you?\n\
             just now  you  fine  ✓ sent\n"
        );
        assert_eq!(lines(&[], NOW, false), "(no messages)\n");
    }

    #[test]
    fn key_notices_sit_in_time_order_as_system_lines() {
        let notice = |kind, ago_s: i64| Notice {
            ts: NOW - ago_s * 1000,
            user: "bob".into(),
            kind,
            fingerprint: "00".repeat(32),
        };
        let ms = vec![
            msg(Direction::Out, "hi bob", MessageStatus::Read, 300),
            msg(Direction::In, "new phone", MessageStatus::Read, 60),
        ];
        let notices = vec![
            notice(NoticeKind::KeyAccepted, 30),
            notice(NoticeKind::KeyChanged, 120),
        ];
        let expected = [
            " 5m ago  you  hi bob  ✓✓ read",
            " 2m ago  --   bob's key changed",
            " 1m ago  bob  new phone",
            "30s ago  --   you accepted bob's new key (unverified)",
        ];
        assert_eq!(
            timeline(&ms, &notices, NOW, false),
            format!("{}\n", expected.join("\n"))
        );
        assert_eq!(
            timeline(&[], &[notice(NoticeKind::Verified, 0)], NOW, false),
            "just now  --  you verified bob's key\n"
        );
    }

    #[test]
    fn search_results_name_both_sides() {
        let ms = vec![msg(Direction::In, "x", MessageStatus::Read, 0)];
        assert_eq!(lines(&ms, NOW, true), "just now  bob → you  x\n");
    }

    fn in_team(mut m: Message) -> Message {
        m.group = Some(chatd_api::GroupRef {
            id: "6b1f0c3e-0000-4000-8000-000000000001".into(),
            name: "team".into(),
        });
        m.to = "6b1f0c3e-0000-4000-8000-000000000001".into();
        m
    }

    #[test]
    fn own_group_messages_say_how_many_have_them_and_who_read_them() {
        let mut out = in_team(msg(Direction::Out, "hi all", MessageStatus::Delivered, 60));
        out.receipts = Some(GroupReceipts {
            recipients: 5,
            delivered: vec!["alice".into(), "bob".into(), "carol".into()],
            read: vec!["alice".into(), "bob".into()],
        });
        let incoming = in_team(msg(Direction::In, "hey", MessageStatus::Read, 0));
        assert_eq!(
            lines(&[out.clone(), incoming.clone()], NOW, false),
            "  1m ago  you  hi all  ✓ delivered to 3 of 5 · read by alice, bob\n\
             just now  bob  hey\n"
        );
        assert_eq!(
            lines(&[out, incoming], NOW, true),
            "  1m ago  [team] you  hi all  ✓ delivered to 3 of 5 · read by alice, bob\n\
             just now  [team] bob  hey\n"
        );
        let all = GroupReceipts {
            recipients: 2,
            delivered: vec!["bob".into(), "carol".into()],
            read: vec![],
        };
        assert_eq!(
            group_mark(MessageStatus::Delivered, &all),
            "✓✓ delivered to 2 of 2"
        );
        let alone = GroupReceipts::default();
        assert_eq!(group_mark(MessageStatus::Sent, &alone), "✓ sent");
        assert_eq!(group_mark(MessageStatus::Sending, &all), "… sending");
    }

    #[test]
    fn every_status_has_a_mark() {
        assert_eq!(mark(MessageStatus::Delivered), "✓✓ delivered");
        assert_eq!(mark(MessageStatus::Failed), "✗ failed");
        assert_eq!(
            status_mark(&msg(Direction::In, "", MessageStatus::Read, 0)),
            ""
        );
    }

    #[test]
    fn conversations_show_presence_unread_and_a_preview() {
        let list = vec![
            Conversation {
                peer: "bob".into(),
                last: Some(msg(
                    Direction::In,
                    "see you\nlater",
                    MessageStatus::Delivered,
                    60,
                )),
                unread: 2,
                online: true,
                trust: None,
            },
            Conversation {
                peer: "carol".into(),
                last: None,
                unread: 0,
                online: false,
                trust: None,
            },
        ];
        assert_eq!(
            conversations(&list, NOW),
            "bob    online  2 new  1m ago  bob: see you …\ncarol\n"
        );
        let mut changed = list.clone();
        changed[1].trust = Some(TrustState::Changed);
        changed[0].trust = Some(TrustState::Verified);
        let text = conversations(&changed, NOW);
        assert!(
            text.starts_with(
                "bob    online               2 new  1m ago  bob: see you …\n\
                 carol          KEY CHANGED\n"
            ),
            "{text}"
        );
        assert!(text.contains("`chat trust USER`"), "{text}");
    }
}
