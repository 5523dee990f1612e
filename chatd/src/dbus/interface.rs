//! The `org.securechat.Chatd1` interface: one D-Bus method per local-API
//! method, each building the method's typed params from its arguments,
//! running the [`Request`](chatd_api::Request) through `core::api::handle`
//! and laying the typed result out as D-Bus values, with no JSON in
//! between. The signals and properties are declared here and fed by
//! `events`.

// MessageReceived has seven arguments (GroupChanged ten): they are the D-Bus contract (flat
// arguments are what busctl, gdbus and match rules work with), and the
// macro repeats them in the `Chatd1Signals` trait it generates here.
#![allow(clippy::too_many_arguments)]

use std::sync::Arc;

use std::collections::HashMap;

use chatd_api::{
    Credentials, DownloadParams, Empty, EventKind, FingerprintParams, FocusParams,
    GroupAdminParams, GroupCreateParams, GroupMembersParams, GroupParams, HistoryParams,
    MarkReadParams, MessageParams, Method, SearchParams, SendFileParams, SendParams, Status,
    SubscribeParams, TransferParams, TypingParams, UserParams, UsersParams, VerifyParams, call,
};
use zbus::OwnedVariant;
use zbus::message::Header;
use zbus::names::BusName;
use zbus::object_server::SignalEmitter;
use zbus::{fdo, interface};

use super::callers::{Callers, NO_FRONTEND};
use super::convert::{
    DbusConversation, DbusGroup, DbusMessage, DbusTransfer, enum_name, event_kinds, nonzero, run,
    settings_dict, settings_patch, text_opt,
};
use super::{Error, events};
use crate::core::{Core, api};

/// The object at `/org/securechat/Chatd1`.
pub struct Chatd1 {
    core: Arc<Core>,
    callers: Arc<Callers>,
}

impl Chatd1 {
    /// The interface over the daemon's core.
    pub fn new(core: Arc<Core>, callers: Arc<Callers>) -> Self {
        Self { core, callers }
    }

    /// Admits the caller, then runs the method `M` with `params`.
    async fn call<M: Method>(
        &self,
        hdr: &Header<'_>,
        params: M::Params,
    ) -> Result<M::Result, Error> {
        self.callers.admit(hdr).await?;
        Ok(run::<M>(&self.core, NO_FRONTEND, params).await?)
    }

    /// `focus` for the caller: cleared when the caller leaves the bus.
    async fn focus_on(&self, hdr: &Header<'_>, p: FocusParams) -> Result<(), Error> {
        let caller = self.callers.admit(hdr).await?;
        let id = self.callers.focus_id(&caller);
        run::<call::Focus>(&self.core, id, p).await?;
        // A caller such as `gdbus call` may already have left, and the
        // NameOwnerChanged that would clear its focus already been handled.
        if !self.callers.present(&caller).await && self.callers.forget(&caller).is_some() {
            run::<call::Focus>(&self.core, id, FocusParams::default()).await?;
        }
        Ok(())
    }

    /// `status`, for the properties (which any caller may read, like the
    /// PropertiesChanged signals that carry them).
    async fn status_now(&self) -> fdo::Result<Status> {
        run::<call::Status>(&self.core, NO_FRONTEND, Empty {})
            .await
            .map_err(|e| fdo::Error::Failed(e.message))
    }
}

