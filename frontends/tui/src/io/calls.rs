//! Turns the app's [`Request`]s into chatd-api calls and the results into
//! [`Outcome`]s: the only place that knows both.

use std::path::{Path, PathBuf};

use chatd_api::{
    Client, ClientError, DownloadParams, GroupInfo, HistoryParams, SearchParams, SendFileParams,
    SettingsPatch, TransferParams, UsersParams, call,
};

use crate::app::chat::PAGE;
use crate::app::{Answer, Failure, Outcome, Request};

/// Most users listed as online.
const ONLINE_LIMIT: u32 = 200;

/// Runs one request.
pub async fn execute(client: &Client, request: &Request) -> Outcome {
    let page = u32::try_from(PAGE).unwrap_or(50);
    let answer = match request {
        Request::Status => Answer::Status(client.status().await.map_err(failure)?),
        Request::Login { username, password } => {
            Answer::LoggedIn(client.login(username, &password.0).await.map_err(failure)?)
        }
        Request::Signup { username, password } => Answer::LoggedIn(
            client
                .signup(username, &password.0)
                .await
                .map_err(failure)?,
        ),
        Request::Conversations => {
            Answer::Conversations(client.conversations().await.map_err(failure)?.conversations)
        }
        Request::OnlineUsers => {
            let params = UsersParams {
                prefix: None,
                limit: Some(ONLINE_LIMIT),
                online_only: Some(true),
            };
            Answer::Users(client.users(&params).await.map_err(failure)?.users)
        }
        Request::History { chat, before } => {
            let params = HistoryParams {
                peer: chat.as_peer().map(str::to_string),
                group: chat.as_group().map(str::to_string),
                limit: Some(page),
                before: *before,
            };
            Answer::History(client.history(&params).await.map_err(failure)?)
        }
        Request::Send { chat, text } => {
            Answer::Sent(client.send_in(chat, text).await.map_err(failure)?)
        }
        Request::MarkRead { chat, up_to } => {
            client
                .mark_read_in(chat, up_to.as_deref())
                .await
                .map_err(failure)?;
            Answer::Done
        }
        Request::Settings => Answer::Settings(client.settings().await.map_err(failure)?),
        Request::SetReceipts { on } => {
            let patch = SettingsPatch {
                read_receipts: Some(*on),
                typing_indicators: None,
            };
            Answer::Settings(client.set_settings(&patch).await.map_err(failure)?)
        }
        Request::SetTyping { on } => {
            let patch = SettingsPatch {
                read_receipts: None,
                typing_indicators: Some(*on),
            };
            Answer::Settings(client.set_settings(&patch).await.map_err(failure)?)
        }
        Request::Fingerprint { user } => {
            Answer::Fingerprint(client.fingerprint(user.as_deref()).await.map_err(failure)?)
        }
        Request::Verify { user, fingerprint } => {
            Answer::Trust(client.verify(user, fingerprint).await.map_err(failure)?)
        }
        Request::Trust { user } => Answer::Trust(client.trust(user).await.map_err(failure)?),
        Request::Search { query } => {
            let params = SearchParams {
                query: query.clone(),
                peer: None,
                group: None,
                limit: Some(page),
            };
            Answer::Messages(client.search(&params).await.map_err(failure)?.messages)
        }
        Request::Focus { chat } => {
            client.focus_on(chat.as_ref()).await.map_err(failure)?;
            Answer::Done
        }
        Request::Typing { chat } => {
            client.typing(chat).await.map_err(failure)?;
            Answer::Done
        }
        Request::Groups => Answer::Groups(client.groups().await.map_err(failure)?.groups),
        Request::GroupInfo { group } => group_answer(client.group_info(group).await)?,
        Request::GroupCreate { name, members } => {
            group_answer(client.group_create(name, members).await)?
        }
        Request::GroupAdd { group, users } => group_answer(client.group_add(group, users).await)?,
        Request::GroupRemove { group, users } => {
            group_answer(client.group_remove(group, users).await)?
        }
        Request::GroupLeave { group } => group_answer(client.group_leave(group).await)?,
        Request::GroupAdmin { group, user, admin } => {
            group_answer(client.group_admin(group, user, *admin).await)?
        }
        Request::SendFile {
            chat,
            path,
            caption,
        } => {
            let params = SendFileParams {
                to: chat.as_peer().map(str::to_string),
                group: chat.as_group().map(str::to_string),
                path: absolute(path)?,
                caption: caption.clone(),
                name: None,
            };
            let sent = client.invoke::<call::SendFile>(&params).await;
            Answer::FileSent(sent.map_err(failure)?)
        }
        Request::Download { id, .. } => {
            let params = DownloadParams {
                id: id.clone(),
                path: None,
            };
            let started = client.invoke::<call::Download>(&params).await;
            Answer::Transfer(started.map_err(failure)?.transfer)
        }
        Request::CancelTransfer { id } => {
            let params = TransferParams { id: id.clone() };
            let after = client.invoke::<call::CancelTransfer>(&params).await;
            Answer::Transfer(after.map_err(failure)?.transfer)
        }
    };
    Ok(answer)
}

/// A path typed into `/send-file` as chatd takes it: absolute (chatd has
/// its own working directory), with a leading `~/` for the home directory.
fn absolute(typed: &str) -> Result<String, Failure> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = match (typed.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(typed),
    };
    let path = std::path::absolute(Path::new(&path))
        .map_err(|e| Failure::local(format!("cannot find {typed}: {e}")))?;
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| Failure::local(format!("{typed} is not a UTF-8 path")))
}

/// A group method's answer: the group after it.
fn group_answer(result: Result<GroupInfo, ClientError>) -> Outcome {
    Ok(Answer::Group(result.map_err(failure)?.group))
}

/// A client error as the app sees it.
pub fn failure(e: ClientError) -> Failure {
    match e {
        ClientError::Api(api) => Failure {
            code: api.code,
            message: api.message,
            unreachable: false,
        },
        ClientError::Protocol(_) => Failure {
            code: None,
            message: e.to_string(),
            unreachable: false,
        },
        other => Failure::unreachable(other.to_string()),
    }
}
