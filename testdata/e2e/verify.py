#!/usr/bin/env python3
"""Checks envelopes produced by chat-e2e with Python `cryptography`
(OpenSSL), an implementation independent of the Rust code.

Usage: python3 verify.py FILE.json
FILE holds {"keys": {name: {"private_pkcs8_pem", "public_pem", "fingerprint"}},
"conversations": [{"from", "to", "envelopes": [...], "plaintexts":
{"<key_id>:<seq>": "<exact plaintext>"}}]}. Every session_key envelope must
verify (RSA-PSS, salt 32) against the sender's key and our tbs, and unwrap
(RSA-OAEP) with the recipient's key to 32 bytes; every msg must decrypt
(AES-256-GCM with the tbs AAD) to exactly the expected plaintext, which must
be a JSON payload. Exits 1 with a reason on the first failure.
"""

import base64
import hashlib
import json
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def tbs(*fields):
    out = b""
    for f in fields:
        if isinstance(f, str):
            f = f.encode()
        out += struct.pack(">I", len(f)) + f
    return out


def b64(text, length=None):
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode() != text:
        raise ValueError("not canonical padded base64: %r" % text)
    if length is not None and len(data) != length:
        raise ValueError("expected %d bytes, got %d" % (length, len(data)))
    return data


def fingerprint(public_key):
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def load(keys):
    out = {}
    for name, entry in keys.items():
        priv = serialization.load_pem_private_key(entry["private_pkcs8_pem"].encode(), None)
        pub = serialization.load_pem_public_key(entry["public_pem"].encode())
        if fingerprint(pub) != entry["fingerprint"] or fingerprint(priv.public_key()) != entry["fingerprint"]:
            raise ValueError("fingerprint of %s differs from Python's" % name)
        out[name] = priv
    return out


def check_conversation(keys, conv, counts):
    frm, to = conv["from"], conv["to"]
    sender, recipient = keys[frm], keys[to]
    session_keys = {}
    seen = set()
    for env in conv["envelopes"]:
        kind = env["kind"]
        if kind == "session_key":
            wrapped = b64(env["wrapped"])
            signed = tbs(
                "securechat-v1-session-key", frm, to,
                fingerprint(sender.public_key()), fingerprint(recipient.public_key()),
                env["key_id"], wrapped,
            )
            sender.public_key().verify(b64(env["sig"]), signed, PSS, hashes.SHA256())
            key = recipient.decrypt(wrapped, OAEP)
            if len(key) != 32:
                raise ValueError("session key of %d bytes" % len(key))
            if session_keys.setdefault(env["key_id"], key) != key:
                raise ValueError("key id %s re-sent with another key" % env["key_id"])
            counts["session_key"] += 1
        elif kind == "msg":
            key_id, seq = env["key_id"], env["seq"]
            if not isinstance(seq, int) or seq < 1 or (key_id, seq) in seen:
                raise ValueError("bad or repeated seq %r under %s" % (seq, key_id))
            seen.add((key_id, seq))
            if key_id not in session_keys:
                raise ValueError("msg under %s before its session_key" % key_id)
            aad = tbs("securechat-v1-msg", frm, to, key_id, str(seq))
            pt = AESGCM(session_keys[key_id]).decrypt(b64(env["nonce"], 12), b64(env["ct"]), aad)
            expected = conv["plaintexts"]["%s:%d" % (key_id, seq)].encode()
            if pt != expected:
                raise ValueError("plaintext of %s:%d is %r, expected %r" % (key_id, seq, pt, expected))
            payload = json.loads(pt)
            if payload.get("type") not in ("text", "receipt") or "id" not in payload or not isinstance(payload.get("ts"), int):
                raise ValueError("not a payload: %r" % payload)
            counts["msg"] += 1
        else:
            raise ValueError("unknown envelope kind %r" % kind)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: verify.py FILE.json")
    data = json.load(open(sys.argv[1]))
    keys = load(data["keys"])
    counts = {"session_key": 0, "msg": 0}
    try:
        for conv in data["conversations"]:
            check_conversation(keys, conv, counts)
    except Exception as e:  # report any failure, with its type
        sys.exit("verify.py: FAILED: %s: %s" % (type(e).__name__, e))
    print("verify.py: ok: %d session keys verified and unwrapped, %d messages decrypted"
          % (counts["session_key"], counts["msg"]))


if __name__ == "__main__":
    main()
