//! `chat status`: is chatd up, is it connected, who is logged in.

use chatd_api::{ConnectionState, Status};

use super::Ctx;
use crate::display::event::connection_state;
use crate::display::fingerprint::grouped;
use crate::display::table::{Align, render};

/// Asks chatd for its status.
pub(crate) async fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let status = ctx.client().await?.status().await?;
    ctx.out.result(&status, describe)
}

/// The status as an aligned key/value block.
pub(crate) fn describe(s: &Status) -> String {
    let mut rows = vec![vec![
        "state".to_string(),
        connection_state(s.state).to_string(),
    ]];
    if let Some(user) = &s.username {
        let label = match s.state {
            ConnectionState::LoggedIn => "account",
            _ => "account (not logged in)",
        };
        rows.push(vec![label.to_string(), user.clone()]);
    }
    rows.push(vec!["server".to_string(), s.server.clone()]);
    if let Some(f) = &s.server_fingerprint {
        rows.push(vec!["server key".to_string(), grouped(f)]);
    }
    rows.push(vec!["chatd".to_string(), s.version.clone()]);
    let mut out = render(&rows, &[Align::Left, Align::Left]);
    if let Some(e) = &s.error {
        out.push_str(&format!("last error: {e}\n"));
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
    fn a_connection_error_is_shown_last() {
        let s = Status {
            state: ConnectionState::Offline,
            username: None,
            server: "chat.example:7000".into(),
            server_fingerprint: None,
            version: "0.1.0".into(),
            error: Some("server key mismatch".into()),
            key_changes: vec![],
            resume: false,
        };
        assert!(describe(&s).ends_with("last error: server key mismatch\n"));
    }
}
