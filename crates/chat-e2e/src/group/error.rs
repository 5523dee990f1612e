//! Why a group state was refused, as one typed enum whose codes are the
//! `security` reasons of PROTOCOL.md §4.4, so the daemon reports exactly
//! what the specification names and tests can match on the variant.

/// A group state that is not accepted, or one we cannot make.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// A field is missing, of the wrong type, not in its one canonical
    /// form, or breaks a rule of §4.2 (the field is named).
    #[error("group state field `{0}` is missing or invalid")]
    Malformed(&'static str),
    /// More than [`super::MAX_MEMBERS`] members.
    #[error("a group has at most {max} members, this state lists {count}")]
    TooManyMembers {
        /// How many the state lists.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The signature does not verify with the key pinned for the signer,
    /// or the state names another fingerprint than that key's.
    #[error("the group state's signature does not verify against {signer}'s pinned key")]
    BadSignature {
        /// Who the state says signed it.
        signer: String,
    },
    /// The signer had no right to make this change.
    #[error("{signer} is not an admin of the group and may not make this change")]
    NotAdmin {
        /// Who signed.
        signer: String,
    },
    /// The state's `prev` is not the hash of the state held.
    #[error("the group state does not follow the state held (previous hash differs)")]
    BrokenChain,
    /// A later version than the next one: hold it and ask for the missing
    /// ones.
    #[error("group state version {got} received while holding {held}: versions are missing")]
    VersionGap {
        /// Version held.
        held: u64,
        /// Version received.
        got: u64,
    },
    /// An older version than the one held: a replay.
    #[error("group state version {got} is older than the version {held} held")]
    Stale {
        /// Version held.
        held: u64,
        /// Version received.
        got: u64,
    },
    /// Another state with the version held: a fork.
    #[error("a different group state for version {version}, which is already held")]
    Conflict {
        /// The version both states claim.
        version: u64,
    },
    /// We are not a member of the state (and hold none where we are).
    #[error("{user} is not a member of the group")]
    NotMember {
        /// The user concerned.
        user: String,
    },
    /// The state held belongs to another group: a caller bug.
    #[error("the state held belongs to another group")]
    WrongGroup,
    /// The identity given to sign with is not the state's signer, or the
    /// RNG failed. Only raised when making a state, never for one received.
    #[error("cannot sign the group state: {0}")]
    CannotSign(&'static str),
}

impl GroupError {
    /// The `security` reason of PROTOCOL.md §4.4 for a refused state.
    /// [`GroupError::VersionGap`] is a hold, reported with this reason only
    /// when the held state expires; [`GroupError::WrongGroup`] and
    /// [`GroupError::CannotSign`] are ours, not a peer's, and have none.
    pub fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Self::Malformed(_) => "group_malformed",
            Self::TooManyMembers { .. } => "group_too_large",
            Self::BadSignature { .. } => "group_bad_signature",
            Self::NotAdmin { .. } => "group_not_admin",
            Self::BrokenChain => "group_broken_chain",
            Self::VersionGap { .. } => "group_version_gap",
            Self::Stale { .. } => "group_stale",
            Self::Conflict { .. } => "group_conflict",
            Self::NotMember { .. } => "group_not_member",
            Self::WrongGroup | Self::CannotSign(_) => return None,
        })
    }
}
