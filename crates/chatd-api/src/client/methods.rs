//! A named method per local-API method, each a thin wrapper over
//! [`Client::invoke`] with the method's marker type, so frontends get
//! checked params and decoded results instead of hand-built JSON.

use super::{Client, ClientError};
use crate::groups::*;
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
        self.send_in(&Chat::peer(to), text).await
    }

    /// `send` to a 1:1 conversation or a group.
    pub async fn send_in(&self, chat: &Chat, text: &str) -> Result<Sent, ClientError> {
        let params = SendParams {
            to: chat.as_peer().map(str::to_string),
            group: chat.as_group().map(str::to_string),
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
        self.mark_read_in(&Chat::peer(peer), None).await
    }

    /// `mark_read` of a 1:1 conversation or a group, up to a message
    /// (timeline order) when `up_to` is given.
    pub async fn mark_read_in(
        &self,
        chat: &Chat,
        up_to: Option<&str>,
    ) -> Result<Empty, ClientError> {
        let params = MarkReadParams {
            peer: chat.as_peer().map(str::to_string),
            group: chat.as_group().map(str::to_string),
            up_to: up_to.map(str::to_string),
        };
        self.invoke::<call::MarkRead>(&params).await
    }

    /// `mark_read` with `up_to`: marks read only the incoming messages of
    /// the conversation at or before message `up_to` in timeline order
    /// (what the frontend showed).
    pub async fn mark_read_up_to(&self, peer: &str, up_to: &str) -> Result<Empty, ClientError> {
        self.mark_read_in(&Chat::peer(peer), Some(up_to)).await
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
            group: None,
        };
        self.invoke::<call::Focus>(&params).await
    }

    /// `focus` on a 1:1 conversation or a group (`None` clears it).
    pub async fn focus_on(&self, chat: Option<&Chat>) -> Result<Empty, ClientError> {
        let params = FocusParams {
            peer: chat.and_then(Chat::as_peer).map(str::to_string),
            group: chat.and_then(Chat::as_group).map(str::to_string),
        };
        self.invoke::<call::Focus>(&params).await
    }

    /// `typing` in a 1:1 conversation or a group (extension).
    pub async fn typing(&self, chat: &Chat) -> Result<TypingSent, ClientError> {
        let params = TypingParams {
            peer: chat.as_peer().map(str::to_string),
            group: chat.as_group().map(str::to_string),
        };
        self.invoke::<call::Typing>(&params).await
    }

    /// `groups`: every group held (extension).
    pub async fn groups(&self) -> Result<Groups, ClientError> {
        self.invoke::<call::Groups>(&Empty {}).await
    }

    /// `group_info`: one group by id or name (extension).
    pub async fn group_info(&self, group: &str) -> Result<GroupInfo, ClientError> {
        let params = GroupParams {
            group: group.to_string(),
        };
        self.invoke::<call::GroupInfo>(&params).await
    }

    /// `group_create`: a group with us as admin and `members` (extension).
    pub async fn group_create(
        &self,
        name: &str,
        members: &[String],
    ) -> Result<GroupInfo, ClientError> {
        let params = GroupCreateParams {
            name: name.to_string(),
            members: members.to_vec(),
        };
        self.invoke::<call::GroupCreate>(&params).await
    }

    /// `group_add`: adds `users` to a group (extension, admins only).
    pub async fn group_add(&self, group: &str, users: &[String]) -> Result<GroupInfo, ClientError> {
        let params = GroupMembersParams {
            group: group.to_string(),
            users: users.to_vec(),
        };
        self.invoke::<call::GroupAdd>(&params).await
    }

    /// `group_remove`: removes `users` from a group (extension, admins
    /// only).
    pub async fn group_remove(
        &self,
        group: &str,
        users: &[String],
    ) -> Result<GroupInfo, ClientError> {
        let params = GroupMembersParams {
            group: group.to_string(),
            users: users.to_vec(),
        };
        self.invoke::<call::GroupRemove>(&params).await
    }

    /// `group_leave`: leaves a group (extension).
    pub async fn group_leave(&self, group: &str) -> Result<GroupInfo, ClientError> {
        let params = GroupParams {
            group: group.to_string(),
        };
        self.invoke::<call::GroupLeave>(&params).await
    }

    /// `group_admin`: makes `user` an admin of a group, or no longer one
    /// (extension, admins only).
    pub async fn group_admin(
        &self,
        group: &str,
        user: &str,
        admin: bool,
    ) -> Result<GroupInfo, ClientError> {
        let params = GroupAdminParams {
            group: group.to_string(),
            user: user.to_string(),
            admin,
        };
        self.invoke::<call::GroupAdmin>(&params).await
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
