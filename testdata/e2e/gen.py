#!/usr/bin/env python3
"""Writes testdata/e2e/vectors.json: end-to-end known answers for chat-e2e,
made with Python `cryptography` (OpenSSL), independent of the Rust code.

Run once from anywhere: python3 testdata/e2e/gen.py
The alice and bob keys come from testdata/vectors/v1.json; carol's key is
generated on the first run and reused afterwards. RSA-OAEP and RSA-PSS are
randomized, so a re-run changes `wrapped` and `sig` (and nothing else).
"""

import base64
import hashlib
import json
import os
import struct

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
V1 = os.path.join(HERE, "..", "vectors", "v1.json")
OUT = os.path.join(HERE, "vectors.json")

OAEP = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)


def b64(data):
    return base64.b64encode(data).decode()


def tbs(*fields):
    out = b""
    for f in fields:
        if isinstance(f, str):
            f = f.encode()
        out += struct.pack(">I", len(f)) + f
    return out


def public_pem(priv):
    return priv.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(priv):
    der = priv.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def key_entry(priv):
    pem = priv.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {"private_pkcs8_pem": pem, "public_pem": public_pem(priv), "fingerprint": fingerprint(priv)}


def load_keys():
    v1 = json.load(open(V1))
    keys = {
        name: serialization.load_pem_private_key(v1["keys"][name]["private_pkcs8_pem"].encode(), None)
        for name in ("alice", "bob")
    }
    if os.path.exists(OUT):
        old = json.load(open(OUT))
        pem = old["keys"]["carol"]["private_pkcs8_pem"]
        keys["carol"] = serialization.load_pem_private_key(pem.encode(), None)
    else:
        keys["carol"] = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return keys


def session_key(keys, frm, to, key_id, key, wrap_to=None, signer=None, sender_fpr_of=None):
    """A session_key envelope; the optional arguments build broken ones."""
    wrapped = keys[wrap_to or to].public_key().encrypt(key, OAEP)
    signed = tbs(
        "securechat-v1-session-key",
        frm,
        to,
        fingerprint(keys[sender_fpr_of or frm]),
        fingerprint(keys[to]),
        key_id,
        wrapped,
    )
    sig = keys[signer or frm].sign(signed, PSS, hashes.SHA256())
    env = {"kind": "session_key", "key_id": key_id, "wrapped": b64(wrapped), "sig": b64(sig)}
    return env, signed


def msg(frm, to, key_id, key, seq, nonce, plaintext, aad_from=None):
    aad = tbs("securechat-v1-msg", aad_from or frm, to, key_id, str(seq))
    ct = AESGCM(key).encrypt(nonce, plaintext, aad)
    env = {"kind": "msg", "key_id": key_id, "seq": seq, "nonce": b64(nonce), "ct": b64(ct)}
    return env, aad


def payload(**fields):
    # Python's default separators (", " and ": ") and \u escapes on purpose.
    return json.dumps(fields).encode()


def direction(keys, frm, to, key_id, key, nonce_base, payloads, first_seq):
    sk, signed = session_key(keys, frm, to, key_id, key)
    messages = []
    for i, pt in enumerate(payloads):
        seq = first_seq + i
        nonce = bytes([nonce_base]) * 11 + bytes([seq])
        env, aad = msg(frm, to, key_id, key, seq, nonce, pt)
        messages.append({"envelope": env, "aad_hex": aad.hex(), "plaintext": pt.decode()})
    return {
        "from": frm,
        "to": to,
        "session_key_envelope": sk,
        "session_key_hex": key.hex(),
        "signed_bytes_hex": signed.hex(),
        "messages": messages,
    }


