//! `chat verify USER FINGERPRINT`: record that a person compared the key.
//! A mismatch says only that it did not match and what to do: the right
//! fingerprint is never printed, or a person could copy it from the error
//! and "verify" without comparing anything.

use chatd_api::client::ClientError;
use chatd_api::{ApiError, ErrorCode};

use super::Ctx;
use crate::cli::VerifyArgs;
use crate::display::fingerprint::state_word;

/// Verifies `user`'s key against the fingerprint typed in.
pub(crate) async fn run(ctx: &Ctx, args: &VerifyArgs) -> anyhow::Result<()> {
    let user = &args.user;
    let done = ctx
        .client()
        .await?
        .verify(user, &args.fingerprint())
        .await
        .map_err(|e| without_the_answer(e, user))?;
    ctx.out.result(&done, |d| match d.unchanged {
        true => format!("The fingerprint matches; {user}'s key was verified already.\n"),
        false => format!(
            "The fingerprint matches: {user}'s key is {}.\n",
            state_word(d.state)
        ),
    })
}

/// A mismatch in the CLI's own words, with nothing from chatd's answer
/// (whose message or data a chatd of an older release may have filled with
/// the fingerprint it holds).
fn without_the_answer(e: ClientError, user: &str) -> ClientError {
    if e.code() != Some(ErrorCode::FingerprintMismatch) {
        return e;
    }
    ClientError::Api(ApiError::new(
        ErrorCode::FingerprintMismatch,
        format!("that is not the fingerprint of {user}'s key; nothing was recorded"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_mismatch_never_carries_the_expected_fingerprint() {
        let leaky = ClientError::Api(
            ApiError::new(
                ErrorCode::FingerprintMismatch,
                "expected 0123 4567 89ab cdef",
            )
            .with_data("expected", json!("0123456789abcdef")),
        );
        let shown = without_the_answer(leaky, "bob");
        let api = shown.api_error().expect("still a refusal");
        assert_eq!(api.code, Some(ErrorCode::FingerprintMismatch));
        assert!(!api.to_json().to_string().contains("0123"), "{api:?}");
        assert!(api.message.contains("bob"));
        let other = without_the_answer(ClientError::Disconnected, "bob");
        assert!(matches!(other, ClientError::Disconnected));
    }
}
