//! The closed set of local-API methods (PROTOCOL.md §3 plus the extension
//! `focus`), declared once in [`methods!`] so that the request enum, the
//! answer enum, the method names, the per-method marker types of
//! [`Method`] and the OpenRPC document cannot disagree: adding a method is
//! one line here, and the compiler then points at every `match` (chatd's
//! handler, the D-Bus interface, the CLI's coverage) that must learn it.
//!
//! On the wire a request is `{"method": <name>, "params": {...}}`; absent
//! or `null` params mean `{}`, as JSON-RPC allows. [`Request::from_parts`]
//! turns a method name and params into a request with the JSON-RPC error
//! for an unknown method (-32601) or bad params (-32602, naming the field).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::files::*;
use crate::groups::*;
use crate::types::*;

/// One local-API method: its name, params and result, implemented by the
/// marker types in [`call`]. Lets a client write
/// `client.invoke::<call::Send>(&params)` and get a [`Sent`] back.
pub trait Method {
    /// The method's name on the wire (snake_case).
    const NAME: &'static str;
    /// Which method this is.
    const KIND: MethodKind;
    /// The params struct.
    type Params: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// The result struct.
    type Result: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// Wraps params into the request.
    fn request(params: Self::Params) -> Request;
    /// Unwraps this method's result from an answer (the kind of the
    /// method it answers instead, when it belongs to another).
    fn result(reply: Reply) -> Result<Self::Result, MethodKind>;
}

/// Declares every method once: `Variant = "name" (Params) -> Result`,
/// with its doc comment.
macro_rules! methods {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $name:literal ($params:ty) -> $result:ty;
    )+) => {
        /// A local-API request: the method and its typed params. Serialises
        /// as `{"method": <name>, "params": {...}}`.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(tag = "method", content = "params")]
        pub enum Request {
            $(
                $(#[doc = $doc])+
                #[serde(rename = $name)]
                $variant($params),
            )+
        }

        /// A method's answer, one variant per method (serialised as the
        /// bare result object).
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Reply {
            $(
                $(#[doc = $doc])+
                $variant($result),
            )+
        }

        /// Which method, without its params: for exhaustive tables such as
        /// the CLI's coverage and the D-Bus parity test.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MethodKind {
            $(
                $(#[doc = $doc])+
                $variant,
            )+
        }

        /// Every method's name, in declaration order.
        pub const METHODS: &[&str] = &[$($name),+];

        impl MethodKind {
            /// Every method, in declaration order.
            pub const ALL: &[MethodKind] = &[$(MethodKind::$variant),+];

            /// The name on the wire (snake_case).
            pub fn name(self) -> &'static str {
                match self {
                    $(MethodKind::$variant => $name,)+
                }
            }

            /// The method called `name`, if there is one.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(MethodKind::$variant),)+
                    _ => None,
                }
            }

            /// The method's documentation.
            pub fn doc(self) -> &'static str {
                match self {
                    $(MethodKind::$variant => concat!($($doc, "\n"),+),)+
                }
            }

            /// Adds the JSON schemas of this method's params and result to
            /// `generator` and returns them.
            pub(crate) fn schemas(
                self,
                generator: &mut schemars::SchemaGenerator,
            ) -> (schemars::Schema, schemars::Schema) {
                match self {
                    $(MethodKind::$variant => (
                        generator.subschema_for::<$params>(),
                        generator.subschema_for::<$result>(),
                    ),)+
                }
            }
        }

        impl Request {
            /// Which method this is.
            pub fn kind(&self) -> MethodKind {
                match self {
                    $(Request::$variant(_) => MethodKind::$variant,)+
                }
            }

            /// Reads a request from its method name and params (an object,
            /// by name): -32601 for an unknown method, -32602 for params
            /// that do not fit, naming the field.
            pub fn from_parts(method: &str, params: Map<String, Value>) -> Result<Self, ApiError> {
                let params = Value::Object(params);
                match method {
                    $($name => parse(params).map(Request::$variant),)+
                    other => Err(ApiError::new(
                        ErrorCode::MethodNotFound,
                        format!("no method {other:?}; see PROTOCOL.md §3"),
                    )),
                }
            }
        }

        impl Reply {
            /// Which method this answers.
            pub fn kind(&self) -> MethodKind {
                match self {
                    $(Reply::$variant(_) => MethodKind::$variant,)+
                }
            }
        }

        /// One marker type per method, for [`Method`]:
        /// `client.invoke::<call::Send>(&params)`.
        pub mod call {
            $(
                $(#[doc = $doc])+
                #[derive(Debug, Clone, Copy, PartialEq, Eq)]
                pub struct $variant;
            )+
        }

        $(
            impl Method for call::$variant {
                const NAME: &'static str = $name;
                const KIND: MethodKind = MethodKind::$variant;
                type Params = $params;
                type Result = $result;
                fn request(params: $params) -> Request {
                    Request::$variant(params)
                }
                fn result(reply: Reply) -> Result<$result, MethodKind> {
                    match reply {
                        Reply::$variant(r) => Ok(r),
                        other => Err(other.kind()),
                    }
                }
            }
        )+
    };
}

