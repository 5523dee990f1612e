//! `chat trust USER`: accept a changed key, after comparing it. On a key
//! that had not changed it says so, and what the key still is, rather
//! than claim to have accepted anything.

use chatd_api::TrustResult;

use super::Ctx;
use crate::display::fingerprint::state_word;

/// Accepts `user`'s current key (as unverified).
pub(crate) async fn run(ctx: &Ctx, user: &str) -> anyhow::Result<()> {
    let done = ctx.client().await?.trust(user).await?;
    ctx.out.result(&done, |d| describe(d, user))
}

/// What happened.
pub(crate) fn describe(d: &TrustResult, user: &str) -> String {
    if d.unchanged {
        return format!(
            "{user}'s key has not changed, so there was nothing to accept; it stays {}.\n",
            state_word(d.state)
        );
    }
    format!(
        "Accepted {user}'s new key; messages flow again. It is unverified: compare \
         fingerprints with {user} (`chat fingerprint {user}`) and record a match with \
         `chat verify`.\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chatd_api::TrustState;

    #[test]
    fn an_unchanged_key_is_not_reported_as_accepted() {
        let same = |state| TrustResult {
            state,
            unchanged: true,
        };
        let text = describe(&same(TrustState::Verified), "bob");
        assert_eq!(
            text,
            "bob's key has not changed, so there was nothing to accept; it stays verified.\n"
        );
        assert!(describe(&same(TrustState::Unverified), "bob").contains("stays unverified"));
        let accepted = TrustResult {
            state: TrustState::Unverified,
            unchanged: false,
        };
        assert!(describe(&accepted, "bob").starts_with("Accepted bob's new key"));
    }
}
