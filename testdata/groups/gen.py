#!/usr/bin/env python3
"""Writes testdata/groups/vectors.json: known answers for group states
(PROTOCOL.md §4), made with Python `cryptography` (OpenSSL) by the
independent implementation in groupstate.py, never by the Rust code.

Run from anywhere: /usr/bin/python3 testdata/groups/gen.py
Keys: alice and bob from testdata/vectors/v1.json, carol from
testdata/e2e/vectors.json. RSA-PSS is randomized, so a re-run changes every
`sig` and nothing else: state_bytes and state hashes are exact answers.

Every case says what a member `me` holding `held` must answer when it
receives `state` signed by `state.signer`: "joined", "advanced",
"removed", "duplicate", or the security reason of the refusal. gen.py
checks each expectation with groupstate.accept before writing it.
"""

import base64
import json
import os
import sys

from cryptography.hazmat.primitives import serialization

sys.dont_write_bytecode = True
import groupstate as g  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors.json")
KEY_FILES = {
    "alice": os.path.join(HERE, "..", "vectors", "v1.json"),
    "bob": os.path.join(HERE, "..", "vectors", "v1.json"),
    "carol": os.path.join(HERE, "..", "e2e", "vectors.json"),
}
GROUP_ID = "5b0e8c1a-7d3f-4e29-9a61-0c4b2d8e7f13"
OTHER_GROUP_ID = "c0ffee00-1234-4abc-8def-0123456789ab"


def load_keys():
    keys = {}
    for name, path in KEY_FILES.items():
        with open(path) as f:
            pem = json.load(f)["keys"][name]["private_pkcs8_pem"]
        keys[name] = serialization.load_pem_private_key(pem.encode(), None)
    return keys


class Chain:
    def __init__(self, keys):
        self.keys = keys

    def fpr(self, name):
        return g.fingerprint(self.keys[name].public_key())

    def state(self, prev_state, signer, name, members, admins, **override):
        """A signed state after prev_state (None: version 1); `override`
        replaces JSON fields after signing the canonical ones (sig_by signs
        with another user's key)."""
        s = {
            "group_id": prev_state["group_id"] if prev_state else GROUP_ID,
            "version": prev_state["version"] + 1 if prev_state else 1,
            "prev": g.state_hash(prev_state) if prev_state else "",
            "name": name,
            "members": sorted(members, key=str.encode),
            "admins": sorted(admins, key=str.encode),
            "signer": signer,
            "signer_fingerprint": self.fpr(signer),
        }
        sig_by = override.pop("sig_by", signer)
        s.update({k: v for k, v in override.items() if k != "after_sig"})
        s = g.sign(s, self.keys[sig_by])
        s.update(override.get("after_sig", {}))
        return s


def entry(step, s):
    e = {"step": step, "state": s}
    try:
        e["state_bytes_hex"] = g.state_bytes(s).hex()
        e["state_hash"] = g.state_hash(s)
    except (TypeError, KeyError):
        pass
    return e


