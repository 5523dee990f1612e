//! `chat download MESSAGE_ID [DEST]`: a received file fetched and checked
//! by chatd, followed until it is in place (unless `--no-wait`); then its
//! path is printed alone on a line, so `xdg-open "$(chat download ID)"`
//! works.

use std::path::Path;

use anyhow::Context;
use chatd_api::{DownloadParams, OneTransfer, call};

use super::Ctx;
use super::follow::Watcher;
use super::send_file::path_string;
use crate::cli::DownloadArgs;
use crate::display::file::size;
use crate::display::text::safe;

/// Downloads one file.
pub(crate) async fn run(ctx: &Ctx, args: &DownloadArgs) -> anyhow::Result<()> {
    let path = match &args.dest {
        Some(dest) => {
            let absolute = std::path::absolute(Path::new(dest))
                .with_context(|| format!("cannot resolve {dest}"))?;
            Some(path_string(&absolute)?)
        }
        None => None,
    };
    let params = DownloadParams {
        id: args.id.clone(),
        path,
    };
    if args.wait.no_wait {
        let started = ctx
            .client()
            .await?
            .invoke::<call::Download>(&params)
            .await?;
        return ctx.out.result(&started, started_line);
    }
    let watcher = Watcher::start(ctx).await?;
    let started = watcher.client.invoke::<call::Download>(&params).await?;
    let transfer = watcher.wait(ctx.out, started.transfer).await?;
    ctx.out.result(&OneTransfer { transfer }, saved_line)
}

/// `--no-wait`: the download started; how to follow it.
fn started_line(t: &OneTransfer) -> String {
    format!(
        "Downloading {} ({}) (transfer {}); `chat transfers` shows how far it is.\n",
        safe(&t.transfer.name),
        size(t.transfer.size),
        safe(&t.transfer.id)
    )
}

/// The file's path, alone on its line.
fn saved_line(t: &OneTransfer) -> String {
    match &t.transfer.path {
        Some(path) => format!("{}\n", safe(path)),
        None => format!("Downloaded {}.\n", safe(&t.transfer.name)),
    }
}