methods! {
    /// The daemon's link state, account, server and version.
    Status = "status" (Empty) -> Status;
    /// Creates the account on the server and logs in.
    Signup = "signup" (Credentials) -> LoggedIn;
    /// Logs in to an existing account.
    Login = "login" (Credentials) -> LoggedIn;
    /// Logs out (the server forgets the session token; chatd keeps the
    /// history).
    Logout = "logout" (Empty) -> Empty;
    /// Changes the account's password (the current one is needed).
    ChangePassword = "change_password" (ChangePassword) -> Empty;
    /// Users on the server, optionally filtered.
    Users = "users" (UsersParams) -> Users;
    /// Queues a message for a user; answers its id and whether it waits in
    /// the outbox.
    Send = "send" (SendParams) -> Sent;
    /// One conversation, oldest first.
    History = "history" (HistoryParams) -> Messages;
    /// One message by id (events carry ids; this gives the text).
    Message = "message" (MessageParams) -> OneMessage;
    /// Every conversation, most recent first.
    Conversations = "conversations" (Empty) -> Conversations;
    /// Marks a conversation read (up to a message with `up_to`) and sends
    /// read receipts unless the `read_receipts` setting is off.
    MarkRead = "mark_read" (MarkReadParams) -> Empty;
    /// The identity-key fingerprint of a user (oneself when absent) and its
    /// trust state.
    Fingerprint = "fingerprint" (FingerprintParams) -> Fingerprint;
    /// Records that a person compared a user's fingerprint and it matched.
    Verify = "verify" (VerifyParams) -> TrustResult;
    /// Accepts a user's changed key (it becomes unverified).
    Trust = "trust" (UserParams) -> TrustResult;
    /// Full-text search of the local history, best match first.
    Search = "search" (SearchParams) -> Messages;
    /// Starts the event stream of this connection: the latest seq, then
    /// `event` notifications (with `since`, the stored ones after it first).
    Subscribe = "subscribe" (SubscribeParams) -> Subscribed;
    /// Extension: the conversation this frontend shows (absent clears it),
    /// so notifiers stay quiet about it.
    Focus = "focus" (FocusParams) -> Empty;
    /// Extension: chatd's settings, which apply to every frontend.
    Settings = "settings" (Empty) -> Settings;
    /// Extension: changes some of chatd's settings; answers all of them.
    SetSettings = "set_settings" (SettingsPatch) -> Settings;
    /// Extension: creates a group with us as its admin and tells its
    /// members.
    GroupCreate = "group_create" (GroupCreateParams) -> GroupInfo;
    /// Extension: adds members to a group (admins only).
    GroupAdd = "group_add" (GroupMembersParams) -> GroupInfo;
    /// Extension: removes members from a group (admins only); they get
    /// nothing sent to the group after.
    GroupRemove = "group_remove" (GroupMembersParams) -> GroupInfo;
    /// Extension: leaves a group (its history stays, read-only).
    GroupLeave = "group_leave" (GroupParams) -> GroupInfo;
    /// Extension: makes a member an admin, or no longer one (admins only).
    GroupAdmin = "group_admin" (GroupAdminParams) -> GroupInfo;
    /// Extension: every group held, most recent first.
    Groups = "groups" (Empty) -> Groups;
    /// Extension: one group, its members and admins.
    GroupInfo = "group_info" (GroupParams) -> GroupInfo;
    /// Extension: tells a conversation's other side(s) that we are typing
    /// (at most one indicator per conversation every 3 seconds).
    Typing = "typing" (TypingParams) -> TypingSent;
    /// Extension: sends a file to a user or a group: chatd copies it,
    /// uploads it sealed, then sends the message (see `transfers`).
    SendFile = "send_file" (SendFileParams) -> FileSent;
    /// Extension: downloads a received file (to the downloads directory,
    /// or a given path), checked before it appears there.
    Download = "download" (DownloadParams) -> OneTransfer;
    /// Extension: uploads and downloads not yet ended, then recent ones.
    Transfers = "transfers" (Empty) -> Transfers;
    /// Extension: one transfer.
    Transfer = "transfer" (TransferParams) -> OneTransfer;
    /// Extension: stops a transfer for good (an upload's message is then
    /// not sent; a download's partial file is removed).
    CancelTransfer = "cancel_transfer" (TransferParams) -> OneTransfer;
}

