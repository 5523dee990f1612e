//! `send_file`, `download`, `transfers`, `transfer`, `cancel_transfer`
//! (docs/PROTOCOL.md D18): the checks a person's request needs, then
//! `core::files`, which does the work and keeps its rules.

use std::path::PathBuf;
use std::sync::Arc;

use chatd_api::{
    ApiError, Chat, DownloadParams, Empty, ErrorCode, FileSent, OneTransfer, SendFileParams,
    TransferParams, Transfers,
};

use super::groups::member_of;
use super::messages::{MAX_TEXT, ready_peer};
use super::{chat, check_user, invalid};
use crate::core::files::start::{self, Outgoing, Recipient};
use crate::core::files::{RECENT_MS, end};
use crate::core::{Core, CoreError};

pub(super) async fn send_file(core: &Arc<Core>, p: SendFileParams) -> Result<FileSent, ApiError> {
    let conversation = chat(p.to.as_deref(), p.group.as_deref(), "to")?;
    if let Some(c) = &p.caption {
        if c.trim().is_empty() {
            return Err(invalid("the caption is empty; leave it out instead"));
        }
        if c.len() > MAX_TEXT {
            return Err(invalid(format!(
                "the caption is {} bytes; at most {MAX_TEXT} are allowed",
                c.len()
            )));
        }
    }
    let source = PathBuf::from(&p.path);
    if !source.is_absolute() {
        return Err(invalid(format!(
            "{} is not an absolute path; chatd does not share your working directory",
            p.path
        )));
    }
    let name = start::display_name(&source, p.name.as_deref())?;
    let me = core
        .account()
        .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "sign up or log in first"))?;
    let to = match conversation {
        Chat::Peer(to) => {
            check_user(&to)?;
            ready_peer(core, &to, &me).await?;
            Recipient::Peer(to)
        }
        Chat::Group(group) => Recipient::Group(member_of(core, &group, &me).await?),
    };
    let (id, transfer) = start::send_file(
        core,
        Outgoing {
            me,
            to,
            source,
            name,
            caption: p.caption,
        },
    )
    .await?;
    Ok(FileSent { id, transfer })
}

pub(super) async fn download(core: &Arc<Core>, p: DownloadParams) -> Result<OneTransfer, ApiError> {
    if core.account().is_none() {
        return Err(ApiError::new(
            ErrorCode::NotLoggedIn,
            "sign up or log in first",
        ));
    }
    let dest = start::destination(core, p.path.as_deref())?;
    let transfer = start::download(core, p.id, dest).await?;
    Ok(OneTransfer { transfer })
}

pub(super) async fn transfers(core: &Core, _: Empty) -> Result<Transfers, ApiError> {
    let since = chat_proto::now_ms() - RECENT_MS;
    let transfers = core
        .db()
        .call(move |tx| {
            tx.transfers_recent(since)?
                .iter()
                .map(|r| tx.transfer_view(r))
                .collect()
        })
        .await?;
    Ok(Transfers { transfers })
}

pub(super) async fn transfer(core: &Core, p: TransferParams) -> Result<OneTransfer, ApiError> {
    let id = p.id;
    let transfer = core
        .db()
        .run(move |tx| {
            let row = tx.transfer(&id)?.ok_or_else(|| no_such(&id))?;
            Ok::<_, CoreError>(tx.transfer_view(&row)?)
        })
        .await?;
    Ok(OneTransfer { transfer })
}

pub(super) async fn cancel_transfer(
    core: &Arc<Core>,
    p: TransferParams,
) -> Result<OneTransfer, ApiError> {
    end::cancel(core, &p.id).await?;
    // Answered as it is now: cancelled, or ended before the cancel came.
    transfer(core, p).await
}

fn no_such(id: &str) -> CoreError {
    CoreError::NoSuchTransfer(format!("no transfer {id}; `chat transfers` lists them"))
}
