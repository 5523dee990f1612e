//! The group state of PROTOCOL.md §4.2 and its canonical encoding (§4.3).
//! A [`GroupState`] can only be built valid: every constructor checks the
//! rules of §4.2, the member lists are sorted sets, and the bytes that are
//! hashed and signed come from one function, [`GroupState::to_bytes`], so
//! the hash a member computes, the bytes an admin signs and the known
//! answers of testdata/groups/ cannot drift apart.

use std::collections::BTreeSet;
use std::fmt;

use chat_proto::crypto::sha256;
use chat_proto::encoding::tbs;
use chat_proto::validate::validate_username;
use uuid::Uuid;

use super::GroupError;

/// Domain label of state_bytes (and so of state signatures).
pub const STATE_LABEL: &str = "securechat-v1-group-state";
/// The most members a group may have.
pub const MAX_MEMBERS: usize = 256;
/// The longest group name, in Unicode scalar values.
pub const MAX_NAME_CHARS: usize = 64;
/// The highest version: 2^53 - 1, so every JSON implementation holds it
/// exactly.
pub const MAX_VERSION: u64 = (1 << 53) - 1;

/// state_hash: SHA-256 of a state's state_bytes; the next state's `prev`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateHash([u8; 32]);

impl StateHash {
    /// 64 lowercase hex digits, as `prev` carries it.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses the canonical form only (64 lowercase hex digits).
    pub fn from_hex(text: &str) -> Option<Self> {
        if text.len() != 64 || !is_lower_hex(text) {
            return None;
        }
        let mut out = [0; 32];
        hex::decode_to_slice(text, &mut out).ok()?;
        Some(Self(out))
    }

    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for StateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateHash({})", self.to_hex())
    }
}

impl fmt::Display for StateHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

fn is_lower_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// What an admin changes: the name, the members and the admins. Sets keep
/// the lists sorted in byte order and free of duplicates, as §4.2 wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// The group's name.
    pub name: String,
    /// Every member, admins included.
    pub members: BTreeSet<String>,
    /// The members who may change the group.
    pub admins: BTreeSet<String>,
}

impl Membership {
    /// A membership from any lists; order and duplicates do not matter.
    pub fn new<M, A>(name: impl Into<String>, members: M, admins: A) -> Self
    where
        M: IntoIterator,
        M::Item: Into<String>,
        A: IntoIterator,
        A::Item: Into<String>,
    {
        Self {
            name: name.into(),
            members: members.into_iter().map(Into::into).collect(),
            admins: admins.into_iter().map(Into::into).collect(),
        }
    }

    /// Adds a member.
    pub fn add(&mut self, user: &str) {
        self.members.insert(user.to_string());
    }

    /// Removes a member, and their admin right with them.
    pub fn remove(&mut self, user: &str) {
        self.members.remove(user);
        self.admins.remove(user);
    }

    /// Makes a member an admin.
    pub fn make_admin(&mut self, user: &str) {
        self.admins.insert(user.to_string());
    }

    /// Whether `user` is a member.
    pub fn is_member(&self, user: &str) -> bool {
        self.members.contains(user)
    }

    /// Whether `user` is an admin.
    pub fn is_admin(&self, user: &str) -> bool {
        self.admins.contains(user)
    }

    /// The rules of §4.2 on name, members and admins.
    fn check(&self) -> Result<(), GroupError> {
        let chars = self.name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS || self.name.chars().any(char::is_control) {
            return Err(GroupError::Malformed("name"));
        }
        if self.members.len() > MAX_MEMBERS {
            return Err(GroupError::TooManyMembers {
                count: self.members.len(),
                max: MAX_MEMBERS,
            });
        }
        if self.members.is_empty() || !self.members.iter().all(|m| valid_user(m)) {
            return Err(GroupError::Malformed("members"));
        }
        if self.admins.is_empty() || !self.admins.is_subset(&self.members) {
            return Err(GroupError::Malformed("admins"));
        }
        Ok(())
    }
}

fn valid_user(name: &str) -> bool {
    validate_username(name).is_ok()
}

/// One state of a group, without its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    group_id: Uuid,
    version: u64,
    prev: Option<StateHash>,
    membership: Membership,
    signer: String,
    signer_fingerprint: String,
}