def main():
    keys = load_keys()
    ts = 1764200000000
    a_ids = ["0f8f1a4e-3c1b-4d6a-9d0e-1b2c3d4e5f60", "1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d"]
    b_ids = ["2b3c4d5e-6f70-4b1c-9d2e-3f4a5b6c7d8e", "3c4d5e6f-7081-4c2d-ae3f-4a5b6c7d8e9f"]
    ab_key = bytes(range(32))
    ba_key = bytes(range(100, 132))
    ab_id = "9c6f0a3e-2b7d-4e81-a5c4-6d3f2e1b0a99"
    ba_id = "5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170"

    alice_to_bob = direction(
        keys, "alice", "bob", ab_id, ab_key, 0xA0,
        [
            payload(id=a_ids[0], ts=ts + 2, type="text", text="second \u00e9 \u2713 \"quoted\""),
            payload(id=a_ids[1], ts=ts + 3, type="text", text="third\nline"),
            payload(id="4d5e6f70-8192-4d3e-8f4a-5b6c7d8e9fa0", ts=ts + 4, type="sticker", name="x.bin"),
        ],
        first_seq=2,
    )
    bob_to_alice = direction(
        keys, "bob", "alice", ba_id, ba_key, 0xB0,
        [
            payload(id=b_ids[0], ts=ts + 10, type="text", text="hi alice"),
            payload(id=b_ids[1], ts=ts + 11, type="receipt", status="delivered", ids=a_ids),
            payload(id="6f708192-a3b4-4c5d-9e6f-708192a3b4c5", ts=ts + 12, type="receipt", status="read", ids=[a_ids[0]]),
        ],
        first_seq=1,
    )

    neg_key = bytes(range(200, 232))
    neg_id = "7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
    nonce = b"\x01" * 12
    text = payload(id="8b9c0d1e-2f3a-4b4c-9d5e-6f7a8b9c0d1e", ts=ts, type="text", text="x")
    short_key_env, _ = session_key(keys, "alice", "bob", "8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f", neg_key[:16])
    negative = {
        "note": "each is fed to bob's engine as from alice (alice pinned); expect the named reason",
        "cases": [
            {"name": "session_key_for_carol", "reason": "bad_signature",
             "envelope": session_key(keys, "alice", "carol", neg_id, neg_key)[0]},
            {"name": "session_key_wrapped_to_carol", "reason": "unwrap_failed",
             "envelope": session_key(keys, "alice", "bob", neg_id, neg_key, wrap_to="carol")[0]},
            {"name": "session_key_signed_by_carol", "reason": "bad_signature",
             "envelope": session_key(keys, "alice", "bob", neg_id, neg_key, signer="carol")[0]},
            {"name": "session_key_names_carol_as_sender", "reason": "bad_signature",
             "envelope": session_key(keys, "alice", "bob", neg_id, neg_key, signer="alice", sender_fpr_of="carol")[0]},
            {"name": "session_key_of_16_bytes", "reason": "unwrap_failed", "envelope": short_key_env},
            {"name": "msg_aad_from_mallory", "reason": "bad_tag", "needs_key": True,
             "envelope": msg("alice", "bob", ab_id, ab_key, 9, nonce, text, aad_from="mallory")[0]},
            {"name": "msg_under_wrong_key", "reason": "bad_tag", "needs_key": True,
             "envelope": msg("alice", "bob", ab_id, neg_key, 10, nonce, text)[0]},
            {"name": "msg_nonce_of_8_bytes", "reason": "malformed_envelope", "needs_key": True,
             "envelope": {"kind": "msg", "key_id": ab_id, "seq": 11, "nonce": b64(b"\x00" * 8), "ct": b64(b"\x00" * 32)}},
            {"name": "msg_bad_base64", "reason": "malformed_envelope", "needs_key": True,
             "envelope": {"kind": "msg", "key_id": ab_id, "seq": 12, "nonce": "!!!", "ct": "AAAA"}},
            {"name": "msg_payload_not_json", "reason": "malformed_payload", "needs_key": True,
             "envelope": msg("alice", "bob", ab_id, ab_key, 13, nonce, b"not json")[0]},
            {"name": "msg_text_without_id", "reason": "malformed_payload", "needs_key": True,
             "envelope": msg("alice", "bob", ab_id, ab_key, 14, nonce, payload(ts=ts, type="text", text="x"))[0]},
        ],
    }

    out = {
        "description": "chat-e2e known answers made with Python cryptography (testdata/e2e/gen.py). "
        "alice_to_bob starts at seq 2 (seq 1 of that key was never sent) and ends with an unknown "
        "payload type to ignore; bob_to_alice holds receipts. Negative cases with needs_key use the "
        "alice_to_bob key, so feed its session key first.",
        "keys": {name: key_entry(priv) for name, priv in keys.items()},
        "alice_to_bob": alice_to_bob,
        "bob_to_alice": bob_to_alice,
        "negative": negative,
    }
    with open(OUT, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
