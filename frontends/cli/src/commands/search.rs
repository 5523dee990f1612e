//! `chat search QUERY`: full-text search of the local history.

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
        limit: args.limit,
    };
    let found = ctx.client().await?.search(&params).await?;
    ctx.out
        .result(&found, |f| lines(&f.messages, now_ms(), true))
}