#[interface(name = "org.securechat.Chatd1")]
impl Chatd1 {
    /// The daemon's state: link state (offline, connecting, connected,
    /// logged_in), account ("" before any), server, pinned server
    /// fingerprint ("" before any), version.
    #[zbus(out_args("state", "username", "server", "server_fingerprint", "version"))]
    async fn status(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<(String, String, String, String, String), Error> {
        let s = self.call::<call::Status>(&hdr, Empty {}).await?;
        Ok((
            enum_name(&s.state),
            s.username.unwrap_or_default(),
            s.server,
            s.server_fingerprint.unwrap_or_default(),
            s.version,
        ))
    }

    /// Creates the account and logs in.
    #[zbus(out_args("username"))]
    async fn signup(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        username: String,
        password: String,
    ) -> Result<String, Error> {
        let p = Credentials { username, password };
        let r = self.call::<call::Signup>(&hdr, p).await?;
        Ok(r.username)
    }

    /// Logs in.
    #[zbus(out_args("username"))]
    async fn login(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        username: String,
        password: String,
    ) -> Result<String, Error> {
        let p = Credentials { username, password };
        let r = self.call::<call::Login>(&hdr, p).await?;
        Ok(r.username)
    }

    /// Logs out (the server forgets the session token).
    async fn logout(&self, #[zbus(header)] hdr: Header<'_>) -> Result<(), Error> {
        self.call::<call::Logout>(&hdr, Empty {}).await.map(drop)
    }

    /// Changes the password (the current one is needed).
    async fn change_password(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        password: String,
        new_password: String,
    ) -> Result<(), Error> {
        let p = chatd_api::ChangePassword {
            password,
            new_password,
        };
        self.call::<call::ChangePassword>(&hdr, p).await.map(drop)
    }

    /// Users whose names start with `prefix` ("" for all), at most `limit`
    /// (0 for the server's default), only those online when `online_only`;
    /// each as (username, online).
    #[zbus(out_args("users"))]
    async fn users(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        prefix: String,
        limit: u32,
        online_only: bool,
    ) -> Result<Vec<(String, bool)>, Error> {
        let p = UsersParams {
            prefix: text_opt(prefix),
            limit: nonzero(limit),
            online_only: online_only.then_some(true),
        };
        let r = self.call::<call::Users>(&hdr, p).await?;
        Ok(r.users
            .into_iter()
            .map(|u| (u.username, u.online))
            .collect())
    }

    /// Sends `text` to `to`; the new message's id, and whether it waits in
    /// the outbox.
    #[zbus(out_args("id", "queued"))]
    async fn send(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        to: String,
        text: String,
    ) -> Result<(String, bool), Error> {
        let r = self
            .call::<call::Send>(
                &hdr,
                SendParams {
                    to: Some(to),
                    group: None,
                    text,
                },
            )
            .await?;
        Ok((r.id, r.queued))
    }

    /// The conversation with `peer`, oldest first: at most `limit` messages
    /// (0 for 50), older than `before` (Unix ms; 0 for the newest).
    #[zbus(out_args("messages"))]
    async fn history(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        peer: String,
        limit: u32,
        before: i64,
    ) -> Result<Vec<DbusMessage>, Error> {
        let p = HistoryParams {
            peer: Some(peer),
            group: None,
            limit: nonzero(limit),
            before: nonzero(before),
        };
        let r = self.call::<call::History>(&hdr, p).await?;
        Ok(r.messages.into_iter().map(DbusMessage::from).collect())
    }

    /// One message by id (signals carry ids; this gives the text).
    #[zbus(out_args("message"))]
    async fn message(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        id: String,
    ) -> Result<(DbusMessage,), Error> {
        let r = self
            .call::<call::Message>(&hdr, MessageParams { id })
            .await?;
        Ok((r.message.into(),))
    }

    /// Every conversation, most recent first: (peer, last message as an
    /// array of zero or one, unread count, online).
    #[zbus(out_args("conversations"))]
    async fn conversations(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<Vec<DbusConversation>, Error> {
        let r = self.call::<call::Conversations>(&hdr, Empty {}).await?;
        Ok(r.conversations
            .into_iter()
            .map(|c| DbusConversation {
                peer: c.peer,
                last: c.last.into_iter().map(DbusMessage::from).collect(),
                unread: c.unread,
                online: c.online,
            })
            .collect())
    }

    /// Marks the conversation with `peer` read (sends read receipts
    /// unless the read_receipts setting is off).
    async fn mark_read(&self, #[zbus(header)] hdr: Header<'_>, peer: String) -> Result<(), Error> {
        let p = MarkReadParams {
            peer: Some(peer),
            group: None,
            up_to: None,
        };
        self.call::<call::MarkRead>(&hdr, p).await.map(drop)
    }

    /// The identity-key fingerprint of `user` ("" for oneself) and its
    /// trust state (unverified, verified, changed).
    #[zbus(out_args("user", "fingerprint", "state"))]
    async fn fingerprint(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        user: String,
    ) -> Result<(String, String, String), Error> {
        let p = FingerprintParams {
            user: text_opt(user),
        };
        let r = self.call::<call::Fingerprint>(&hdr, p).await?;
        Ok((r.user, r.fingerprint, enum_name(&r.state)))
    }

    /// Marks `user`'s key verified when `fingerprint` is its fingerprint.
    #[zbus(out_args("state"))]
    async fn verify(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        user: String,
        fingerprint: String,
    ) -> Result<String, Error> {
        let p = VerifyParams { user, fingerprint };
        let r = self.call::<call::Verify>(&hdr, p).await?;
        Ok(enum_name(&r.state))
    }

    /// Accepts `user`'s changed key.
    #[zbus(out_args("state"))]
    async fn trust(&self, #[zbus(header)] hdr: Header<'_>, user: String) -> Result<String, Error> {
        let r = self.call::<call::Trust>(&hdr, UserParams { user }).await?;
        Ok(enum_name(&r.state))
    }

    /// Full-text search of local history, best match first, in the
    /// conversation with `peer` ("" for all), at most `limit` (0 for 50).
    #[zbus(out_args("messages"))]
    async fn search(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        query: String,
        peer: String,
        limit: u32,
    ) -> Result<Vec<DbusMessage>, Error> {
        let p = SearchParams {
            query,
            peer: text_opt(peer),
            group: None,
            limit: nonzero(limit),
        };
        let r = self.call::<call::Search>(&hdr, p).await?;
        Ok(r.messages.into_iter().map(DbusMessage::from).collect())
    }

    /// The latest event seq. With `since` > 0, first re-emits every stored
    /// event after `since` (of the kinds in `events`; all when empty) as
    /// signals addressed to the caller only, in order; the reply follows
    /// them. Live events are broadcast signals whether or not anyone
    /// subscribed.
    #[zbus(out_args("seq"))]
    async fn subscribe(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
        since: u64,
        events: Vec<String>,
    ) -> Result<u64, Error> {
        let caller = self.callers.admit(&hdr).await?;
        let kinds = event_kinds(events)?;
        let since = nonzero(since);
        let params = SubscribeParams {
            since,
            events: Some(EventKind::ALL.to_vec()),
        };
        let (subscribed, sub) = api::subscribe(&self.core, params).await?;
        let latest = subscribed.seq;
        if since.is_some_and(|s| s < latest) {
            let to = BusName::try_from(caller)?;
            let emitter = emitter.set_destination(to);
            events::replay(&emitter, sub, latest, kinds.as_deref()).await?;
        }
        Ok(latest)
    }

    /// The conversation this caller shows ("" for none): notifiers stay
    /// quiet about it. Cleared when the caller leaves the bus.
    async fn focus(&self, #[zbus(header)] hdr: Header<'_>, peer: String) -> Result<(), Error> {
        self.focus_on(
            &hdr,
            FocusParams {
                peer: text_opt(peer),
                group: None,
            },
        )
        .await
    }

    /// chatd's settings, by name: `read_receipts` (b),
    /// `typing_indicators` (b).
    #[zbus(out_args("settings"))]
    async fn settings(
        &self,
        #[zbus(header)] hdr: Header<'_>,
    ) -> Result<HashMap<String, OwnedVariant>, Error> {
        let r = self.call::<call::Settings>(&hdr, Empty {}).await?;
        Ok(settings_dict(&r))
    }

    /// Changes the settings named in `settings` (`read_receipts`,
    /// `typing_indicators`: b);
    /// answers all of them, as Settings.
    #[zbus(out_args("settings"))]
    async fn set_settings(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        settings: HashMap<String, OwnedVariant>,
    ) -> Result<HashMap<String, OwnedVariant>, Error> {
        let p = settings_patch(settings)?;
        let r = self.call::<call::SetSettings>(&hdr, p).await?;
        Ok(settings_dict(&r))
    }

    /// Creates the group `name` with `members` (we are its first admin);
    /// the group.
    #[zbus(out_args("group"))]
    async fn group_create(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        name: String,
        members: Vec<String>,
    ) -> Result<(DbusGroup,), Error> {
        let p = GroupCreateParams { name, members };
        let r = self.call::<call::GroupCreate>(&hdr, p).await?;
        Ok((r.group.into(),))
    }

    /// Adds `users` to `group` (its id, or the name of one group we are a
    /// member of; admins only); the group after.
    #[zbus(out_args("group"))]
    async fn group_add(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
        users: Vec<String>,
    ) -> Result<(DbusGroup,), Error> {
        let p = GroupMembersParams { group, users };
        let r = self.call::<call::GroupAdd>(&hdr, p).await?;
        Ok((r.group.into(),))
    }

    /// Removes `users` from `group` (admins only); the group after.
    #[zbus(out_args("group"))]
    async fn group_remove(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
        users: Vec<String>,
    ) -> Result<(DbusGroup,), Error> {
        let p = GroupMembersParams { group, users };
        let r = self.call::<call::GroupRemove>(&hdr, p).await?;
        Ok((r.group.into(),))
    }

    /// Leaves `group` (its history stays, read-only); the group after.
    #[zbus(out_args("group"))]
    async fn group_leave(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
    ) -> Result<(DbusGroup,), Error> {
        let r = self
            .call::<call::GroupLeave>(&hdr, GroupParams { group })
            .await?;
        Ok((r.group.into(),))
    }

    /// Makes `user` an admin of `group` (`admin` true) or no longer one
    /// (false); admins only. The group after.
    #[zbus(out_args("group"))]
    async fn group_admin(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
        user: String,
        admin: bool,
    ) -> Result<(DbusGroup,), Error> {
        let p = GroupAdminParams { group, user, admin };
        let r = self.call::<call::GroupAdmin>(&hdr, p).await?;
        Ok((r.group.into(),))
    }

    /// Every group held (also those we left), most recent first.
    #[zbus(out_args("groups"))]
    async fn groups(&self, #[zbus(header)] hdr: Header<'_>) -> Result<Vec<DbusGroup>, Error> {
        let r = self.call::<call::Groups>(&hdr, Empty {}).await?;
        Ok(r.groups.into_iter().map(DbusGroup::from).collect())
    }

    /// One group held: by id (also one we left), or by the name of one we
    /// are a member of.
    #[zbus(out_args("group"))]
    async fn group_info(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
    ) -> Result<(DbusGroup,), Error> {
        let r = self
            .call::<call::GroupInfo>(&hdr, GroupParams { group })
            .await?;
        Ok((r.group.into(),))
    }

    /// `send` to a group: `text` to every other member; the new message's
    /// id, and whether it waits in the outbox.
    #[zbus(out_args("id", "queued"))]
    async fn send_group(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
        text: String,
    ) -> Result<(String, bool), Error> {
        let p = SendParams {
            to: None,
            group: Some(group),
            text,
        };
        let r = self.call::<call::Send>(&hdr, p).await?;
        Ok((r.id, r.queued))
    }

    /// `history` of a group's conversation, oldest first: at most `limit`
    /// messages (0 for 50), older than `before` (Unix ms; 0 for the
    /// newest). `to` of each is the group id; `status` of an outgoing one
    /// the least advanced over its recipients.
    #[zbus(out_args("messages"))]
    async fn group_history(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
        limit: u32,
        before: i64,
    ) -> Result<Vec<DbusMessage>, Error> {
        let p = HistoryParams {
            peer: None,
            group: Some(group),
            limit: nonzero(limit),
            before: nonzero(before),
        };
        let r = self.call::<call::History>(&hdr, p).await?;
        Ok(r.messages.into_iter().map(DbusMessage::from).collect())
    }

    /// `search` within a group's conversation, best match first, at most
    /// `limit` (0 for 50).
    #[zbus(out_args("messages"))]
    async fn search_group(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        query: String,
        group: String,
        limit: u32,
    ) -> Result<Vec<DbusMessage>, Error> {
        let p = SearchParams {
            query,
            peer: None,
            group: Some(group),
            limit: nonzero(limit),
        };
        let r = self.call::<call::Search>(&hdr, p).await?;
        Ok(r.messages.into_iter().map(DbusMessage::from).collect())
    }

    /// `mark_read` of a group's whole conversation (read receipts to the
    /// senders unless the read_receipts setting is off).
    async fn mark_group_read(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
    ) -> Result<(), Error> {
        let p = MarkReadParams {
            peer: None,
            group: Some(group),
            up_to: None,
        };
        self.call::<call::MarkRead>(&hdr, p).await.map(drop)
    }

    /// `focus` on a group's conversation ("" clears, like Focus("")).
    async fn focus_group(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        group: String,
    ) -> Result<(), Error> {
        self.focus_on(
            &hdr,
            FocusParams {
                peer: None,
                group: text_opt(group),
            },
        )
        .await
    }

    /// Tells the other side(s) of a conversation that we are typing: give
    /// `peer` or `group`, the other "". True when an indicator left (at
    /// most one per conversation every 3 s; none while the
    /// typing_indicators setting is off or chatd is offline).
    #[zbus(out_args("sent"))]
    async fn typing(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        peer: String,
        group: String,
    ) -> Result<bool, Error> {
        let p = TypingParams {
            peer: text_opt(peer),
            group: text_opt(group),
        };
        let r = self.call::<call::Typing>(&hdr, p).await?;
        Ok(r.sent)
    }

    /// Sends the file at `path` (absolute) to `peer` or `group` (the other
    /// ""), with `caption` ("" for none): chatd copies it, uploads it
    /// sealed, then sends the message. The message's id and the upload.
    #[zbus(out_args("id", "transfer"))]
    async fn send_file(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        peer: String,
        group: String,
        path: String,
        caption: String,
    ) -> Result<(String, DbusTransfer), Error> {
        let p = SendFileParams {
            to: text_opt(peer),
            group: text_opt(group),
            path,
            caption: text_opt(caption),
            name: None,
        };
        let r = self.call::<call::SendFile>(&hdr, p).await?;
        Ok((r.id, r.transfer.into()))
    }

    /// Downloads the file of message `id` to `path` (absolute: a directory
    /// or a file; "" for the downloads directory).
    #[zbus(out_args("transfer"))]
    async fn download(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        id: String,
        path: String,
    ) -> Result<(DbusTransfer,), Error> {
        let p = DownloadParams {
            id,
            path: text_opt(path),
        };
        let r = self.call::<call::Download>(&hdr, p).await?;
        Ok((r.transfer.into(),))
    }

    /// Transfers not yet ended, then those of the last 7 days.
    #[zbus(out_args("transfers"))]
    async fn transfers(&self, #[zbus(header)] hdr: Header<'_>) -> Result<Vec<DbusTransfer>, Error> {
        let r = self.call::<call::Transfers>(&hdr, Empty {}).await?;
        Ok(r.transfers.into_iter().map(DbusTransfer::from).collect())
    }

    /// One transfer.
    #[zbus(out_args("transfer"))]
    async fn transfer(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        id: String,
    ) -> Result<(DbusTransfer,), Error> {
        let r = self
            .call::<call::Transfer>(&hdr, TransferParams { id })
            .await?;
        Ok((r.transfer.into(),))
    }

    /// Stops a transfer for good; the transfer as it is then.
    #[zbus(out_args("transfer"))]
    async fn cancel_transfer(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        id: String,
    ) -> Result<(DbusTransfer,), Error> {
        let r = self
            .call::<call::CancelTransfer>(&hdr, TransferParams { id })
            .await?;
        Ok((r.transfer.into(),))
    }

    /// The link state, as in Status.
    #[zbus(property)]
    async fn state(&self) -> fdo::Result<String> {
        Ok(enum_name(&self.status_now().await?.state))
    }

    /// The account, as in Status ("" before any).
    #[zbus(property)]
    async fn username(&self) -> fdo::Result<String> {
        Ok(self.status_now().await?.username.unwrap_or_default())
    }

    /// A message entered the history: received (`direction` in) or sent
    /// from any frontend (out). Never the text: call Message(id).
    /// `focused`: a frontend showed the conversation (see Focus).
    #[zbus(signal)]
    pub(crate) async fn message_received(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        id: &str,
        from: &str,
        to: &str,
        ts: i64,
        direction: &str,
        focused: bool,
    ) -> zbus::Result<()>;

    /// A message's status changed (sent, delivered, read, failed).
    #[zbus(signal)]
    pub(crate) async fn receipt_updated(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        id: &str,
        status: &str,
    ) -> zbus::Result<()>;

    /// A peer came online or went offline.
    #[zbus(signal)]
    pub(crate) async fn presence_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        user: &str,
        online: bool,
    ) -> zbus::Result<()>;

    /// The link to the server changed state.
    #[zbus(signal)]
    pub(crate) async fn connection_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        state: &str,
    ) -> zbus::Result<()>;

