//! Messages as lines of a conversation: when, who, what, and for our own
//! messages how far they got (✓ sent, ✓✓ delivered, ✓✓ read).

use chatd_api::{Conversation, Direction, Message, MessageStatus};

use super::table::{Align, render};
use super::text::{hang, preview, safe};
use super::time::relative;

/// The mark for a message's status; incoming messages get none.
pub fn status_mark(m: &Message) -> &'static str {
    if m.direction == Direction::In {
        return "";
    }
    mark(m.status)
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
fn sender(m: &Message) -> String {
    match m.direction {
        Direction::Out => "you".to_string(),
        Direction::In => safe(&m.from),
    }
}

/// A conversation (`history`) or search results (`with_peer`: each line
/// names both sides, since results mix conversations).
pub fn lines(messages: &[Message], now_ms: i64, with_peer: bool) -> String {
    if messages.is_empty() {
        return "(no messages)\n".to_string();
    }
    let when: Vec<String> = messages.iter().map(|m| relative(m.ts, now_ms)).collect();
    let who: Vec<String> = messages
        .iter()
        .map(|m| match (with_peer, m.direction) {
            (false, _) => sender(m),
            (true, Direction::Out) => format!("you → {}", safe(&m.to)),
            (true, Direction::In) => format!("{} → you", safe(&m.from)),
        })
        .collect();
    let when_w = when.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let who_w = who.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for ((m, when), who) in messages.iter().zip(&when).zip(&who) {
        let text = hang(&safe(&m.text), when_w + who_w + 4);
        let mark = status_mark(m);
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

/// The `conversations` table: peer, presence, unread count, last message.
pub fn conversations(list: &[Conversation], now_ms: i64) -> String {
    if list.is_empty() {
        return "(no conversations yet: `chat send USER TEXT` starts one)\n".to_string();
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let (when, last) = match &c.last {
                Some(m) => (
                    relative(m.ts, now_ms),
                    format!("{}: {}", sender(m), preview(&m.text, 50)),
                ),
                None => (String::new(), String::new()),
            };
            let unread = match c.unread {
                0 => String::new(),
                n => format!("{n} new"),
            };
            let online = if c.online { "online" } else { "" };
            vec![safe(&c.peer), online.to_string(), unread, when, last]
        })
        .collect();
    render(
        &rows,
        &[
            Align::Left,
            Align::Left,
            Align::Right,
            Align::Right,
            Align::Left,
        ],
    )
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
    fn search_results_name_both_sides() {
        let ms = vec![msg(Direction::In, "x", MessageStatus::Read, 0)];
        assert_eq!(lines(&ms, NOW, true), "just now  bob → you  x\n");
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
    }
}
