//! `chat history USER`: a conversation, oldest first, with a pointer to
//! the page before when there may be more.

use chatd_api::{HistoryParams, Messages};

use super::Ctx;
use crate::cli::HistoryArgs;
use crate::display::message::lines;
use crate::display::time::now_ms;

/// chatd's page size when `--limit` is not given (PROTOCOL.md §3).
const DEFAULT_LIMIT: u32 = 50;

/// Shows one conversation.
pub(crate) async fn run(ctx: &Ctx, args: &HistoryArgs) -> anyhow::Result<()> {
    let params = HistoryParams {
        peer: args.user.clone(),
        // chatd reads a limit of 0 as 1 (PROTOCOL.md §3); `-n 0` still
        // asks, so its errors are those of any other `history`, and then
        // shows nothing, as a script expects.
        limit: args.limit.map(|n| n.max(1)),
        before: args.before.map(|w| w.ms(now_ms())),
    };
    let mut page = ctx.client().await?.history(&params).await?;
    if args.limit == Some(0) {
        page.messages.clear();
    }
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    ctx.out
        .result(&page, |p| describe(p, &args.user, limit, now_ms()))
}

/// The messages, and how to see older ones when the page was full.
pub(crate) fn describe(page: &Messages, peer: &str, limit: u32, now_ms: i64) -> String {
    let mut out = lines(&page.messages, now_ms, false);
    let full = u32::try_from(page.messages.len()).is_ok_and(|n| n >= limit && n > 0);
    if let (true, Some(oldest)) = (full, page.messages.first()) {
        out.push_str(&format!(
            "(older messages: chat history {peer} --before {})\n",
            oldest.ts
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::{Direction, Message, MessageStatus};

    #[test]
    fn a_full_page_points_to_the_previous_one() {
        let m = Message {
            id: "1".into(),
            from: "bob".into(),
            to: "alice".into(),
            text: "hi".into(),
            ts: 1_000,
            direction: Direction::In,
            status: MessageStatus::Read,
        };
        let page = Messages {
            messages: vec![m.clone()],
            notices: vec![],
        };
        let text = describe(&page, "bob", 1, 100_000_000_000);
        assert!(
            text.ends_with("(older messages: chat history bob --before 1000)\n"),
            "{text}"
        );
        assert!(!describe(&page, "bob", 50, 0).contains("older"));
    }
}
