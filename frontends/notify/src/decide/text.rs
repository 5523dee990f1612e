//! The words of a notification, kept apart from the grouping logic so that
//! what a person reads (and what never reaches the screen: control
//! characters, endless lines) is decided and tested in one place.

use chatd_api::SecurityReason;

/// Characters of one message shown in a preview before it is cut.
pub const PREVIEW_CHARS: usize = 120;

/// Text from the network made safe for one line of a notification:
/// control characters and runs of whitespace become one space, and the
/// result is cut at `max` characters with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let mut flat = String::new();
    for word in text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !flat.is_empty() {
            flat.push(' ');
        }
        flat.push_str(word);
        if flat.len() > max.saturating_mul(4) {
            // Enough to fill `max` characters; the rest is never shown.
            break;
        }
    }
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

/// The summary line of a group of messages from `from`.
pub fn messages_summary(from: &str, count: u32) -> String {
    let from = one_line(from, 64);
    if count <= 1 {
        format!("New message from {from}")
    } else {
        format!("{count} new messages from {from}")
    }
}

/// The summary line of a group of messages in the group `group`, the
/// last of them from `from`: "alice in team", then "3 new messages in
/// team" (the body says who wrote what).
pub fn group_summary(from: &str, group: &str, count: u32) -> String {
    let group = one_line(group, 64);
    if count <= 1 {
        format!("{} in {group}", one_line(from, 64))
    } else {
        format!("{count} new messages in {group}")
    }
}

/// Characters of a file's name shown before it is cut.
pub const FILE_NAME_CHARS: usize = 80;

/// The summary line of one file from `from` ("bob sent photo.jpg"), in a
/// group when `group` is given ("bob in team sent photo.jpg"). `name` is
/// `None` when previews are off: the file's name is content too, so it
/// says only "a file".
pub fn file_summary(from: &str, group: Option<&str>, name: Option<&str>) -> String {
    let from = one_line(from, 64);
    let what = name.map_or_else(|| "a file".to_string(), file_name);
    match group {
        Some(group) => format!("{from} in {} sent {what}", one_line(group, 64)),
        None => format!("{from} sent {what}"),
    }
}

/// A file's name from the network, safe for one line: whitespace and
/// control characters flattened, cut long, and never empty.
pub fn file_name(name: &str) -> String {
    let name = one_line(name, FILE_NAME_CHARS);
    if name.is_empty() {
        "a file".to_string()
    } else {
        name
    }
}

/// The preview line of a file in a burst: "sent photo.jpg", or with its
/// caption "sent photo.jpg: look".
pub fn file_preview(name: &str, caption: &str) -> String {
    let caption = one_line(caption, PREVIEW_CHARS);
    if caption.is_empty() {
        format!("sent {}", file_name(name))
    } else {
        format!("sent {}: {caption}", file_name(name))
    }
}

/// The summary line when `by` added us to `group`.
pub fn added_summary(by: &str, group: &str) -> String {
    format!("{} added you to {}", one_line(by, 64), one_line(group, 64))
}

/// What being added means.
pub fn added_body(group: &str) -> String {
    format!(
        "You are a member of {} now: you get its messages and can write to it.",
        one_line(group, 64)
    )
}

/// The summary line when `by` removed us from `group`.
pub fn removed_summary(by: &str, group: &str) -> String {
    format!(
        "{} removed you from {}",
        one_line(by, 64),
        one_line(group, 64)
    )
}

/// What being removed means.
pub fn removed_body(group: &str) -> String {
    format!(
        "You get nothing more from {}; its history stays readable.",
        one_line(group, 64)
    )
}

/// The summary line when `user`'s identity key changed.
pub fn key_changed_summary(user: &str) -> String {
    format!("{}'s key changed", one_line(user, 64))
}

/// What to do about a changed key, in words a person can act on.
pub fn key_changed_body(user: &str) -> String {
    let user = one_line(user, 64);
    format!(
        "Messages to and from {user} are held until you check the new key. Compare \
         `chat fingerprint {user}` with {user} in person, then run `chat verify {user} \
         FINGERPRINT`, or `chat trust {user}` to accept it unverified."
    )
}

