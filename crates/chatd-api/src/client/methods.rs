//! A named method per local-API method, each a thin wrapper over
//! [`Client::invoke`] with the method's marker type, so frontends get
//! checked params and decoded results instead of hand-built JSON.

use super::{Client, ClientError};
use crate::method::call;
use crate::{
    ChangePassword, Conversations, Credentials, Empty, Fingerprint, FingerprintParams, FocusParams,
    HistoryParams, LoggedIn, MarkReadParams, MessageParams, Messages, OneMessage, SearchParams,
    SendParams, Sent, Settings, SettingsPatch, Status, TrustResult, UserParams, Users, UsersParams,
    VerifyParams,
};

impl Client {
    /// `status`: the daemon's link state, account and version.
    pub async fn status(&self) -> Result<Status, ClientError> {
        self.invoke::<call::Status>(&Empty {}).await
    }

    /// `signup`: creates the account and logs in.
    pub async fn signup(&self, username: &str, password: &str) -> Result<LoggedIn, ClientError> {
        let params = Credentials {
            username: username.to_string(),
            password: password.to_string(),
        };
        self.invoke::<call::Signup>(&params).await
    }

    /// `login`.
    pub async fn login(&self, username: &str, password: &str) -> Result<LoggedIn, ClientError> {
        let params = Credentials {
            username: username.to_string(),
            password: password.to_string(),
        };
        self.invoke::<call::Login>(&params).await
    }

    /// `logout`.
    pub async fn logout(&self) -> Result<Empty, ClientError> {
        self.invoke::<call::Logout>(&Empty {}).await
    }

    /// `change_password`.
    pub async fn change_password(
        &self,
        password: &str,
        new_password: &str,
    ) -> Result<Empty, ClientError> {
        let params = ChangePassword {
            password: password.to_string(),
            new_password: new_password.to_string(),
        };
        self.invoke::<call::ChangePassword>(&params).await
    }

    /// `users`: the directory, optionally filtered.
    pub async fn users(&self, params: &UsersParams) -> Result<Users, ClientError> {
        self.invoke::<call::Users>(params).await
    }

    /// `send`: queues `text` for `to`.
    pub async fn send(&self, to: &str, text: &str) -> Result<Sent, ClientError> {
        let params = SendParams {
            to: to.to_string(),
            text: text.to_string(),
        };
        self.invoke::<call::Send>(&params).await
    }

    /// `history`: one conversation, oldest first.
    pub async fn history(&self, params: &HistoryParams) -> Result<Messages, ClientError> {
        self.invoke::<call::History>(params).await
    }

    /// `message`: one message by id.
    pub async fn message(&self, id: &str) -> Result<OneMessage, ClientError> {
        let params = MessageParams { id: id.to_string() };
        self.invoke::<call::Message>(&params).await
    }

    /// `conversations`: most recent first.
    pub async fn conversations(&self) -> Result<Conversations, ClientError> {
        self.invoke::<call::Conversations>(&Empty {}).await
    }

    /// `mark_read`: marks a conversation read (and sends read receipts
    /// unless the `read_receipts` setting is off).
    pub async fn mark_read(&self, peer: &str) -> Result<Empty, ClientError> {
        let params = MarkReadParams {
            peer: peer.to_string(),
            up_to: None,
        };
        self.invoke::<call::MarkRead>(&params).await
    }

    /// `mark_read` with `up_to`: marks read only the incoming messages of
    /// the conversation at or before message `up_to` in timeline order
    /// (what the frontend showed).
    pub async fn mark_read_up_to(&self, peer: &str, up_to: &str) -> Result<Empty, ClientError> {
        let params = MarkReadParams {
            peer: peer.to_string(),
            up_to: Some(up_to.to_string()),
        };
        self.invoke::<call::MarkRead>(&params).await
    }

    /// `fingerprint`: of `user`, or of oneself when `None`.
    pub async fn fingerprint(&self, user: Option<&str>) -> Result<Fingerprint, ClientError> {
        let params = FingerprintParams {
            user: user.map(str::to_string),
        };
        self.invoke::<call::Fingerprint>(&params).await
    }

    /// `verify`: records that a person compared `user`'s fingerprint.
    pub async fn verify(&self, user: &str, fingerprint: &str) -> Result<TrustResult, ClientError> {
        let params = VerifyParams {
            user: user.to_string(),
            fingerprint: fingerprint.to_string(),
        };
        self.invoke::<call::Verify>(&params).await
    }

    /// `trust`: accepts `user`'s changed key (as unverified).
    pub async fn trust(&self, user: &str) -> Result<TrustResult, ClientError> {
        let params = UserParams {
            user: user.to_string(),
        };
        self.invoke::<call::Trust>(&params).await
    }

    /// `search`: full-text search of local history, best match first.
    pub async fn search(&self, params: &SearchParams) -> Result<Messages, ClientError> {
        self.invoke::<call::Search>(params).await
    }

    /// `focus`: the conversation this frontend shows (`None` clears it).
    pub async fn focus(&self, peer: Option<&str>) -> Result<Empty, ClientError> {
        let params = FocusParams {
            peer: peer.map(str::to_string),
        };
        self.invoke::<call::Focus>(&params).await
    }

    /// `settings`: chatd's settings (extension).
    pub async fn settings(&self) -> Result<Settings, ClientError> {
        self.invoke::<call::Settings>(&Empty {}).await
    }

    /// `set_settings`: changes the settings named in `patch`; answers
    /// them all (extension).
    pub async fn set_settings(&self, patch: &SettingsPatch) -> Result<Settings, ClientError> {
        self.invoke::<call::SetSettings>(patch).await
    }
}
