//! The safety number: 60 digits two people read to each other to compare
//! both of their keys at once, by voice (after Signal's). Each half is
//! derived from one user's name and key fingerprint; the halves are
//! ordered by username, so both sides compute the same string.
//!
//! A half, for user `u` with fingerprint `f` (64 lowercase hex digits,
//! taken as its ASCII text):
//!
//! ```text
//! h = 0x00 0x00 || f || u                    (version 0, then UTF-8)
//! repeat 5200 times: h = SHA-512(h || f)
//! digits = for each of the first six 5-byte chunks c of h:
//!          (c as a big-endian integer) mod 100000, as 5 digits
//! ```
//!
//! The number is the half of the user whose name sorts first (by bytes),
//! then the other's: 12 groups of 5 digits separated by single spaces.
//! The iterations make finding a second key whose half matches a given
//! one (30 digits, about 2^100 tries) correspondingly costlier.
//! `docs/PROTOCOL.md` (D9) repeats this with a known answer.

use sha2::{Digest, Sha512};

/// SHA-512 rounds per half.
const ITERATIONS: usize = 5200;
/// The version prefix of the hashed input.
const VERSION: [u8; 2] = [0, 0];

/// The safety number of `a_user` holding the key with fingerprint `a_fp`
/// and `b_user` holding `b_fp`; the same for either order of arguments.
/// Fingerprints may carry spaces, colons and capitals (as people copy
/// them); they are normalised to 64 lowercase hex digits first.
pub fn safety_number(a_user: &str, a_fp: &str, b_user: &str, b_fp: &str) -> String {
    let a = half(a_user, &normalise(a_fp));
    let b = half(b_user, &normalise(b_fp));
    let (first, second) = if a_user.as_bytes() <= b_user.as_bytes() {
        (a, b)
    } else {
        (b, a)
    };
    first
        .iter()
        .chain(second.iter())
        .map(|g| format!("{g:05}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lowercase, without the separators people add.
fn normalise(fp: &str) -> String {
    fp.chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .flat_map(char::to_lowercase)
        .collect()
}

/// One user's six groups.
fn half(user: &str, fp: &str) -> [u64; 6] {
    let mut h: Vec<u8> = Vec::with_capacity(2 + fp.len() + user.len());
    h.extend_from_slice(&VERSION);
    h.extend_from_slice(fp.as_bytes());
    h.extend_from_slice(user.as_bytes());
    for _ in 0..ITERATIONS {
        let mut d = Sha512::new();
        d.update(&h);
        d.update(fp.as_bytes());
        h = d.finalize().to_vec();
    }
    let mut groups = [0u64; 6];
    for (g, chunk) in groups.iter_mut().zip(h.chunks(5)) {
        let n = chunk.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
        *g = n % 100_000;
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALICE_FP: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const BOB_FP: &str = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

    #[test]
    fn known_answer() {
        // Computed independently (Python hashlib, the steps of the module
        // doc); the same vector is in docs/PROTOCOL.md D9.
        assert_eq!(
            safety_number("alice", ALICE_FP, "bob", BOB_FP),
            KNOWN_ANSWER
        );
    }

    const KNOWN_ANSWER: &str =
        "21568 75256 32192 01002 41475 09569 77650 80470 92816 70711 53174 02505";

    #[test]
    fn the_same_from_both_sides_and_for_any_spelling() {
        let one = safety_number("alice", ALICE_FP, "bob", BOB_FP);
        assert_eq!(one, safety_number("bob", BOB_FP, "alice", ALICE_FP));
        let spaced = BOB_FP
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or_default().to_uppercase())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(one, safety_number("alice", ALICE_FP, "bob", &spaced));
    }

    #[test]
    fn sixty_digits_in_twelve_groups_of_five() {
        let n = safety_number("alice", ALICE_FP, "bob", BOB_FP);
        let groups: Vec<&str> = n.split(' ').collect();
        assert_eq!(groups.len(), 12, "{n}");
        assert!(
            groups
                .iter()
                .all(|g| g.len() == 5 && g.bytes().all(|b| b.is_ascii_digit())),
            "{n}"
        );
    }

    #[test]
    fn another_key_or_name_changes_its_half_only() {
        let one = safety_number("alice", ALICE_FP, "bob", BOB_FP);
        let other = safety_number("alice", ALICE_FP, "bob", &"2".repeat(64));
        assert_eq!(one[..35], other[..35], "alice's half stays");
        assert_ne!(one[36..], other[36..], "bob's half changes");
        let renamed = safety_number("alice", ALICE_FP, "bobby", BOB_FP);
        assert_ne!(one[36..], renamed[36..]);
    }
}
