//! One module per subcommand, each a small async function from its clap
//! arguments to output, mirroring the local API's methods one to one
//! ([`covered_by`] says which subcommand reaches which method, and a test
//! holds it to the clap definition, so a new method needs its command).

mod account;
mod cancel_transfer;
mod conversations;
mod demo;
mod download;
mod fingerprint;
mod follow;
mod group;
mod history;
mod logout;
mod message;
mod names;
mod passwd;
mod read;
mod search;
mod send;
mod send_file;
mod settings;
mod status;
mod transfers;
mod trust;
mod users;
mod verify;
mod watch;

use std::path::PathBuf;

use chatd_api::MethodKind;
use chatd_api::client::{Client, ClientError};

use crate::cli::{Cli, Command};
use crate::output::Out;

/// What every command gets: the output mode and where chatd is.
pub(crate) struct Ctx {
    /// Text or JSON.
    pub(crate) out: Out,
    socket: Option<PathBuf>,
}

impl Ctx {
    /// Connects to chatd: `--socket`, else `$CHATD_SOCKET`, else the
    /// default path.
    pub(crate) async fn client(&self) -> Result<Client, ClientError> {
        match &self.socket {
            Some(path) => Client::connect(path).await,
            None => Client::connect_default().await,
        }
    }

    /// Where chatd's socket is, as [`client`](Self::client) finds it;
    /// `None` when nothing says.
    pub(crate) fn socket(&self) -> Option<PathBuf> {
        self.socket
            .clone()
            .or_else(chatd_api::paths::default_socket)
    }
}

/// Runs the command `cli` names.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    let ctx = Ctx {
        out: Out::new(cli.json),
        // An empty `CHATD_SOCKET=` means unset, as for the default path.
        socket: cli.socket.filter(|p| !p.as_os_str().is_empty()),
    };
    match cli.command {
        Command::Status => status::run(&ctx).await,
        Command::Signup(args) => account::signup(&ctx, &args).await,
        Command::Login(args) => account::login(&ctx, &args).await,
        Command::Logout => logout::run(&ctx).await,
        Command::Passwd(args) => passwd::run(&ctx, &args).await,
        Command::Users(args) => users::run(&ctx, &args).await,
        Command::Send(args) => send::run(&ctx, &args).await,
        Command::SendFile(args) => send_file::run(&ctx, &args).await,
        Command::Download(args) => download::run(&ctx, &args).await,
        Command::Transfers(args) => transfers::run(&ctx, &args).await,
        Command::CancelTransfer(args) => cancel_transfer::run(&ctx, &args).await,
        Command::History(args) => history::run(&ctx, &args).await,
        Command::Message(args) => message::run(&ctx, &args.id).await,
        Command::Conversations => conversations::run(&ctx).await,
        Command::Read(args) => read::run(&ctx, &args).await,
        Command::Group(args) => group::run(&ctx, &args.command).await,
        Command::Groups => group::list_all(&ctx).await,
        Command::Search(args) => search::run(&ctx, &args).await,
        Command::Fingerprint(args) => fingerprint::run(&ctx, args.user.as_deref()).await,
        Command::Verify(args) => verify::run(&ctx, &args).await,
        Command::Trust(args) => trust::run(&ctx, &args.user).await,
        Command::Watch(args) => watch::run(&ctx, &args).await,
        Command::Settings(args) => settings::run(&ctx, &args).await,
        Command::Demo(args) => demo::run(ctx.out, &args).await,
    }
}

/// How the CLI reaches a local-API method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Through this subcommand (nested ones separated by a space, as typed:
    /// `group create`).
    By(&'static str),
    /// Not for people at a command line; the reason says who uses it.
    NotForPeople(&'static str),
}

/// The subcommand that reaches each local-API method. The `match` is
/// exhaustive over the closed method set, so adding a method to chatd-api
/// fails to compile here until it has a command (or a stated reason).
pub fn covered_by(method: MethodKind) -> Coverage {
    use Coverage::{By, NotForPeople};
    match method {
        MethodKind::Status => By("status"),
        MethodKind::Signup => By("signup"),
        MethodKind::Login => By("login"),
        MethodKind::Logout => By("logout"),
        MethodKind::ChangePassword => By("passwd"),
        MethodKind::Users => By("users"),
        MethodKind::Send => By("send"),
        MethodKind::History => By("history"),
        MethodKind::Message => By("message"),
        MethodKind::Conversations => By("conversations"),
        MethodKind::MarkRead => By("read"),
        MethodKind::Fingerprint => By("fingerprint"),
        MethodKind::Verify => By("verify"),
        MethodKind::Trust => By("trust"),
        MethodKind::Search => By("search"),
        MethodKind::Subscribe => By("watch"),
        MethodKind::Settings => By("settings"),
        MethodKind::SetSettings => By("settings"),
        MethodKind::Focus => NotForPeople(
            "set by frontends that show one conversation (chat-tui, chat-gui) so that \
             chat-notify stays quiet about it; a command line shows none",
        ),
        MethodKind::GroupCreate => By("group create"),
        MethodKind::GroupAdd => By("group add"),
        MethodKind::GroupRemove => By("group remove"),
        MethodKind::GroupLeave => By("group leave"),
        MethodKind::GroupAdmin => By("group admin"),
        MethodKind::Groups => By("group list"),
        MethodKind::GroupInfo => By("group info"),
        MethodKind::Typing => NotForPeople(
            "says \"typing...\" while a person types into a frontend that has an input line \
             (chat-tui, chat-gui); a command gets its text whole, so there is no typing to \
             tell (`chat watch --typing` shows others typing)",
        ),
        MethodKind::SendFile => By("send-file"),
        MethodKind::Download => By("download"),
        MethodKind::Transfers => By("transfers"),
        MethodKind::Transfer => By("transfers"),
        MethodKind::CancelTransfer => By("cancel-transfer"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_method_has_a_subcommand_that_exists() {
        let cli = Cli::command();
        for method in MethodKind::ALL {
            match covered_by(*method) {
                Coverage::By(name) => assert!(
                    name.split(' ')
                        .try_fold(&cli, |c, sub| c.find_subcommand(sub))
                        .is_some(),
                    "`{}` is covered by `chat {name}`, which the clap definition lacks",
                    method.name()
                ),
                Coverage::NotForPeople(why) => assert!(!why.trim().is_empty()),
            }
        }
    }
}