/// The summary line of `count` security alerts about `user`.
pub fn security_summary(user: &str, count: u32) -> String {
    let user = one_line(user, 64);
    if count <= 1 {
        format!("Security alert about {user}")
    } else {
        format!("{count} security alerts about {user}")
    }
}

/// A security event's reason (docs/PROTOCOL.md D5) as a sentence.
pub fn security_body(user: &str, reason: &SecurityReason) -> String {
    let user = one_line(user, 64);
    let what = match reason {
        SecurityReason::BadSignature => format!(
            "A message claiming to be from {user} failed its signature check: it was forged, \
             or not meant for you"
        ),
        SecurityReason::BadTag => format!("A message from {user} was altered on the way"),
        SecurityReason::Replayed => {
            format!("A message from {user} was sent again by someone (a replay)")
        }
        SecurityReason::UnwrapFailed => {
            format!("A session key from {user} could not be decrypted")
        }
        SecurityReason::OwnKeyMismatch => format!(
            "The server holds another key for your account {user}: someone logged in to it with \
             another key. Change your password, then log in again"
        ),
        SecurityReason::RetiredKey => {
            format!("A message from {user} used a session key that was retired")
        }
        SecurityReason::MalformedEnvelope | SecurityReason::MalformedPayload => {
            format!("A malformed message claiming to be from {user} arrived")
        }
        SecurityReason::Unknown(other) => format!(
            "chatd refused a message from {user} ({})",
            one_line(other, 40)
        ),
        group => format!("From {user}: {}", group.describe()),
    };
    format!("{what}. It was dropped; nothing else is needed unless this repeats.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_collapses_whitespace_and_controls() {
        assert_eq!(one_line("  hello\n\n  world\t!  ", 100), "hello world !");
        assert_eq!(one_line("a\u{7}b\u{1b}[31mc", 100), "a b [31mc");
        assert_eq!(one_line("", 10), "");
        assert_eq!(one_line(" \n ", 10), "");
    }

    #[test]
    fn one_line_cuts_at_the_limit_with_an_ellipsis() {
        assert_eq!(one_line("abcdef", 6), "abcdef");
        assert_eq!(one_line("abcdefg", 6), "abcde…");
        assert_eq!(one_line("abc defg", 6), "abc d…");
        assert_eq!(one_line("abcde fg", 6), "abcde…");
        assert_eq!(one_line("ééééééé", 6).chars().count(), 6);
    }

    #[test]
    fn summaries_count_and_name() {
        assert_eq!(messages_summary("bob", 1), "New message from bob");
        assert_eq!(messages_summary("bob", 3), "3 new messages from bob");
        assert_eq!(group_summary("alice", "team", 1), "alice in team");
        assert_eq!(group_summary("bob", "team", 3), "3 new messages in team");
        assert_eq!(added_summary("alice", "team"), "alice added you to team");
        assert_eq!(
            removed_summary("alice", "te\nam"),
            "alice removed you from te am"
        );
        assert_eq!(security_summary("eve", 2), "2 security alerts about eve");
        assert_eq!(key_changed_summary("bob"), "bob's key changed");
        assert!(key_changed_body("bob").contains("chat verify bob"));
        assert!(security_body("bob", &SecurityReason::BadTag).contains("altered"));
        let new = SecurityReason::from_code("something_new");
        assert_eq!(
            file_summary("bob", None, Some("photo.jpg")),
            "bob sent photo.jpg"
        );
        assert_eq!(
            file_summary("bob", Some("team"), Some("photo.jpg")),
            "bob in team sent photo.jpg"
        );
        assert_eq!(file_summary("bob", None, None), "bob sent a file");
        assert_eq!(file_preview("a.txt", ""), "sent a.txt");
        assert_eq!(file_preview("a.txt", "see\nthis"), "sent a.txt: see this");
        assert!(security_body("bob", &new).contains("something_new"));
    }
}
