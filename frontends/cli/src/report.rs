//! Failures to stderr with the exit code that says what kind they were
//! (documented in `chat --help`), plus a hint for the refusals a person
//! can do something about.

use chatd_api::ErrorCode;
use chatd_api::client::{ClientError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

/// A command line that parsed but cannot work (a missing name where no
/// prompt is possible, an empty message): exit code 2 like clap's errors.
#[derive(Debug)]
pub(crate) struct UsageError(pub(crate) String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A transfer that ended without success (failed or cancelled): exit code
/// 1, with chatd's reason; under `--json` the object's `data` carries the
/// transfer as it ended. `names` names its group, if it has one.
#[derive(Debug)]
pub(crate) struct TransferEnded(
    pub(crate) chatd_api::Transfer,
    pub(crate) crate::display::event::Known,
);

impl TransferEnded {
    /// `data.code` under `--json`.
    fn code(&self) -> &'static str {
        match self.0.state {
            chatd_api::TransferState::Cancelled => "transfer_cancelled",
            _ => "transfer_failed",
        }
    }
}

impl std::fmt::Display for TransferEnded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::display::file::transfer_sentence(&self.0, &self.1))
    }
}

impl std::error::Error for TransferEnded {}

/// Prints `err` and returns the exit code: text for people, or with
/// `--json` one JSON object on stderr for every kind of failure.
pub(crate) fn failure(err: &anyhow::Error, json: bool) -> u8 {
    if is_broken_pipe(err) {
        // Whoever read our output has stopped; that is their choice.
        return EXIT_OK;
    }
    if let Some(usage) = err.downcast_ref::<UsageError>() {
        if json {
            eprintln!("{}", local_json("usage", &usage.0));
        } else {
            eprintln!("chat: {usage}\nRun `chat --help` for usage.");
        }
        return EXIT_USAGE;
    }
    if let Some(ended) = err.downcast_ref::<TransferEnded>() {
        if json {
            let mut object = local_json(ended.code(), &ended.to_string());
            object["data"]["transfer"] = serde_json::to_value(&ended.0).unwrap_or_default();
            eprintln!("{object}");
        } else {
            eprintln!("chat: {ended}");
        }
        return EXIT_FAILURE;
    }
    let Some(client_err) = err.downcast_ref::<ClientError>() else {
        if json {
            eprintln!("{}", local_json("failure", &format!("{err:#}")));
        } else {
            eprintln!("chat: {err:#}");
        }
        return EXIT_FAILURE;
    };
    if json {
        let object = match client_err.api_error() {
            Some(api) => api.to_json(),
            None => local_json(client_code(client_err), &format!("{err:#}")),
        };
        eprintln!("{object}");
        return client_err.exit_code();
    }
    eprintln!("chat: {err:#}");
    if let Some(hint) = hint(client_err) {
        eprintln!("hint: {hint}");
    }
    client_err.exit_code()
}

/// A failure that is not chatd's answer, shaped like chatd's error objects
/// (`message`, and the kind in `data.code`) so a script reads both the
/// same way; it has no JSON-RPC number, as chatd never sent one.
pub(crate) fn local_json(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({"message": message, "data": {"code": code}})
}

/// The `data.code` of a failure to talk to chatd.
fn client_code(err: &ClientError) -> &'static str {
    match err {
        ClientError::NotRunning { .. } => "not_running",
        ClientError::NoSocketPath => "no_socket_path",
        ClientError::Disconnected => "disconnected",
        ClientError::Io(_) => "io",
        ClientError::Protocol(_) => "protocol",
        ClientError::Api(_) => "refused",
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// What to do about a refusal, when the daemon's message may not say.
pub(crate) fn hint(err: &ClientError) -> Option<String> {
    let api = err.api_error()?;
    let hint = match api.code? {
        ErrorCode::NotLoggedIn => {
            "log in with `chat login USER`, or create an account with `chat signup USER`".into()
        }
        ErrorCode::KeyChanged => "compare the new fingerprint (`chat fingerprint USER`) with \
                                  its owner, then accept it with `chat trust USER`"
            .into(),
        ErrorCode::Offline => {
            "chatd cannot reach the server now; `chat status` shows its link".into()
        }
        ErrorCode::RateLimited => match api.data["retry_after_ms"].as_u64() {
            Some(ms) => format!("wait {} s and try again", ms.div_ceil(1000)),
            None => "wait a little and try again".into(),
        },
        ErrorCode::NoSuchGroup => {
            "a group you left or were removed from is named by its id only; `chat group list` \
             shows every group with its id"
                .into()
        }
        ErrorCode::NotGroupAdmin => {
            "ask one of the group's admins (marked in `chat group info GROUP`) to do it, or to \
             make you an admin"
                .into()
        }
        ErrorCode::NotGroupMember => {
            "you left this group or were removed; its history stays readable with \
             `chat history --group GROUP`"
                .into()
        }
        ErrorCode::FingerprintMismatch => "compare again with the person, reading each group \
                                           aloud; if it really differs, someone may be between \
                                           you, so do not trust the key until you know why"
            .into(),
        ErrorCode::NoSuchTransfer => {
            "`chat transfers` lists the transfers of the last 7 days with their ids".into()
        }
        ErrorCode::NotAFile => "that message carries no file, or its file is no longer on the \
                                server; `chat history USER` shows each file with the id to \
                                download it by"
            .into(),
        _ => return None,
    };
    Some(hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::ApiError;
    use chatd_api::client::EXIT_REFUSED;
    use serde_json::json;

    #[test]
    fn exit_codes_by_kind_of_failure() {
        let usage = anyhow::Error::new(UsageError("name the account".into()));
        assert_eq!(failure(&usage, false), EXIT_USAGE);
        let not_running = anyhow::Error::new(ClientError::NotRunning {
            path: "/nope".into(),
        });
        assert_eq!(failure(&not_running, false), 3);
        let refused = anyhow::Error::new(ClientError::Api(ApiError::new(
            ErrorCode::NoSuchUser,
            "no such user",
        )))
        .context("sending to bob");
        assert_eq!(failure(&refused, true), EXIT_REFUSED);
        assert_eq!(failure(&anyhow::anyhow!("other"), false), EXIT_FAILURE);
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe));
        assert_eq!(failure(&pipe, false), EXIT_OK);
    }

    #[test]
    fn refusals_a_person_can_act_on_come_with_a_hint() {
        let api = |code| ClientError::Api(ApiError::new(code, "x"));
        assert!(hint(&api(ErrorCode::NotLoggedIn)).is_some_and(|h| h.contains("chat login")));
        assert!(hint(&api(ErrorCode::KeyChanged)).is_some_and(|h| h.contains("chat trust")));
        let limited = ClientError::Api(
            ApiError::new(ErrorCode::RateLimited, "slow down")
                .with_data("retry_after_ms", json!(2500)),
        );
        assert_eq!(hint(&limited).as_deref(), Some("wait 3 s and try again"));
        assert_eq!(hint(&api(ErrorCode::NoSuchUser)), None);
        assert!(hint(&api(ErrorCode::NoSuchGroup)).is_some_and(|h| h.contains("group list")));
        assert!(hint(&api(ErrorCode::NotGroupAdmin)).is_some_and(|h| h.contains("admins")));
        assert_eq!(hint(&ClientError::Disconnected), None);
        assert!(hint(&api(ErrorCode::NoSuchTransfer)).is_some_and(|h| h.contains("transfers")));
        assert!(hint(&api(ErrorCode::NotAFile)).is_some_and(|h| h.contains("chat history")));
    }
}
