"""An independent implementation of PROTOCOL.md §4.2-§4.4 (group states) in
Python with `cryptography` (OpenSSL), written from the specification alone.
gen.py uses it to make testdata/groups/vectors.json and verify.py to check
states made by the Rust code (crates/chat-e2e/tests/python_interop.rs).
"""

import base64
import hashlib
import json
import re
import struct
import unicodedata

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

LABEL = "securechat-v1-group-state"
MAX_MEMBERS = 256
MAX_NAME = 64
MAX_VERSION = 2**53 - 1
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
USERNAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
HEX64 = re.compile(r"[0-9a-f]{64}")


class Refused(Exception):
    """A state refused with the §4.4 reason `code`."""

    def __init__(self, code, detail=""):
        super().__init__(f"{code}: {detail}")
        self.code = code


def tbs(*fields):
    out = b""
    for f in fields:
        if isinstance(f, str):
            f = f.encode()
        out += struct.pack(">I", len(f)) + f
    return out


def state_bytes(s):
    """state_bytes of §4.3 from the JSON fields of a state."""
    return tbs(
        LABEL,
        s["group_id"],
        str(s["version"]),
        s["prev"],
        s["name"],
        tbs(*s["members"]),
        tbs(*s["admins"]),
        s["signer"],
        s["signer_fingerprint"],
    )


def state_hash(s):
    return hashlib.sha256(state_bytes(s)).hexdigest()


def fingerprint(public_key):
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def sign(s, private_key):
    """The state with `sig` set: RSA-PSS over state_bytes."""
    sig = private_key.sign(state_bytes(s), PSS, hashes.SHA256())
    return dict(s, sig=base64.b64encode(sig).decode())


def _str(s, name):
    v = s.get(name)
    if not isinstance(v, str):
        raise Refused("group_malformed", name)
    return v


def _list(s, name):
    v = s.get(name)
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise Refused("group_malformed", name)
    if name == "members" and len(v) > MAX_MEMBERS:
        raise Refused("group_too_large", str(len(v)))
    if any(a.encode() >= b.encode() for a, b in zip(v, v[1:])):
        raise Refused("group_malformed", name + " not strictly ascending")
    return v


def check_well_formed(s):
    """Step 1 of §4.4 (the rules of §4.2)."""
    if not UUID.fullmatch(_str(s, "group_id")):
        raise Refused("group_malformed", "group_id")
    v = s.get("version")
    if type(v) is not int or not 1 <= v <= MAX_VERSION:
        raise Refused("group_malformed", "version")
    prev = _str(s, "prev")
    if (prev != "") if v == 1 else not HEX64.fullmatch(prev):
        raise Refused("group_malformed", "prev")
    name = _str(s, "name")
    if not 1 <= len(name) <= MAX_NAME or any(unicodedata.category(c) == "Cc" for c in name):
        raise Refused("group_malformed", "name")
    members = _list(s, "members")
    admins = _list(s, "admins")
    if not members or not all(USERNAME.fullmatch(m) for m in members):
        raise Refused("group_malformed", "members")
    if not admins or not set(admins) <= set(members):
        raise Refused("group_malformed", "admins")
    if not USERNAME.fullmatch(_str(s, "signer")):
        raise Refused("group_malformed", "signer")
    if not HEX64.fullmatch(_str(s, "signer_fingerprint")):
        raise Refused("group_malformed", "signer_fingerprint")
    try:
        base64.b64decode(_str(s, "sig"), validate=True)
    except ValueError:
        raise Refused("group_malformed", "sig")


def verify(s, signer_public_key):
    """Step 2 of §4.4."""
    if fingerprint(signer_public_key) != s["signer_fingerprint"]:
        raise Refused("group_bad_signature", "fingerprint")
    try:
        sig = base64.b64decode(s["sig"])
        signer_public_key.verify(sig, state_bytes(s), PSS, hashes.SHA256())
    except InvalidSignature:
        raise Refused("group_bad_signature", "signature")


def accept(held, s, signer_public_key, me):
    """§4.4: returns joined/advanced/removed/duplicate or raises Refused."""
    check_well_formed(s)
    verify(s, signer_public_key)
    if held is not None:
        if s["version"] < held["version"]:
            raise Refused("group_stale")
        if s["version"] == held["version"]:
            if state_hash(s) == state_hash(held):
                return "duplicate"
            raise Refused("group_conflict")
        if me in held["members"]:
            if s["version"] > held["version"] + 1:
                raise Refused("group_version_gap")
            if s["prev"] != state_hash(held):
                raise Refused("group_broken_chain")
            signer = s["signer"]
            leave = (
                signer in held["members"]
                and s["name"] == held["name"]
                and s["members"] == [m for m in held["members"] if m != signer]
                and s["admins"] == held["admins"]
            )
            if signer not in held["admins"] and not leave:
                raise Refused("group_not_admin")
            return "advanced" if me in s["members"] else "removed"
    if me not in s["members"]:
        raise Refused("group_not_member")
    if s["signer"] not in s["admins"]:
        raise Refused("group_not_admin")
    return "joined"


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
