//! Fingerprints as people compare them: 16 groups of 4 hex digits
//! (PROTOCOL.md §0), with what to do next for each trust state.

use chatd_api::{Fingerprint, TrustState};

/// `1a2b 3c4d ...`: groups of 4, separated by spaces.
pub fn grouped(fingerprint: &str) -> String {
    let chars: Vec<char> = fingerprint.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The state as a word.
pub fn state_word(state: TrustState) -> &'static str {
    match state {
        TrustState::Unverified => "unverified",
        TrustState::Verified => "verified",
        TrustState::Changed => "CHANGED",
    }
}

/// The `fingerprint` command's text; `own` when it is the asker's key.
pub fn describe(f: &Fingerprint, own: bool) -> String {
    let groups = grouped(&f.fingerprint);
    let user = &f.user;
    if own {
        return format!(
            "Your fingerprint ({user}):\n  {groups}\n\
             Read it to the people you talk to; they run `chat verify {user} <fingerprint>`.\n"
        );
    }
    let next = match f.state {
        TrustState::Unverified => format!(
            "Compare it with {user} over a channel you trust (in person, a call), \
             then run:\n  chat verify {user} {groups}"
        ),
        TrustState::Verified => "You compared it before; it has not changed.".to_string(),
        TrustState::Changed => format!(
            "{user}'s key is not the one you had: nothing is sent to {user} until you \
             compare the new fingerprint and accept it with `chat trust {user}`."
        ),
    };
    format!("{user} ({}):\n  {groups}\n{next}\n", state_word(f.state))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPR: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn sixteen_groups_of_four() {
        let g = grouped(FPR);
        assert_eq!(g.split(' ').count(), 16);
        assert!(g.split(' ').all(|x| x.len() == 4));
        assert!(g.starts_with("0123 4567 89ab cdef 0123"));
        assert_eq!(
            grouped(&g),
            g,
            "already grouped input is regrouped the same"
        );
    }

    #[test]
    fn each_state_says_what_to_do() {
        let f = |state| Fingerprint {
            user: "bob".into(),
            fingerprint: FPR.into(),
            state,
            safety_number: None,
        };
        let unverified = describe(&f(TrustState::Unverified), false);
        assert!(unverified.starts_with("bob (unverified):\n  0123 4567"));
        assert!(unverified.contains("chat verify bob 0123 4567"));
        assert!(describe(&f(TrustState::Changed), false).contains("chat trust bob"));
        assert!(describe(&f(TrustState::Verified), false).contains("not changed"));
        assert!(describe(&f(TrustState::Verified), true).starts_with("Your fingerprint (bob)"));
    }
}
