//! `chat send USER [TEXT]`: the text from the argument or, for pipes and
//! longer messages, from stdin.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use chatd_api::Sent;
use chatd_api::domain::MAX_TEXT_BYTES;

use super::Ctx;
use crate::cli::SendArgs;
use crate::display::event::short_id;
use crate::report::UsageError;

/// Sends one message.
pub(crate) async fn run(ctx: &Ctx, args: &SendArgs) -> anyhow::Result<()> {
    let text = match &args.text {
        Some(t) => t.clone(),
        None => read_stdin()?,
    };
    if text.trim().is_empty() {
        return Err(UsageError("nothing to send: the message is empty".into()).into());
    }
    check_length(&text)?;
    let sent = ctx.client().await?.send(&args.user, &text).await?;
    ctx.out.result(&sent, |s| describe(s, &args.user))
}

/// "Sent" or, when chatd keeps it for later, why it waits.
pub(crate) fn describe(s: &Sent, to: &str) -> String {
    let id = short_id(&s.id);
    if s.queued {
        format!(
            "Queued for {to} (message {id}): chatd sends it as soon as it is online and \
             has {to}'s key.\n"
        )
    } else {
        format!("Sent to {to} (message {id}).\n")
    }
}

/// Refuses, before anything is sent, a message longer than chatd takes.
fn check_length(text: &str) -> Result<(), UsageError> {
    if text.len() <= MAX_TEXT_BYTES {
        return Ok(());
    }
    Err(UsageError(format!(
        "the message is {} KiB; chatd sends at most {} KiB in one message, so send it in \
         parts",
        text.len().div_ceil(1024),
        MAX_TEXT_BYTES / 1024
    )))
}

/// The whole of stdin (one trailing newline dropped), refusing more than
/// one message can carry without reading all of it.
fn read_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Type the message, then Ctrl-D on a line of its own:");
    }
    // Room for the longest message and its line ending, and one byte more
    // to tell that there is more.
    let room = MAX_TEXT_BYTES + "\r\n".len() + 1;
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(room as u64)
        .read_to_end(&mut bytes)
        .context("cannot read the message from stdin")?;
    if bytes.len() == room {
        return Err(UsageError(format!(
            "the message on stdin is longer than {} KiB, the most chatd sends in one \
             message; send it in parts",
            MAX_TEXT_BYTES / 1024
        ))
        .into());
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| UsageError("the message on stdin is not UTF-8 text".into()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queued_messages_say_why() {
        let sent = Sent {
            id: "0f8a3c2e-aaaa".into(),
            queued: false,
        };
        assert_eq!(describe(&sent, "bob"), "Sent to bob (message 0f8a3c2e).\n");
        let queued = Sent {
            queued: true,
            ..sent
        };
        assert!(describe(&queued, "bob").starts_with("Queued for bob"));
    }

    #[test]
    fn a_message_over_the_limit_says_the_real_limit() {
        assert!(check_length(&"x".repeat(MAX_TEXT_BYTES)).is_ok());
        let err = check_length(&"x".repeat(2 << 20)).expect_err("2 MiB is too long");
        assert!(
            err.0.contains("2048 KiB") && err.0.contains("at most 64 KiB"),
            "{}",
            err.0
        );
    }
}
