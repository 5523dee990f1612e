//! Why chatd refused something (`security` events' `reason`), as a closed
//! enum instead of strings each frontend matches by hand. The wire keeps
//! the snake_case strings chatd has always sent (docs/PROTOCOL.md D5); a
//! reason this build does not know (a newer chatd) is kept as
//! [`SecurityReason::Unknown`] with its string, so it round-trips and can
//! still be shown.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The `reason` of a `security` event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SecurityReason {
    /// `malformed_envelope`: a field is missing, mistyped or out of range.
    MalformedEnvelope,
    /// `bad_signature`: a session key's signature does not verify against
    /// the sender's pinned key (forged, altered, or meant for someone else).
    BadSignature,
    /// `unwrap_failed`: a correctly signed session key does not decrypt.
    UnwrapFailed,
    /// `bad_tag`: a message failed authentication (altered on the way).
    BadTag,
    /// `malformed_payload`: an authentic message whose content is invalid.
    MalformedPayload,
    /// `retired_key`: a message under a session key already retired.
    RetiredKey,
    /// `replayed`: an envelope accepted before came again under another
    /// server id.
    Replayed,
    /// `own_key_mismatch`: the server holds another identity key for our
    /// own account than this chatd's (someone logged in to it with another
    /// key); notes to self are refused until it is fixed.
    OwnKeyMismatch,
    /// `group_malformed`: a group state breaks PROTOCOL.md §4.2.
    GroupMalformed,
    /// `group_too_large`: a group state with more than 256 members.
    GroupTooLarge,
    /// `group_bad_signature`: a group state whose signature does not verify
    /// against its signer's pinned key.
    GroupBadSignature,
    /// `group_not_admin`: a group change signed by someone who may not
    /// make it.
    GroupNotAdmin,
    /// `group_broken_chain`: a group state that does not follow the one
    /// held.
    GroupBrokenChain,
    /// `group_version_gap`: a group state held for a missing version
    /// expired before the gap was filled.
    GroupVersionGap,
    /// `group_stale`: an older group state came again (a replay).
    GroupStale,
    /// `group_conflict`: two different states for one version of a group.
    GroupConflict,
    /// `group_not_member`: a group message or state from, or for, someone
    /// who is not a member.
    GroupNotMember,
    /// `file_too_large`: a file announced larger than chatd accepts.
    FileTooLarge,
    /// `file_tampered`: a downloaded file failed its checks (altered, cut
    /// or reordered on the server or on the way); nothing was kept.
    FileTampered,
    /// A reason this build does not know, kept verbatim.
    Unknown(String),
}

impl SecurityReason {
    /// Every known reason, for tests and documentation.
    pub const KNOWN: [SecurityReason; 19] = [
        SecurityReason::MalformedEnvelope,
        SecurityReason::BadSignature,
        SecurityReason::UnwrapFailed,
        SecurityReason::BadTag,
        SecurityReason::MalformedPayload,
        SecurityReason::RetiredKey,
        SecurityReason::Replayed,
        SecurityReason::OwnKeyMismatch,
        SecurityReason::GroupMalformed,
        SecurityReason::GroupTooLarge,
        SecurityReason::GroupBadSignature,
        SecurityReason::GroupNotAdmin,
        SecurityReason::GroupBrokenChain,
        SecurityReason::GroupVersionGap,
        SecurityReason::GroupStale,
        SecurityReason::GroupConflict,
        SecurityReason::GroupNotMember,
        SecurityReason::FileTooLarge,
        SecurityReason::FileTampered,
    ];

    /// The reason named by `code` (the wire string); unknown codes are
    /// kept as [`SecurityReason::Unknown`].
    pub fn from_code(code: &str) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|r| r.as_str() == code)
            .unwrap_or_else(|| SecurityReason::Unknown(code.to_string()))
    }

    /// The wire string.
    pub fn as_str(&self) -> &str {
        match self {
            SecurityReason::MalformedEnvelope => "malformed_envelope",
            SecurityReason::BadSignature => "bad_signature",
            SecurityReason::UnwrapFailed => "unwrap_failed",
            SecurityReason::BadTag => "bad_tag",
            SecurityReason::MalformedPayload => "malformed_payload",
            SecurityReason::RetiredKey => "retired_key",
            SecurityReason::Replayed => "replayed",
            SecurityReason::OwnKeyMismatch => "own_key_mismatch",
            SecurityReason::GroupMalformed => "group_malformed",
            SecurityReason::GroupTooLarge => "group_too_large",
            SecurityReason::GroupBadSignature => "group_bad_signature",
            SecurityReason::GroupNotAdmin => "group_not_admin",
            SecurityReason::GroupBrokenChain => "group_broken_chain",
            SecurityReason::GroupVersionGap => "group_version_gap",
            SecurityReason::GroupStale => "group_stale",
            SecurityReason::GroupConflict => "group_conflict",
            SecurityReason::GroupNotMember => "group_not_member",
            SecurityReason::FileTooLarge => "file_too_large",
            SecurityReason::FileTampered => "file_tampered",
            SecurityReason::Unknown(code) => code,
        }
    }
}