/// Params by name into the method's params struct.
fn parse<T: DeserializeOwned>(params: Value) -> Result<T, ApiError> {
    serde_json::from_value(params)
        .map_err(|e| ApiError::new(ErrorCode::InvalidParams, format!("bad params: {e}")))
}

impl Request {
    /// The method's name on the wire.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }

    /// The params as a JSON object.
    pub fn params(&self) -> Result<Value, serde_json::Error> {
        let mut value = serde_json::to_value(self)?;
        Ok(value
            .get_mut("params")
            .map(Value::take)
            .unwrap_or_else(|| Value::Object(Map::new())))
    }
}

impl Reply {
    /// The result object, as sent on the wire.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        serde_json::to_value(self)
    }
}

/// Reads `{"method", "params"?}` through [`Request::from_parts`], so that a
/// method without params may omit them (the derived form of an adjacently
/// tagged enum would insist on `params`).
impl<'de> Deserialize<'de> for Request {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Parts {
            method: String,
            #[serde(default)]
            params: Option<Map<String, Value>>,
        }
        let parts = Parts::deserialize(deserializer)?;
        Request::from_parts(&parts.method, parts.params.unwrap_or_default())
            .map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_kinds_and_markers_agree() {
        assert_eq!(METHODS.len(), MethodKind::ALL.len());
        for (name, kind) in METHODS.iter().zip(MethodKind::ALL) {
            assert_eq!(kind.name(), *name);
            assert_eq!(MethodKind::from_name(name), Some(*kind));
            assert!(!kind.doc().trim().is_empty(), "{name} has no doc");
        }
        assert_eq!(<call::MarkRead as Method>::NAME, "mark_read");
        assert_eq!(<call::Focus as Method>::KIND, MethodKind::Focus);
    }

    #[test]
    fn params_may_be_absent_empty_or_null() {
        for text in [
            r#"{"method":"status"}"#,
            r#"{"method":"status","params":{}}"#,
            r#"{"method":"status","params":null}"#,
        ] {
            let r: Request = serde_json::from_str(text).unwrap();
            assert_eq!(r, Request::Status(Empty {}), "{text}");
        }
    }

    #[test]
    fn requests_serialise_tagged_by_method() {
        let r = Request::MarkRead(MarkReadParams {
            peer: Some("bob".into()),
            up_to: None,
            group: None,
        });
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v, json!({"method": "mark_read", "params": {"peer": "bob"}}));
        assert_eq!(serde_json::from_value::<Request>(v).unwrap(), r);
        assert_eq!(r.params().unwrap(), json!({"peer": "bob"}));
        assert_eq!(
            Request::Status(Empty {}).params().unwrap(),
            json!({}),
            "a method without params sends an empty object"
        );
    }

    #[test]
    fn unknown_methods_and_bad_params_get_their_codes() {
        let e = Request::from_parts("nope", Map::new()).unwrap_err();
        assert_eq!(e.code, Some(ErrorCode::MethodNotFound));
        assert_eq!(e.message, "no method \"nope\"; see PROTOCOL.md §3");
        let e = Request::from_parts("send", Map::new()).unwrap_err();
        assert_eq!(e.code, Some(ErrorCode::InvalidParams));
        assert!(e.message.contains("`text`"), "{}", e.message);
    }

    #[test]
    fn replies_serialise_as_the_bare_result() {
        let r = Reply::Subscribe(Subscribed { seq: 4 });
        assert_eq!(r.to_value().unwrap(), json!({"seq": 4}));
        assert_eq!(r.kind(), MethodKind::Subscribe);
        assert_eq!(
            call::Subscribe::result(r.clone()),
            Ok(Subscribed { seq: 4 })
        );
        assert_eq!(call::Status::result(r), Err(MethodKind::Subscribe));
    }
}