impl GroupState {
    /// Version 1: the state that creates a group. The signer must be one of
    /// its admins for members to accept it (§4.4, join).
    pub fn genesis(
        group_id: Uuid,
        membership: Membership,
        signer: &str,
        signer_fingerprint: &str,
    ) -> Result<Self, GroupError> {
        Self::from_parts(
            group_id,
            1,
            None,
            membership,
            signer.to_string(),
            signer_fingerprint.to_string(),
        )
    }

    /// The next version after `self`, chained to it by its hash.
    pub fn successor(
        &self,
        membership: Membership,
        signer: &str,
        signer_fingerprint: &str,
    ) -> Result<Self, GroupError> {
        Self::from_parts(
            self.group_id,
            self.version.saturating_add(1),
            Some(self.hash()),
            membership,
            signer.to_string(),
            signer_fingerprint.to_string(),
        )
    }

    /// Any state, checked against every rule of §4.2.
    pub fn from_parts(
        group_id: Uuid,
        version: u64,
        prev: Option<StateHash>,
        membership: Membership,
        signer: String,
        signer_fingerprint: String,
    ) -> Result<Self, GroupError> {
        if !(1..=MAX_VERSION).contains(&version) {
            return Err(GroupError::Malformed("version"));
        }
        if prev.is_some() != (version > 1) {
            return Err(GroupError::Malformed("prev"));
        }
        membership.check()?;
        if !valid_user(&signer) {
            return Err(GroupError::Malformed("signer"));
        }
        if signer_fingerprint.len() != 64 || !is_lower_hex(&signer_fingerprint) {
            return Err(GroupError::Malformed("signer_fingerprint"));
        }
        Ok(Self {
            group_id,
            version,
            prev,
            membership,
            signer,
            signer_fingerprint,
        })
    }

