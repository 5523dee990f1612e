//! A group state with its RSA-PSS signature (PROTOCOL.md §4.3), and its
//! JSON form (§4.2). Parsing is strict: a state has exactly one JSON form
//! (sorted lists, canonical uuid, lowercase hex), and any other spelling is
//! refused rather than repaired, so no two members can hash different bytes
//! for what they believe is the same state.

use std::collections::BTreeSet;

use chat_proto::crypto;
use chat_proto::encoding::{b64_decode, b64_encode};
use serde::Serialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::GroupError;
use super::state::{GroupState, MAX_MEMBERS, Membership, StateHash};
use crate::identity::{IdentityKey, PublicIdentity};

/// A state and the signature of its signer over its state_bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedGroupState {
    state: GroupState,
    sig: Vec<u8>,
}

impl SignedGroupState {
    /// Signs `state` with `key`, which must be the key the state names
    /// (its `signer_fingerprint`). An RSA private operation: run it off the
    /// async workers.
    pub fn sign(state: GroupState, key: &IdentityKey) -> Result<Self, GroupError> {
        if key.fingerprint() != state.signer_fingerprint() {
            return Err(GroupError::CannotSign(
                "the key is not the one the state names as its signer's",
            ));
        }
        let sig = crypto::pss_sign(key.private(), &state.to_bytes())
            .map_err(|_| GroupError::CannotSign("the system random number generator failed"))?;
        Ok(Self { state, sig })
    }

    /// Checks step 2 of §4.4: `signer_key` is the key pinned for the
    /// state's signer; its fingerprint must be the one the state names and
    /// the signature must verify with it.
    pub fn verify(&self, signer_key: &PublicIdentity) -> Result<(), GroupError> {
        let bad = || GroupError::BadSignature {
            signer: self.state.signer().to_string(),
        };
        if signer_key.fingerprint() != self.state.signer_fingerprint() {
            return Err(bad());
        }
        crypto::pss_verify(signer_key.key(), &self.state.to_bytes(), &self.sig).map_err(|_| bad())
    }

    /// The state (not yet verified if this came from [`Self::from_json`]).
    pub fn state(&self) -> &GroupState {
        &self.state
    }

    /// The raw signature bytes.
    pub fn sig(&self) -> &[u8] {
        &self.sig
    }

    /// Pairs a state with a signature as given, unchecked: for tests and
    /// for tools that build refusals on purpose.
    pub fn from_parts(state: GroupState, sig: Vec<u8>) -> Self {
        Self { state, sig }
    }

    /// The JSON object of §4.2 as a map (serde_json sorts its keys); to
    /// write the fields in the documented order, serialise `self` instead.
    pub fn to_json(&self) -> Map<String, Value> {
        let s = &self.state;
        let list = |set: &BTreeSet<String>| Value::from(set.iter().cloned().collect::<Vec<_>>());
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("group_id", s.group_id().hyphenated().to_string().into());
        put("version", s.version().into());
        put(
            "prev",
            s.prev().map(|p| p.to_hex()).unwrap_or_default().into(),
        );
        put("name", s.name().into());
        put("members", list(s.members()));
        put("admins", list(s.admins()));
        put("signer", s.signer().into());
        put("signer_fingerprint", s.signer_fingerprint().into());
        put("sig", b64_encode(&self.sig).into());
        map
    }

    /// Parses the JSON object of §4.2 and checks every rule of §4.2
    /// (step 1 of §4.4). The signature is not checked here: see
    /// [`Self::verify`] and [`super::accept`].
    pub fn from_json(map: &Map<String, Value>) -> Result<Self, GroupError> {
        let group_id = uuid_field(map, "group_id")?;
        let version = map
            .get("version")
            .and_then(Value::as_u64)
            .ok_or(GroupError::Malformed("version"))?;
        let prev = match str_field(map, "prev")? {
            "" => None,
            hex => Some(StateHash::from_hex(hex).ok_or(GroupError::Malformed("prev"))?),
        };
        let name = str_field(map, "name")?.to_string();
        let members = sorted_list(map, "members")?;
        let admins = sorted_list(map, "admins")?;
        let signer = str_field(map, "signer")?.to_string();
        let signer_fingerprint = str_field(map, "signer_fingerprint")?.to_string();
        let sig =
            b64_decode(str_field(map, "sig")?, "sig").map_err(|_| GroupError::Malformed("sig"))?;
        let membership = Membership {
            name,
            members,
            admins,
        };
        let state = GroupState::from_parts(
            group_id,
            version,
            prev,
            membership,
            signer,
            signer_fingerprint,
        )?;
        Ok(Self { state, sig })
    }
}

/// The §4.2 fields in their documented order, for [`Serialize`].
#[derive(Serialize)]
struct Wire<'a> {
    group_id: String,
    version: u64,
    prev: String,
    name: &'a str,
    members: &'a BTreeSet<String>,
    admins: &'a BTreeSet<String>,
    signer: &'a str,
    signer_fingerprint: &'a str,
    sig: String,
}

