//! One module per subcommand, each a small async function from its clap
//! arguments to output, mirroring the local API's methods one to one.

mod account;
mod conversations;
mod demo;
mod fingerprint;
mod history;
mod logout;
mod passwd;
mod read;
mod search;
mod send;
mod status;
mod trust;
mod users;
mod verify;
mod watch;

use std::path::PathBuf;

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
        Command::History(args) => history::run(&ctx, &args).await,
        Command::Conversations => conversations::run(&ctx).await,
        Command::Read(args) => read::run(&ctx, &args.user).await,
        Command::Search(args) => search::run(&ctx, &args).await,
        Command::Fingerprint(args) => fingerprint::run(&ctx, args.user.as_deref()).await,
        Command::Verify(args) => verify::run(&ctx, &args).await,
        Command::Trust(args) => trust::run(&ctx, &args.user).await,
        Command::Watch(args) => watch::run(&ctx, &args).await,
        Command::Demo(args) => demo::run(ctx.out, &args).await,
    }
}
