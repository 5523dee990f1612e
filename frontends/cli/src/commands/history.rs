//! `chat history USER` and `chat history --group GROUP`: a conversation,
//! oldest first, with chatd's key notices in their place, a warning while a
//! key change waits, our group messages' receipts, and a pointer to the
//! page before when there may be more.

use chatd_api::{Chat, HistoryParams, Messages, TrustState};

use super::Ctx;
use crate::cli::HistoryArgs;
use crate::display::message::{pending_change, timeline};
use crate::display::text::safe;
use crate::display::time::now_ms;

/// chatd's page size when `--limit` is not given (PROTOCOL.md §3).
const DEFAULT_LIMIT: u32 = 50;

/// Shows one conversation.
pub(crate) async fn run(ctx: &Ctx, args: &HistoryArgs) -> anyhow::Result<()> {
    let chat = args.chat();
    let params = HistoryParams {
        peer: chat.as_peer().map(str::to_string),
        group: chat.as_group().map(str::to_string),
        // chatd reads a limit of 0 as 1 (PROTOCOL.md §3); `-n 0` still
        // asks, so its errors are those of any other `history`, and then
        // shows nothing, as a script expects.
        limit: args.limit.map(|n| n.max(1)),
        before: args.before.map(|w| w.ms(now_ms())),
    };
    let client = ctx.client().await?;
    let mut page = client.history(&params).await?;
    if args.limit == Some(0) {
        page.messages.clear();
        page.notices.clear();
    }
    let limit = args.limit.unwrap_or(DEFAULT_LIMIT);
    if ctx.out.json() {
        // The page as chatd gave it: its notices say what happened; the
        // state now is `chat conversations --json`'s `trust`.
        return ctx.out.json_line(&page);
    }
    // Whether a key change waits now, whatever page this is (a group's
    // members' keys are in `chat group info`).
    let pending = match &chat {
        Chat::Peer(peer) => client
            .conversations()
            .await?
            .conversations
            .iter()
            .any(|c| c.peer == *peer && c.trust == Some(TrustState::Changed)),
        Chat::Group(_) => false,
    };
    ctx.out
        .result(&page, |p| describe(p, &chat, limit, pending, now_ms()))
}

/// The messages and notices, what a waiting key change means, and how to
/// see older ones when the page was full.
pub(crate) fn describe(
    page: &Messages,
    chat: &Chat,
    limit: u32,
    pending: bool,
    now_ms: i64,
) -> String {
    let mut out = timeline(&page.messages, &page.notices, now_ms, false);
    if let (true, Chat::Peer(peer)) = (pending, chat) {
        out.push_str(&pending_change(peer));
    }
    let full = u32::try_from(page.messages.len()).is_ok_and(|n| n >= limit && n > 0);
    if let (true, Some(oldest)) = (full, page.messages.first()) {
        let which = match chat {
            Chat::Peer(peer) => safe(peer),
            Chat::Group(group) => format!("--group {}", safe(group)),
        };
        out.push_str(&format!(
            "(older messages: chat history {which} --before {})\n",
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
            group: None,
            receipts: None,
            file: None,
        };
        let page = Messages {
            messages: vec![m.clone()],
            notices: vec![],
        };
        let bob = Chat::peer("bob");
        let text = describe(&page, &bob, 1, false, 100_000_000_000);
        assert!(
            text.ends_with("(older messages: chat history bob --before 1000)\n"),
            "{text}"
        );
        let text = describe(&page, &Chat::group("team"), 1, false, 100_000_000_000);
        assert!(
            text.ends_with("(older messages: chat history --group team --before 1000)\n"),
            "{text}"
        );
        assert!(!describe(&page, &bob, 50, false, 0).contains("older"));
        let pending = describe(&page, &bob, 50, true, 0);
        assert!(pending.contains("`chat trust bob`"), "{pending}");
    }
}