    /// A peer's identity key changed: nothing goes to or comes from them
    /// until Trust.
    #[zbus(signal)]
    pub(crate) async fn key_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        user: &str,
        fingerprint: &str,
    ) -> zbus::Result<()>;

    /// Something from `user` was refused for security reasons.
    #[zbus(signal)]
    pub(crate) async fn security_alert(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        user: &str,
        reason: &str,
    ) -> zbus::Result<()>;

    /// Trust in `user`'s key changed to `state` (unverified, verified,
    /// changed) at `ts`; `fingerprint` is the key it is about.
    #[zbus(signal)]
    pub(crate) async fn trust_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        user: &str,
        state: &str,
        fingerprint: &str,
        ts: i64,
    ) -> zbus::Result<()>;

    /// A group message entered the history (extension, PROTOCOL.md D14):
    /// like MessageReceived, with the group's id. Never the text.
    #[zbus(signal)]
    pub(crate) async fn group_message_received(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        id: &str,
        group_id: &str,
        from: &str,
        ts: i64,
        direction: &str,
        focused: bool,
    ) -> zbus::Result<()>;

    /// A receipt of `user` for our group message `id`: `status` is the
    /// aggregate over its `recipients`; `delivered` (readers included)
    /// and `read` list who has it.
    #[zbus(signal)]
    pub(crate) async fn group_receipt_updated(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        id: &str,
        status: &str,
        user: &str,
        recipients: u32,
        delivered: Vec<String>,
        read: Vec<String>,
    ) -> zbus::Result<()>;

    /// A group changed (created, joined, members or admins changed, we
    /// left or were removed), signed by `by`: what changed (empty lists
    /// and "" for what did not). GroupInfo(group_id) has the group now.
    #[zbus(signal)]
    pub(crate) async fn group_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        group_id: &str,
        by: &str,
        joined: bool,
        added: Vec<String>,
        removed: Vec<String>,
        admins_added: Vec<String>,
        admins_removed: Vec<String>,
        renamed_from: &str,
    ) -> zbus::Result<()>;

    /// `user` is typing, in `group_id` ("" for the 1:1 conversation).
    /// Never stored: `seq` is the latest stored event's and Subscribe
    /// never replays it.
    #[zbus(signal)]
    pub(crate) async fn user_typing(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        user: &str,
        group_id: &str,
    ) -> zbus::Result<()>;

    /// A file transfer started, moved or ended: its id, its message,
    /// `upload` or `download`, its state, and bytes moved of the total.
    /// Progress comes at most 4 times a second per transfer.
    #[zbus(signal)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn transfer_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        id: &str,
        message_id: &str,
        direction: &str,
        state: &str,
        bytes: u64,
        total: u64,
    ) -> zbus::Result<()>;

    /// chatd's settings changed; all of them, as Settings returns them.
    #[zbus(signal)]
    pub(crate) async fn settings_changed(
        emitter: &SignalEmitter<'_>,
        seq: u64,
        settings: HashMap<String, OwnedVariant>,
    ) -> zbus::Result<()>;
}
