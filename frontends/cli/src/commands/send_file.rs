//! `chat send-file USER PATH` and `chat send-file --group GROUP PATH`: the
//! path made absolute against our working directory (chatd has its own),
//! checked here so a typo gets a plain answer, then sent and, unless
//! `--no-wait`, followed until the upload ends.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chatd_api::{Chat, FileSent, SendFileParams, call};

use super::Ctx;
use super::follow::Watcher;
use crate::cli::SendFileArgs;
use crate::display::event::short_id;
use crate::display::file::size;
use crate::display::text::safe;
use crate::report::UsageError;

/// Sends one file.
pub(crate) async fn run(ctx: &Ctx, args: &SendFileArgs) -> anyhow::Result<()> {
    let (chat, path) = args.target().map_err(UsageError)?;
    let path = readable_file(Path::new(path))?;
    let params = SendFileParams {
        to: chat.as_peer().map(str::to_string),
        group: chat.as_group().map(str::to_string),
        path: path_string(&path)?,
        caption: args.caption.clone(),
        name: args.name.clone(),
    };
    if args.wait.no_wait {
        let sent = ctx
            .client()
            .await?
            .invoke::<call::SendFile>(&params)
            .await?;
        return ctx.out.result(&sent, |s| started(s, &chat));
    }
    let watcher = Watcher::start(ctx).await?;
    let sent = watcher.client.invoke::<call::SendFile>(&params).await?;
    let transfer = watcher.wait(ctx.out, sent.transfer).await?;
    let done = FileSent {
        id: sent.id,
        transfer,
    };
    ctx.out.result(&done, |s| sent_line(s, &chat))
}

/// `path` made absolute against the current directory, once it is known
/// to be a file we can open.
pub(crate) fn readable_file(path: &Path) -> anyhow::Result<PathBuf> {
    let absolute =
        std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))?;
    let meta =
        std::fs::metadata(&absolute).with_context(|| format!("cannot send {}", path.display()))?;
    if meta.is_dir() {
        return Err(UsageError(format!(
            "{} is a directory; send one file (an archive of it, for example)",
            path.display()
        ))
        .into());
    }
    std::fs::File::open(&absolute).with_context(|| format!("cannot send {}", path.display()))?;
    Ok(absolute)
}

/// The path as the local API takes it (UTF-8).
pub(crate) fn path_string(path: &Path) -> anyhow::Result<String> {
    match path.to_str() {
        Some(s) => Ok(s.to_string()),
        None => Err(UsageError(format!(
            "{} is not a UTF-8 path, which chatd cannot be told; rename or link it",
            path.display()
        ))
        .into()),
    }
}

/// Whom, in words.
fn to(chat: &Chat) -> String {
    match chat {
        Chat::Peer(user) => safe(user),
        Chat::Group(group) => safe(group),
    }
}

/// `--no-wait`: the upload started; how to follow it.
fn started(s: &FileSent, chat: &Chat) -> String {
    format!(
        "Sending {} ({}) to {} (message {}, transfer {}); `chat transfers` shows how far it \
         is.\n",
        safe(&s.transfer.name),
        size(s.transfer.size),
        to(chat),
        short_id(&s.id),
        safe(&s.transfer.id)
    )
}

/// Uploaded and sent.
fn sent_line(s: &FileSent, chat: &Chat) -> String {
    format!(
        "Sent {} ({}) to {} (message {}).\n",
        safe(&s.transfer.name),
        size(s.transfer.size),
        to(chat),
        short_id(&s.id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::{Transfer, TransferDirection, TransferState};

    #[test]
    fn a_missing_file_or_a_directory_is_refused_here() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("nope.jpg");
        let err = readable_file(&missing).expect_err("missing");
        assert!(format!("{err:#}").contains("No such file"), "{err:#}");
        let err = readable_file(dir.path()).expect_err("a directory");
        assert!(err.to_string().contains("is a directory"), "{err}");
        let file = dir.path().join("a.txt");
        std::fs::write(&file, b"hi").expect("write");
        assert_eq!(readable_file(&file).expect("a file"), file);
    }

    #[test]
    fn relative_paths_are_made_absolute() {
        let cwd = std::env::current_dir().expect("cwd");
        // Cargo runs unit tests in the crate's directory.
        let got = readable_file(Path::new("Cargo.toml")).expect("the manifest");
        assert_eq!(got, cwd.join("Cargo.toml"));
        assert!(got.is_absolute());
    }

    #[test]
    fn the_lines_name_the_file_its_size_and_the_message() {
        let s = FileSent {
            id: "0f8a3c2e-1111".into(),
            transfer: Transfer {
                id: "7d9e0b1a-2222".into(),
                message: "0f8a3c2e-1111".into(),
                direction: TransferDirection::Upload,
                peer: Some("bob".into()),
                group: None,
                name: "a\x1b.txt".into(),
                size: 2_000,
                bytes: 0,
                total: 4_096,
                state: TransferState::Waiting,
                error: None,
                path: None,
                created: 0,
                updated: 0,
            },
        };
        let bob = Chat::peer("bob");
        assert_eq!(
            sent_line(&s, &bob),
            "Sent a\\u{1b}.txt (2.0 kB) to bob (message 0f8a3c2e).\n"
        );
        assert!(started(&s, &bob).contains("transfer 7d9e0b1a-2222"));
    }
}
