//! `chat status`: is chatd up, is it connected, who is logged in.

use chatd_api::{ConnectionState, Status};

use super::Ctx;
use crate::display::event::connection_state;
use crate::display::fingerprint::grouped;
use crate::display::table::{Align, render};
use crate::display::text::safe;

/// Asks chatd for its status.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let status = ctx.client().await?.status().await?;
    ctx.out.result(&status, describe)
}

/// The status as an aligned key/value block. While the server cannot be
/// reached the block says so and why; "not logged in" is only said when
/// chatd is connected and really is not.
pub(crate) fn describe(s: &Status) -> String {
    let mut rows = vec![vec![
        "state".to_string(),
        connection_state(s.state).to_string(),
    ]];
    let down = matches!(
        s.state,
        ConnectionState::Offline | ConnectionState::Connecting
    );
    if down {
        // chatd's error names the server and the cause ("cannot reach
        // the server at ...: connection refused").
        let why = s
            .error
            .as_deref()
            .unwrap_or("not connected to the server yet");
        rows.push(vec!["reason".to_string(), why.to_string()]);
    }
    if let Some(user) = &s.username {
        let (label, value) = match s.state {
            ConnectionState::Connected => ("account (not logged in)", user.clone()),
            _ if down && s.resume => (
                "account",
                format!("{user} (logs in by itself once the server is reached)"),
            ),
            _ => ("account", user.clone()),
        };
        rows.push(vec![label.to_string(), value]);
    }
    if !s.key_changes.is_empty() {
        let names: Vec<String> = s.key_changes.iter().map(|u| safe(u)).collect();
        rows.push(vec!["key changes".to_string(), names.join(", ")]);
    }
    rows.push(vec!["server".to_string(), s.server.clone()]);
    if let Some(f) = &s.server_fingerprint {
        rows.push(vec!["server key".to_string(), grouped(f)]);
    }
    rows.push(vec!["chatd".to_string(), s.version.clone()]);
    let mut out = render(&rows, &[Align::Left, Align::Left]);
    if let (false, Some(e)) = (down, &s.error) {
        out.push_str(&format!("last error: {e}\n"));
    }
    if !s.key_changes.is_empty() {
        out.push_str(
            "Nothing is sent to a user whose key changed until you compare the new \
             fingerprint (`chat fingerprint USER`) and accept it with `chat trust USER`.\n",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reads_as_a_block() {
        let s = Status {
            state: ConnectionState::LoggedIn,
            username: Some("alice".into()),
            server: "chat.example:7000".into(),
            server_fingerprint: Some("00112233".into()),
            version: "0.1.0".into(),
            error: None,
            key_changes: vec![],
            resume: false,
        };
        assert_eq!(
            describe(&s),
            "state       logged in\naccount     alice\nserver      chat.example:7000\n\
             server key  0011 2233\nchatd       0.1.0\n"
        );
    }

    #[test]
    fn an_unreachable_server_is_said_with_its_reason_not_as_logged_out() {
        let s = Status {
            state: ConnectionState::Offline,
            username: Some("alice".into()),
            server: "chat.example:7000".into(),
            server_fingerprint: None,
            version: "0.1.0".into(),
            error: Some("cannot reach the server at chat.example:7000: refused".into()),
            key_changes: vec![],
            resume: false,
        };
        let text = describe(&s);
        assert!(
            text.starts_with(
                "state    offline\n\
                 reason   cannot reach the server at chat.example:7000: refused\n\
                 account  alice\n"
            ),
            "{text}"
        );
        assert!(!text.contains("not logged in"), "{text}");
        let connected = Status {
            state: ConnectionState::Connected,
            error: None,
            ..s
        };
        assert!(describe(&connected).contains("account (not logged in)  alice"));
    }

    #[test]
    fn pending_key_changes_and_a_pending_resume_are_shown() {
        let s = Status {
            state: ConnectionState::Connecting,
            username: Some("alice".into()),
            server: "chat.example:7000".into(),
            server_fingerprint: None,
            version: "0.1.0".into(),
            error: None,
            key_changes: vec!["bob".into(), "carol".into()],
            resume: true,
        };
        let text = describe(&s);
        assert!(
            text.contains("account      alice (logs in by itself once the server is reached)\n"),
            "{text}"
        );
        assert!(text.contains("key changes  bob, carol\n"), "{text}");
        assert!(
            text.ends_with("accept it with `chat trust USER`.\n"),
            "{text}"
        );
    }
}
