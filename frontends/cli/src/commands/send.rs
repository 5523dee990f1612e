//! `chat send USER [TEXT]`: the text from the argument or, for pipes and
//! longer messages, from stdin.

use std::io::{IsTerminal, Read};

use anyhow::Context;
use chatd_api::{MAX_LINE, Sent};

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

/// The whole of stdin (one trailing newline dropped), refusing more than a
/// local-API line can carry.
fn read_stdin() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Type the message, then Ctrl-D on a line of its own:");
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(MAX_LINE as u64 + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the message from stdin")?;
    if bytes.len() > MAX_LINE {
        return Err(UsageError(format!(
            "the message on stdin is longer than {} KiB; send less at once",
            MAX_LINE / 1024
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
}
