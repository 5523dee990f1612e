//! Params, results and event bodies of the file extension (docs/PROTOCOL.md
//! §5 and D18). Kept apart from [`crate::types`] because a file is two
//! things that change at different speeds: a message (sent once, with its
//! [`FileInfo`]) and a [`Transfer`] (the upload or download of its blob,
//! which moves, pauses, resumes and ends). Transfers are named by their own
//! id; the message they belong to is named by its message id.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Params of `send_file`: exactly one of `to` and `group`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SendFileParams {
    /// The recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A group instead (its id, or the name of one group we are a member
    /// of).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The file, as an absolute path chatd can read (chatd copies it
    /// before answering, so the file may change or go afterwards).
    pub path: String,
    /// Text sent with the file (1 byte to 64 KiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// The name the recipients see (default: the path's file name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Result of `send_file`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FileSent {
    /// The message id (uuid): the message is in the history at once, with
    /// status `sending` until the upload is done and the message sent.
    pub id: String,
    /// The upload.
    pub transfer: Transfer,
}

/// Params of `download`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DownloadParams {
    /// The id of the file's message.
    pub id: String,
    /// Where to put it, as an absolute path: an existing directory (the
    /// file keeps its name there, made unique), or a file path (replaced
    /// once the download is complete and checked). Default: the user's
    /// downloads directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Params of `cancel_transfer` and `transfer`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct TransferParams {
    /// The transfer's id.
    pub id: String,
}

/// Result of `download`, `transfer` and `cancel_transfer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OneTransfer {
    /// The transfer now.
    pub transfer: Transfer,
}

/// Result of `transfers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Transfers {
    /// Transfers not yet ended first, then those that ended in the last 7
    /// days, newest first.
    pub transfers: Vec<Transfer>,
}

/// Which way a transfer goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferDirection {
    /// Our file to the server's blob store.
    Upload,
    /// A blob from the server to a file here.
    Download,
}

/// Where a transfer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferState {
    /// Waiting for its turn or for the server (offline, not logged in):
    /// it goes on by itself.
    Waiting,
    /// Moving now.
    Active,
    /// Ended: uploaded and the message sent, or downloaded and checked.
    Done,
    /// Ended without success; `error` says why.
    Failed,
    /// Ended by `cancel_transfer`.
    Cancelled,
}

impl TransferState {
    /// Whether the transfer has ended (it will not move again).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TransferState::Done | TransferState::Failed | TransferState::Cancelled
        )
    }
}

/// One upload or download.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Transfer {
    /// The transfer's id (uuid).
    pub id: String,
    /// The id of the file's message.
    pub message: String,
    /// Upload or download.
    pub direction: TransferDirection,
    /// The other side of a 1:1 conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    /// The group, for a file in a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The file's name.
    pub name: String,
    /// The file's size in bytes.
    pub size: u64,
    /// Bytes of the blob moved so far (uploaded to, or downloaded from,
    /// the server): progress is `bytes / total`.
    pub bytes: u64,
    /// Bytes of the blob in all (the sealed, padded file, §5.2).
    pub total: u64,
    /// Where it is.
    pub state: TransferState,
    /// Why it failed, or why it waits, in words for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The local file: the sender's copy for an upload, the destination
    /// for a download (there only once `done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// When it started (Unix ms).
    pub created: i64,
    /// When it last changed state (Unix ms).
    pub updated: i64,
}

/// What a file message carries besides its caption (`Message.text`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FileInfo {
    /// The file's name (a name, never a path; show it escaped).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The sender's guess of its media type (a hint for display only).
    pub mime: String,
    /// b64 of a small JPEG or PNG preview, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
    /// The local copy, once there is one: the file sent, or the file
    /// downloaded and checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The transfer now moving or last moved for this file, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<String>,
}