    /// state_bytes of §4.3: what is hashed and signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let group_id = self.group_id.hyphenated().to_string();
        let version = self.version.to_string();
        let prev = self.prev.map(|p| p.to_hex()).unwrap_or_default();
        let list = |set: &BTreeSet<String>| {
            let fields: Vec<&[u8]> = set.iter().map(|s| s.as_bytes()).collect();
            tbs(&fields)
        };
        tbs(&[
            STATE_LABEL.as_bytes(),
            group_id.as_bytes(),
            version.as_bytes(),
            prev.as_bytes(),
            self.membership.name.as_bytes(),
            &list(&self.membership.members),
            &list(&self.membership.admins),
            self.signer.as_bytes(),
            self.signer_fingerprint.as_bytes(),
        ])
    }

    /// state_hash: SHA-256 of [`Self::to_bytes`].
    pub fn hash(&self) -> StateHash {
        StateHash(sha256(&self.to_bytes()))
    }

    /// The group's id.
    pub fn group_id(&self) -> Uuid {
        self.group_id
    }

    /// 1 for the state that created the group, then one more per change.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Hash of the previous version; `None` for version 1.
    pub fn prev(&self) -> Option<StateHash> {
        self.prev
    }

    /// Name, members and admins.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }

    /// The group's name.
    pub fn name(&self) -> &str {
        &self.membership.name
    }

    /// Members in byte order.
    pub fn members(&self) -> &BTreeSet<String> {
        &self.membership.members
    }

    /// Admins in byte order.
    pub fn admins(&self) -> &BTreeSet<String> {
        &self.membership.admins
    }

    /// Whether `user` is a member.
    pub fn is_member(&self, user: &str) -> bool {
        self.membership.is_member(user)
    }

    /// Whether `user` is an admin.
    pub fn is_admin(&self, user: &str) -> bool {
        self.membership.is_admin(user)
    }

    /// Who signed (or is to sign) this state.
    pub fn signer(&self) -> &str {
        &self.signer
    }

    /// Fingerprint of the signer's identity key.
    pub fn signer_fingerprint(&self) -> &str {
        &self.signer_fingerprint
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPR: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn gid() -> Uuid {
        Uuid::from_u128(0x0123_4567_89ab_4def_8123_4567_89ab_cdef)
    }

    fn genesis() -> GroupState {
        let m = Membership::new("friends", ["bob", "alice"], ["alice"]);
        GroupState::genesis(gid(), m, "alice", FPR).unwrap()
    }

    #[test]
    fn bytes_are_the_documented_tbs() {
        let s = genesis();
        let members = tbs(&[b"alice", b"bob"]);
        let admins = tbs(&[b"alice"]);
        let expected = tbs(&[
            b"securechat-v1-group-state",
            b"01234567-89ab-4def-8123-456789abcdef",
            b"1",
            b"",
            b"friends",
            &members,
            &admins,
            b"alice",
            FPR.as_bytes(),
        ]);
        assert_eq!(s.to_bytes(), expected);
        assert_eq!(s.hash().as_bytes(), &sha256(&expected));
    }

    #[test]
    fn successor_chains_by_hash() {
        let s1 = genesis();
        let mut m = s1.membership().clone();
        m.add("carol");
        let s2 = s1.successor(m, "alice", FPR).unwrap();
        assert_eq!(s2.version(), 2);
        assert_eq!(s2.prev(), Some(s1.hash()));
        assert!(s2.is_member("carol") && !s2.is_admin("carol"));
        assert_ne!(s2.hash(), s1.hash());
    }

    #[test]
    fn rules_of_section_4_2_are_enforced() {
        let ok = || Membership::new("g", ["alice"], ["alice"]);
        let cases: Vec<(Membership, GroupError)> = vec![
            (
                Membership::new("", ["alice"], ["alice"]),
                GroupError::Malformed("name"),
            ),
            (
                Membership::new("a\u{7}b", ["alice"], ["alice"]),
                GroupError::Malformed("name"),
            ),
            (
                Membership::new("x".repeat(65), ["alice"], ["alice"]),
                GroupError::Malformed("name"),
            ),
            (
                Membership::new("g", ["alice", "b c"], ["alice"]),
                GroupError::Malformed("members"),
            ),
            (
                Membership::new("g", ["alice"], ["bob"]),
                GroupError::Malformed("admins"),
            ),
            (
                Membership::new("g", ["alice"], Vec::<String>::new()),
                GroupError::Malformed("admins"),
            ),
            (
                Membership::new("g", (0..257).map(|i| format!("u{i}")), ["u0"]),
                GroupError::TooManyMembers {
                    count: 257,
                    max: 256,
                },
            ),
        ];
        for (m, err) in cases {
            assert_eq!(GroupState::genesis(gid(), m, "alice", FPR), Err(err));
        }
        // 64 characters of any width is fine; 256 members is fine.
        let long = Membership::new("\u{1f600}".repeat(64), ["alice"], ["alice"]);
        assert!(GroupState::genesis(gid(), long, "alice", FPR).is_ok());
        let full = Membership::new("g", (0..256).map(|i| format!("u{i}")), ["u0"]);
        assert!(GroupState::genesis(gid(), full, "u0", FPR).is_ok());

        let bad = |version, prev, signer: &str, fpr: &str| {
            GroupState::from_parts(gid(), version, prev, ok(), signer.into(), fpr.into())
                .unwrap_err()
        };
        let h = Some(genesis().hash());
        assert_eq!(bad(0, None, "alice", FPR), GroupError::Malformed("version"));
        assert_eq!(
            bad(MAX_VERSION + 1, h, "alice", FPR),
            GroupError::Malformed("version")
        );
        assert_eq!(bad(1, h, "alice", FPR), GroupError::Malformed("prev"));
        assert_eq!(bad(2, None, "alice", FPR), GroupError::Malformed("prev"));
        assert_eq!(bad(1, None, "", FPR), GroupError::Malformed("signer"));
        assert_eq!(
            bad(1, None, "alice", &FPR.to_uppercase()),
            GroupError::Malformed("signer_fingerprint")
        );
    }

    #[test]
    fn state_hash_hex_is_canonical() {
        let h = genesis().hash();
        assert_eq!(StateHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(StateHash::from_hex(&h.to_hex().to_uppercase()), None);
        assert_eq!(StateHash::from_hex(&h.to_hex()[1..]), None);
        assert_eq!(StateHash::from_hex(""), None);
    }
}