impl Serialize for SignedGroupState {
    /// The JSON object of §4.2 with its fields in the documented order (as
    /// a `group_state` payload carries it).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let s = &self.state;
        Wire {
            group_id: s.group_id().hyphenated().to_string(),
            version: s.version(),
            prev: s.prev().map(|p| p.to_hex()).unwrap_or_default(),
            name: s.name(),
            members: s.members(),
            admins: s.admins(),
            signer: s.signer(),
            signer_fingerprint: s.signer_fingerprint(),
            sig: b64_encode(&self.sig),
        }
        .serialize(serializer)
    }
}

/// A uuid in its one canonical form (lowercase, hyphenated), any RFC 4122
/// version: how `group_id` is written in states and payloads alike.
pub(crate) fn canonical_uuid(text: &str) -> Option<Uuid> {
    match Uuid::try_parse(text) {
        Ok(id) if id.hyphenated().to_string() == text => Some(id),
        _ => None,
    }
}

fn str_field<'a>(map: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, GroupError> {
    map.get(name)
        .and_then(Value::as_str)
        .ok_or(GroupError::Malformed(name))
}

fn uuid_field(map: &Map<String, Value>, name: &'static str) -> Result<Uuid, GroupError> {
    canonical_uuid(str_field(map, name)?).ok_or(GroupError::Malformed(name))
}

/// A list of strings in strictly ascending byte order. The count is checked
/// first, so an oversized list is `group_too_large` whatever it holds.
fn sorted_list(
    map: &Map<String, Value>,
    name: &'static str,
) -> Result<BTreeSet<String>, GroupError> {
    let items = map
        .get(name)
        .and_then(Value::as_array)
        .ok_or(GroupError::Malformed(name))?;
    if name == "members" && items.len() > MAX_MEMBERS {
        return Err(GroupError::TooManyMembers {
            count: items.len(),
            max: MAX_MEMBERS,
        });
    }
    let mut out = BTreeSet::new();
    let mut last: Option<&str> = None;
    for item in items {
        let text = item.as_str().ok_or(GroupError::Malformed(name))?;
        if last.is_some_and(|l| l >= text) {
            return Err(GroupError::Malformed(name));
        }
        last = Some(text);
        out.insert(text.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_keys::{alice, alice_public, bob_public};
    use serde_json::json;

    fn signed() -> SignedGroupState {
        let key = alice();
        let m = Membership::new("friends", ["alice", "bob"], ["alice"]);
        let state = GroupState::genesis(Uuid::from_u128(7), m, "alice", key.fingerprint()).unwrap();
        SignedGroupState::sign(state, &key).unwrap()
    }

    #[test]
    fn signs_verifies_and_round_trips_through_json() {
        let s = signed();
        s.verify(&alice_public()).unwrap();
        let again = SignedGroupState::from_json(&s.to_json()).unwrap();
        assert_eq!(again, s);
        again.verify(&alice_public()).unwrap();
    }

    #[test]
    fn serialises_in_the_documented_order() {
        let s = signed();
        let text = serde_json::to_string(&s).unwrap();
        let keys = [
            "group_id",
            "version",
            "prev",
            "name",
            "members",
            "admins",
            "signer",
            "signer_fingerprint",
            "sig",
        ];
        let at: Vec<usize> = keys
            .iter()
            .map(|k| text.find(&format!("\"{k}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
        let Value::Object(map) = serde_json::from_str(&text).unwrap() else {
            panic!("not an object")
        };
        assert_eq!(map, s.to_json());
    }

    #[test]
    fn another_key_does_not_verify_nor_sign() {
        let s = signed();
        assert_eq!(
            s.verify(&bob_public()),
            Err(GroupError::BadSignature {
                signer: "alice".into()
            })
        );
        let state = s.state().clone();
        assert!(matches!(
            SignedGroupState::sign(state, &crate::test_keys::bob()),
            Err(GroupError::CannotSign(_))
        ));
    }

    #[test]
    fn non_canonical_json_is_refused() {
        let good = Value::Object(signed().to_json());
        let cases = [
            (
                "group_id",
                json!("00000000-0000-0000-0000-00000000000G"),
                "group_id",
            ),
            (
                "group_id",
                json!(Uuid::from_u128(7).simple().to_string()),
                "group_id",
            ),
            ("version", json!(1.0), "version"),
            ("version", json!("1"), "version"),
            ("version", json!(0), "version"),
            ("prev", json!("ab"), "prev"),
            ("prev", Value::Null, "prev"),
            ("members", json!(["bob", "alice"]), "members"),
            ("members", json!(["alice", "alice", "bob"]), "members"),
            ("members", json!(["alice", 3]), "members"),
            ("admins", json!(["carol"]), "admins"),
            ("signer", json!("a b"), "signer"),
            ("sig", json!("not base64!"), "sig"),
        ];
        for (field, value, err) in cases {
            let mut v = good.clone();
            v[field] = value.clone();
            let map = v.as_object().unwrap();
            assert_eq!(
                SignedGroupState::from_json(map),
                Err(GroupError::Malformed(err)),
                "{field} = {value}"
            );
        }
        let mut v = good;
        v["members"] = json!((0..300).map(|i| format!("u{i:03}")).collect::<Vec<_>>());
        assert_eq!(
            SignedGroupState::from_json(v.as_object().unwrap()),
            Err(GroupError::TooManyMembers {
                count: 300,
                max: 256
            })
        );
    }
}
