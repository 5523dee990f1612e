//! `chat search QUERY`: full-text search of the local history, every
//! conversation (groups included) or one (`--peer`, `--group`).

use chatd_api::SearchParams;

use super::Ctx;
use crate::cli::SearchArgs;
use crate::display::message::lines;
use crate::display::time::now_ms;

/// Searches, best match first.
pub(crate) async fn run(ctx: &Ctx, args: &SearchArgs) -> anyhow::Result<()> {
    let params = SearchParams {
        query: args.query.clone(),
        peer: args.peer.clone(),
        group: args.group.clone(),
        // As `history -n 0`: chatd reads 0 as 1, so ask for one and show
        // none.
        limit: args.limit.map(|n| n.max(1)),
    };
    let mut found = ctx.client().await?.search(&params).await?;
    if args.limit == Some(0) {
        found.messages.clear();
    }
    ctx.out
        .result(&found, |f| lines(&f.messages, now_ms(), true))
}
