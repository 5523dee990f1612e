//! `chat transfers [ID]`: every transfer chatd knows (those not ended
//! first, then those that ended in the last 7 days), or one in detail.

use chatd_api::{Empty, OneTransfer, TransferParams, Transfers, call};

use super::Ctx;
use super::names::for_transfers;
use crate::cli::TransfersArgs;
use crate::display::event::Known;
use crate::display::file::{table, transfer_sentence};
use crate::display::text::safe;

/// Lists transfers, or shows one.
pub(crate) async fn run(ctx: &Ctx, args: &TransfersArgs) -> anyhow::Result<()> {
    let client = ctx.client().await?;
    match &args.id {
        None => {
            let list = client.invoke::<call::Transfers>(&Empty {}).await?;
            let names = for_transfers(&client, &list.transfers).await;
            ctx.out
                .result(&list, |l: &Transfers| table(&l.transfers, &names))
        }
        Some(id) => {
            let params = TransferParams { id: id.clone() };
            let one = client.invoke::<call::Transfer>(&params).await?;
            let names = for_transfers(&client, [&one.transfer]).await;
            ctx.out.result(&one, |t: &OneTransfer| one_line(t, &names))
        }
    }
}

/// One transfer: its sentence and the ids it ties together.
fn one_line(t: &OneTransfer, names: &Known) -> String {
    let t = &t.transfer;
    format!(
        "{}\ntransfer {}, message {}\n",
        transfer_sentence(t, names),
        safe(&t.id),
        safe(&t.message)
    )
}
