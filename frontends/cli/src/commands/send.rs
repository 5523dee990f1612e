//! `chat send USER [TEXT]` and `chat send --group GROUP [TEXT]`: the text
//! from the argument or, for pipes and longer messages, from stdin.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use chatd_api::domain::MAX_TEXT_BYTES;
use chatd_api::{Chat, Sent};

use super::Ctx;
use crate::cli::SendArgs;
use crate::display::event::short_id;
use crate::display::text::safe;
use crate::report::UsageError;

/// Sends one message.
pub(crate) async fn run(ctx: &Ctx, args: &SendArgs) -> anyhow::Result<()> {
    let (chat, text) = args.target().map_err(UsageError)?;
    let text = match text {
        Some(t) => t.to_string(),
        None => read_stdin()?,
    };
    if text.trim().is_empty() {
        return Err(UsageError("nothing to send: the message is empty".into()).into());
    }
    check_length(&text)?;
    let sent = ctx.client().await?.send_in(&chat, &text).await?;
    ctx.out.result(&sent, |s| describe(s, &chat))
}

/// "Sent" or, when chatd keeps it for later, why it waits.
pub(crate) fn describe(s: &Sent, chat: &Chat) -> String {
    let id = short_id(&s.id);
    let to = match chat {
        Chat::Peer(user) => safe(user),
        Chat::Group(group) => {
            let group = safe(group);
            return if s.queued {
                format!(
                    "Queued for {group} (message {id}): chatd sends it to every member as soon \
                     as it is online.\n"
                )
            } else {
                format!("Sent to {group} (message {id}).\n")
            };
        }
    };
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
        let bob = Chat::peer("bob");
        assert_eq!(describe(&sent, &bob), "Sent to bob (message 0f8a3c2e).\n");
        assert_eq!(
            describe(&sent, &Chat::group("team")),
            "Sent to team (message 0f8a3c2e).\n"
        );
        let queued = Sent {
            queued: true,
            ..sent
        };
        assert!(describe(&queued, &bob).starts_with("Queued for bob"));
        assert!(describe(&queued, &Chat::group("team")).contains("every member"));
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
