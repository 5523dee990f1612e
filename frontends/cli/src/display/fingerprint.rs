//! Fingerprints as people compare them: 16 groups of 4 hex digits
//! (PROTOCOL.md §0), two lines of eight for reading aloud, with what to do
//! next for each trust state. The fingerprint is shown for comparing,
//! never inside a ready-to-paste `chat verify` command: verifying means
//! typing what the other person read out, not what chatd already holds.

use chatd_api::{Fingerprint, TrustState};

/// `1a2b 3c4d ...`: groups of 4, separated by spaces.
pub fn grouped(fingerprint: &str) -> String {
    groups(fingerprint).join(" ")
}

/// The groups of 4, whitespace in the input ignored.
fn groups(fingerprint: &str) -> Vec<String> {
    let chars: Vec<char> = fingerprint.chars().filter(|c| !c.is_whitespace()).collect();
    chars.chunks(4).map(|g| g.iter().collect()).collect()
}

/// The groups of 4, `per_line` to a line, each line indented by two
/// spaces and ended by a newline: short lines the eye does not lose.
pub fn grouped_lines(fingerprint: &str, per_line: usize) -> String {
    groups(fingerprint)
        .chunks(per_line.max(1))
        .map(|line| format!("  {}\n", line.join(" ")))
        .collect()
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
    let lines = grouped_lines(&f.fingerprint, 8);
    let user = &f.user;
    if own {
        return format!(
            "Your fingerprint ({user}):\n{lines}\
             Read it to the people you talk to (in person, on a call); each of them \
             compares it with what `chat fingerprint {user}` shows them and records a \
             match by typing what they heard into `chat verify {user} FINGERPRINT`.\n"
        );
    }
    let safety = match &f.safety_number {
        Some(n) => format!(
            "Safety number ({user} sees the same for you; easier to compare by voice):\n{}",
            safety_lines(n)
        ),
        None => String::new(),
    };
    let next = match f.state {
        TrustState::Unverified => format!(
            "Ask {user} to read you their own fingerprint (`chat fingerprint` on their \
             side), or compare the safety numbers, in person or on a call. If every \
             group matches, type what {user} read into `chat verify {user} FINGERPRINT`."
        ),
        TrustState::Verified => "You compared it before; it has not changed.".to_string(),
        TrustState::Changed => format!(
            "{user}'s key is not the one you had: nothing is sent to {user} until you \
             compare the new fingerprint with {user} and accept it with `chat trust {user}`."
        ),
    };
    format!("{user} ({}):\n{lines}{safety}{next}\n", state_word(f.state))
}

/// The 60 digits of a safety number in groups of 5, four to a line.
pub fn safety_lines(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    let groups: Vec<String> = digits.chunks(5).map(|g| g.iter().collect()).collect();
    groups
        .chunks(4)
        .map(|line| format!("  {}\n", line.join(" ")))
        .collect()
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
    fn for_reading_two_lines_of_eight_groups() {
        assert_eq!(
            grouped_lines(FPR, 8),
            "  0123 4567 89ab cdef 0123 4567 89ab cdef\n  \
             0123 4567 89ab cdef 0123 4567 89ab cdef\n"
        );
    }

    fn fpr(state: TrustState) -> Fingerprint {
        Fingerprint {
            user: "bob".into(),
            fingerprint: FPR.into(),
            state,
            safety_number: None,
        }
    }

    #[test]
    fn each_state_says_what_to_do() {
        let unverified = describe(&fpr(TrustState::Unverified), false);
        assert!(unverified.starts_with("bob (unverified):\n  0123 4567"));
        assert!(unverified.contains("chat verify bob FINGERPRINT"));
        assert!(describe(&fpr(TrustState::Changed), false).contains("chat trust bob"));
        assert!(describe(&fpr(TrustState::Verified), false).contains("not changed"));
        assert!(describe(&fpr(TrustState::Verified), true).starts_with("Your fingerprint (bob)"));
    }

    #[test]
    fn the_safety_number_follows_in_three_lines_of_four_groups() {
        let number = "12345 67890 ".repeat(6);
        let f = Fingerprint {
            safety_number: Some(number.trim().to_string()),
            ..fpr(TrustState::Unverified)
        };
        let text = describe(&f, false);
        assert!(
            text.contains(
                "Safety number (bob sees the same for you; easier to compare by voice):\n  \
                 12345 67890 12345 67890\n  12345 67890 12345 67890\n  \
                 12345 67890 12345 67890\n"
            ),
            "{text}"
        );
        assert!(!describe(&fpr(TrustState::Unverified), false).contains("Safety number"));
    }

    #[test]
    fn the_fingerprint_is_never_part_of_a_command_to_paste() {
        // Issue 11: `chat verify bob <the fingerprint chatd holds>` ready to
        // paste lets a person "verify" without comparing anything.
        for state in [
            TrustState::Unverified,
            TrustState::Verified,
            TrustState::Changed,
        ] {
            for own in [false, true] {
                let text = describe(&fpr(state), own);
                for line in text.lines().filter(|l| l.contains("chat verify")) {
                    assert!(!line.contains("0123"), "{line}");
                }
            }
        }
    }
}
