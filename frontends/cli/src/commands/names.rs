//! Group names for output about things that name a group only by its id
//! (transfers, typing, security events): people know a group by its
//! name, so chatd is asked for its groups, but only when something about
//! to be printed is in a group.

use chatd_api::Transfer;
use chatd_api::client::Client;

use crate::display::event::Known;

/// Learns the name of every group chatd knows. A failure to ask leaves
/// groups named by their ids: the output is still true, only less kind.
pub(crate) async fn learn_groups(client: &Client, names: &mut Known) {
    if let Ok(list) = client.groups().await {
        for g in list.groups {
            names.learn(&g.id, &g.name);
        }
    }
}

/// The names of the groups `transfers` are in; nothing is asked when
/// none is in a group.
pub(crate) async fn for_transfers<'a>(
    client: &Client,
    transfers: impl IntoIterator<Item = &'a Transfer>,
) -> Known {
    let mut names = Known::default();
    if transfers.into_iter().any(|t| t.group.is_some()) {
        learn_groups(client, &mut names).await;
    }
    names
}
