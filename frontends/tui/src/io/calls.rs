//! Turns the app's [`Request`]s into chatd-api calls and the results into
//! [`Outcome`]s: the only place that knows both.

use chatd_api::{Client, ClientError, HistoryParams, SearchParams, SettingsPatch, UsersParams};

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
        Request::History { peer, before } => {
            let params = HistoryParams {
                peer: Some(peer.clone()),
                group: None,
                limit: Some(page),
                before: *before,
            };
            Answer::History(client.history(&params).await.map_err(failure)?)
        }
        Request::Send { to, text } => Answer::Sent(client.send(to, text).await.map_err(failure)?),
        Request::MarkRead { peer, up_to } => {
            match up_to {
                Some(id) => client.mark_read_up_to(peer, id).await,
                None => client.mark_read(peer).await,
            }
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
        Request::Focus { peer } => {
            client.focus(peer.as_deref()).await.map_err(failure)?;
            Answer::Done
        }
    };
    Ok(answer)
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