def main():
    keys = load_keys()
    c = Chain(keys)
    name = "Weekend \u2600 plans \u00e9\u00e8 \U0001f600"

    v1 = c.state(None, "alice", name, ["alice", "bob", "dave"], ["alice"])
    v2 = c.state(v1, "alice", name, ["alice", "bob", "carol", "dave"], ["alice"])
    v3 = c.state(v2, "alice", name, ["alice", "bob", "carol", "dave"], ["alice", "bob"])
    v4 = c.state(v3, "bob", name, ["alice", "bob", "carol"], ["alice", "bob"])
    v5 = c.state(v4, "carol", name, ["alice", "bob"], ["alice", "bob"])
    v6 = c.state(v5, "bob", "Weekend plans (v6)", ["alice", "bob", "dave"], ["alice", "bob"])
    chain = [
        entry("alice creates the group with bob and dave", v1),
        entry("alice adds carol", v2),
        entry("alice makes bob an admin", v3),
        entry("bob removes dave", v4),
        entry("carol leaves", v5),
        entry("bob renames the group and adds dave back", v6),
    ]

    cases = []

    def case(label, held, s, me, expect):
        signer_key = keys[s["signer"]].public_key() if s.get("signer") in keys else None
        try:
            got = g.accept(held, s, signer_key, me)
        except g.Refused as r:
            got = r.code
        assert got == expect, f"{label}: groupstate.accept says {got}, expected {expect}"
        cases.append({"name": label, "me": me, "held": held, "state": s, "expect": expect})

    # The chain, as each member sees it.
    case("bob learns the new group", None, v1, "bob", "joined")
    case("bob: carol added", v1, v2, "bob", "advanced")
    case("carol is added", None, v2, "carol", "joined")
    case("carol: bob made admin", v2, v3, "carol", "advanced")
    case("alice: bob (now admin) removes dave", v3, v4, "alice", "advanced")
    case("dave learns he was removed", v3, v4, "dave", "removed")
    case("alice: carol leaves (not an admin)", v4, v5, "alice", "advanced")
    case("carol: her own leave comes back", v4, v5, "carol", "removed")
    case("dave, removed, ignores what follows", v4, v5, "dave", "group_not_member")
    case("dave is added back across the gap", v4, v6, "dave", "joined")
    case("bob: the same state again", v5, v5, "bob", "duplicate")

    # Refusals.
    def flip(sig):
        raw = bytearray(base64.b64decode(sig))
        raw[10] ^= 0x01
        return base64.b64encode(bytes(raw)).decode()

    members2 = ["alice", "bob", "carol", "dave"]
    case("forged signature (one bit flipped)", v1,
         dict(v2, sig=flip(v2["sig"])), "bob", "group_bad_signature")
    case("signed by carol's key in alice's name", v1,
         c.state(v1, "alice", name, members2, ["alice"], sig_by="carol"),
         "bob", "group_bad_signature")
    case("alice's name with carol's fingerprint, signed by carol", v1,
         c.state(v1, "alice", name, members2, ["alice"], sig_by="carol",
                 signer_fingerprint=c.fpr("carol")),
         "bob", "group_bad_signature")
    case("a field changed after signing", v1,
         dict(v2, name="Hijacked"), "bob", "group_bad_signature")
    case("non-admin carol adds a member", v2,
         c.state(v2, "carol", name, members2 + ["mallory"], ["alice"]),
         "bob", "group_not_admin")
    case("non-admin carol removes dave", v2,
         c.state(v2, "carol", name, ["alice", "bob", "carol"], ["alice"]),
         "bob", "group_not_admin")
    case("non-admin carol makes herself admin", v2,
         c.state(v2, "carol", name, members2, ["alice", "carol"]),
         "bob", "group_not_admin")
    case("a new group whose signer is not one of its admins", None,
         c.state(None, "carol", name, ["alice", "bob", "carol"], ["alice"]),
         "bob", "group_not_admin")
    case("broken chain: prev is the hash of version 1", v2,
         c.state(v2, "alice", name, members2, ["alice", "bob"], prev=g.state_hash(v1)),
         "bob", "group_broken_chain")
    case("version gap: version 3 while holding 1", v1, v3, "bob", "group_version_gap")
    case("replayed old state: version 2 while holding 3", v3, v2, "bob", "group_stale")
    case("conflict: another version 2", v2,
         c.state(v1, "alice", name, ["alice", "bob", "dave", "mallory"], ["alice"]),
         "bob", "group_conflict")
    case("not a member of a group not held", None, v1, "carol", "group_not_member")
    case("unsorted members", None,
         c.state(None, "alice", name, ["alice", "bob"], ["alice"],
                 after_sig={"members": ["bob", "alice"]}),
         "bob", "group_malformed")
    case("an admin who is not a member", None,
         c.state(None, "alice", name, ["alice", "bob"], ["alice", "carol"]),
         "bob", "group_malformed")
    case("upper-case group id", None,
         c.state(None, "alice", name, ["alice", "bob"], ["alice"],
                 group_id=OTHER_GROUP_ID.upper()),
         "bob", "group_malformed")
    case("prev set on version 1", None,
         c.state(None, "alice", name, ["alice", "bob"], ["alice"], prev=g.state_hash(v1)),
         "bob", "group_malformed")
    case("a control character in the name", None,
         c.state(None, "alice", "tab\there", ["alice", "bob"], ["alice"]),
         "bob", "group_malformed")
    case("257 members", None,
         c.state(None, "alice", name,
                 ["alice", "bob"] + [f"m{i:03}" for i in range(255)], ["alice"],
                 group_id=OTHER_GROUP_ID),
         "bob", "group_too_large")
    case("256 members is the limit", None,
         c.state(None, "alice", name,
                 ["alice", "bob"] + [f"m{i:03}" for i in range(254)], ["alice"],
                 group_id=OTHER_GROUP_ID),
         "bob", "joined")

    keys_out = {
        n: {
            "public_pem": k.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ).decode(),
            "fingerprint": c.fpr(n),
        }
        for n, k in keys.items()
    }
    doc = {
        "description": (
            "Group state known answers (PROTOCOL.md §4) made with Python cryptography "
            "by testdata/groups/gen.py. chain: exact state_bytes and state_hash of each "
            "state, signatures to verify. cases: what `me` holding `held` answers for "
            "`state`, signed by state.signer (keys below; private keys in "
            "testdata/vectors/v1.json and testdata/e2e/vectors.json)."
        ),
        "keys": keys_out,
        "chain": chain,
        "cases": cases,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {OUT}: {len(chain)} chain states, {len(cases)} cases")


if __name__ == "__main__":
    main()
