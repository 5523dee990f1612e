//! `chat cancel-transfer ID`: stops an upload (its message is not sent) or
//! a download (nothing is kept); one that already ended is left as it is.

use chatd_api::{OneTransfer, TransferParams, call};

use super::Ctx;
use super::names::for_transfers;
use crate::cli::TransferIdArg;
use crate::display::file::transfer_sentence;

/// Cancels one transfer.
pub(crate) async fn run(ctx: &Ctx, args: &TransferIdArg) -> anyhow::Result<()> {
    let params = TransferParams {
        id: args.id.clone(),
    };
    let client = ctx.client().await?;
    let after = client.invoke::<call::CancelTransfer>(&params).await?;
    let names = for_transfers(&client, [&after.transfer]).await;
    ctx.out.result(&after, |t: &OneTransfer| {
        format!("{}\n", transfer_sentence(&t.transfer, &names))
    })
}