impl SecurityReason {
    /// The reason in a sentence for people (frontends show this, not the
    /// code).
    pub fn describe(&self) -> String {
        match self {
            SecurityReason::MalformedEnvelope => "it arrived damaged or incomplete".into(),
            SecurityReason::BadSignature => {
                "its signature does not match the sender's key: it may be forged".into()
            }
            SecurityReason::UnwrapFailed => {
                "it was encrypted for another key than this device's".into()
            }
            SecurityReason::BadTag => "it was altered on the way".into(),
            SecurityReason::MalformedPayload => "its content is invalid".into(),
            SecurityReason::RetiredKey => {
                "it used an encryption key that was already retired (possibly a replay)".into()
            }
            SecurityReason::Replayed => "it is a copy of a message received before".into(),
            SecurityReason::OwnKeyMismatch => {
                "the server holds another key for your own account; someone may have logged in \
                 with it elsewhere"
                    .into()
            }
            SecurityReason::GroupMalformed => "a group change arrived damaged or incomplete".into(),
            SecurityReason::GroupTooLarge => "a group change named more than 256 members".into(),
            SecurityReason::GroupBadSignature => {
                "a group change is not signed by the key it names: it may be forged".into()
            }
            SecurityReason::GroupNotAdmin => {
                "a group change was made by someone who is not an admin".into()
            }
            SecurityReason::GroupBrokenChain => {
                "a group change does not follow the group as you know it".into()
            }
            SecurityReason::GroupVersionGap => {
                "a group change waited too long for the changes before it and was dropped".into()
            }
            SecurityReason::GroupStale => {
                "an old group change came again (possibly a replay)".into()
            }
            SecurityReason::GroupConflict => {
                "two different changes were made to one version of a group (a fork)".into()
            }
            SecurityReason::GroupNotMember => {
                "a group message came from, or for, someone who is not a member".into()
            }
            SecurityReason::FileTooLarge => "a file was announced larger than chatd accepts".into(),
            SecurityReason::FileTampered => {
                "a downloaded file was altered, cut or reordered; it was not kept".into()
            }
            SecurityReason::Unknown(code) => format!("chatd refused it ({code})"),
        }
    }
}

impl std::fmt::Display for SecurityReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for SecurityReason {
    fn from(code: &str) -> Self {
        Self::from_code(code)
    }
}

impl Serialize for SecurityReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for SecurityReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Ok(Self::from_code(&code))
    }
}

/// In the published schema a reason is a string: one of the known codes
/// today, any other string from a newer chatd.
impl schemars::JsonSchema for SecurityReason {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecurityReason".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let known: Vec<&str> = Self::KNOWN.iter().map(|r| r.as_str()).collect();
        schemars::json_schema!({
            "type": "string",
            "description": "Why chatd refused something (docs/PROTOCOL.md D5); clients must \
                accept codes they do not know.",
            "examples": known,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, EventBody};
    use serde_json::json;

    #[test]
    fn known_reasons_keep_their_wire_strings() {
        let codes = [
            "malformed_envelope",
            "bad_signature",
            "unwrap_failed",
            "bad_tag",
            "malformed_payload",
            "retired_key",
            "replayed",
            "own_key_mismatch",
            "group_malformed",
            "group_too_large",
            "group_bad_signature",
            "group_not_admin",
            "group_broken_chain",
            "group_version_gap",
            "group_stale",
            "group_conflict",
            "group_not_member",
            "file_too_large",
            "file_tampered",
        ];
        assert_eq!(codes.len(), SecurityReason::KNOWN.len());
        for (reason, code) in SecurityReason::KNOWN.iter().zip(codes) {
            assert_eq!(reason.as_str(), code);
            assert_eq!(serde_json::to_value(reason).unwrap(), json!(code));
            assert_eq!(SecurityReason::from_code(code), *reason);
        }
    }

    #[test]
    fn every_reason_has_a_sentence_without_its_code() {
        for reason in SecurityReason::KNOWN {
            let text = reason.describe();
            assert!(!text.contains(reason.as_str()), "{text}");
            assert!(!text.contains('_'), "{text}");
        }
        let unknown = SecurityReason::Unknown("quantum_flux".into()).describe();
        assert!(unknown.contains("quantum_flux"), "{unknown}");
    }

    #[test]
    fn an_unknown_reason_round_trips_verbatim() {
        let wire = json!({"seq": 4, "type": "security", "user": "eve", "reason": "quantum_flux"});
        let event: Event = serde_json::from_value(wire.clone()).unwrap();
        let EventBody::Security { reason, .. } = &event.body else {
            panic!("not a security event: {event:?}");
        };
        assert_eq!(*reason, SecurityReason::Unknown("quantum_flux".into()));
        assert_eq!(reason.to_string(), "quantum_flux");
        assert_eq!(serde_json::to_value(&event).unwrap(), wire);
    }

    #[test]
    fn a_known_reason_in_an_event_is_the_same_json_as_before() {
        let wire = json!({"seq": 9, "type": "security", "user": "eve", "reason": "bad_tag"});
        let event: Event = serde_json::from_value(wire.clone()).unwrap();
        assert!(matches!(
            event.body,
            EventBody::Security {
                reason: SecurityReason::BadTag,
                ..
            }
        ));
        assert_eq!(serde_json::to_value(&event).unwrap(), wire);
    }
}
