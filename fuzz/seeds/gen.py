#!/usr/bin/env python3
"""Writes the fuzz seed corpus (fuzz/seeds/<target>/) from the protocol
vectors (testdata/vectors/v1.json), the e2e vectors
(testdata/e2e/vectors.json) and the group vectors
(testdata/groups/vectors.json), and the file vectors
(testdata/files/vectors.json, and testdata/files/gen.py's construction).
Deterministic: run it again after changing the vectors and commit the
result. Seeds only steer the fuzzer towards
deep paths; the fuzzer mutates them from there."""

import base64
import hashlib
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "fuzz", "seeds")
V1 = json.load(open(os.path.join(ROOT, "testdata", "vectors", "v1.json")))
E2E = json.load(open(os.path.join(ROOT, "testdata", "e2e", "vectors.json")))
GROUPS = json.load(open(os.path.join(ROOT, "testdata", "groups", "vectors.json")))
FILES = json.load(open(os.path.join(ROOT, "testdata", "files", "vectors.json")))


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def write(target, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


SEALED = V1["credentials"]["sealed"]
SK_ENV = V1["session"]["session_key_envelope"]
MSG_ENV = V1["session"]["msg_envelope"]
ALICE_PEM = V1["keys"]["alice"]["public_pem"]
ALICE_FPR = V1["keys"]["alice"]["fingerprint"]
KEY_ID = SK_ENV["key_id"]

REQUESTS = [
    {"type": "signup", "id": 1, "credentials": SEALED, "public_key": ALICE_PEM},
    {"type": "login", "id": "a", "credentials": SEALED, "public_key": ALICE_PEM},
    {"type": "resume", "id": 2, "credentials": SEALED},
    {"type": "logout", "id": 3},
    {"type": "change_password", "id": 4, "credentials": SEALED},
    {"type": "list_users", "id": 5, "prefix": "al", "limit": 10, "online_only": True, "after": "a"},
    {"type": "get_key", "id": 6, "username": "bob"},
    {"type": "watch", "id": 7, "users": ["bob", "carol"]},
    {"type": "unwatch", "id": 8, "users": ["bob"]},
    {"type": "send", "id": 9, "to": "bob", "envelope": MSG_ENV},
    {"type": "send", "id": 10, "to": "bob", "envelope": SK_ENV},
    {"type": "send", "id": 13, "to": "bob", "envelope": MSG_ENV, "ephemeral": True},
    {"type": "send_multi", "id": 14, "messages": [{"to": "bob", "envelope": SK_ENV},
                                                   {"to": "bob", "envelope": MSG_ENV},
                                                   {"to": "carol", "envelope": "not an object"}]},
    {"type": "send_multi", "id": 15, "ephemeral": True, "messages": [{"to": "bob", "envelope": MSG_ENV}]},
    {"type": "group_commit", "id": 16, "group_id": "6c5d130e-8708-4887-80c3-5c82d334a3e7", "version": 2,
     "state_hash": "ab" * 32, "members": ["alice", "bob"], "admins": ["alice"]},
    {"type": "ack", "msg_ids": ["m1", "m2"]},
    {"type": "ping", "id": 1.5},
    {"type": "nope", "id": 11},
]

SERVER = [
    {"type": "hello", "protocol": 1, "server": "chat-server 0.1", "server_key": ALICE_PEM,
     "nonce": V1["credentials"]["hello_nonce"]},
    {"type": "signup_ok", "id": 1, "username": "alice"},
    {"type": "login_ok", "id": 2, "username": "alice", "token": "dG9rZW4=", "token_expires": 1764100000000},
    {"type": "logout_ok", "id": 3},
    {"type": "password_changed", "id": 4},
    {"type": "users", "id": 5, "users": [{"username": "bob", "online": True}], "more": False},
    {"type": "key", "id": 6, "username": "alice", "public_key": ALICE_PEM, "fingerprint": ALICE_FPR},
    {"type": "watch_ok", "id": 7, "users": [{"username": "bob", "online": False}]},
    {"type": "unwatch_ok", "id": 8, "users": ["bob"]},
    {"type": "presence", "username": "bob", "online": True, "ts": 5},
    {"type": "key_changed", "username": "bob", "fingerprint": ALICE_FPR},
    {"type": "sent", "id": 9, "msg_id": "m1", "ts": 6, "queued": True},
    {"type": "deliver", "msg_id": "m1", "from": "alice", "ts": 7, "envelope": MSG_ENV},
    {"type": "sent", "id": 10, "msg_id": "m2", "ts": 6, "queued": False, "delivered": True},
    {"type": "sent_multi", "id": 11, "ts": 6, "results": [
        {"to": "bob", "msg_id": "m3", "queued": True},
        {"to": "carol", "msg_id": "m4", "queued": False, "delivered": False},
        {"to": "dave", "error": {"code": "mailbox_full", "message": "full"}}]},
    {"type": "group_committed", "id": 13, "group_id": "6c5d130e-8708-4887-80c3-5c82d334a3e7", "version": 2},
    {"type": "deliver", "msg_id": "m5", "from": "alice", "ts": 7, "envelope": MSG_ENV, "ephemeral": True},
    {"type": "pong", "id": "p"},
    {"type": "error", "id": 12, "code": "rate_limited", "message": "wait", "retry_after_ms": 1000},
    {"type": "error", "id": 14, "code": "stale_version", "message": "lost", "current_version": 3,
     "current_hash": "cd" * 32},
    {"type": "error", "id": 15, "code": "not_group_admin", "message": "no"},
]

LOCAL_API = [
    {"jsonrpc": "2.0", "id": 1, "method": "status"},
    {"jsonrpc": "2.0", "id": "x", "method": "login", "params": {"username": "alice", "password": "correct horse battery"}},
    {"jsonrpc": "2.0", "id": 2, "method": "send", "params": {"to": "bob", "text": "hello \u2713"}},
    {"jsonrpc": "2.0", "id": 3, "method": "history", "params": {"peer": "bob", "limit": 50, "before": 10}},
    {"jsonrpc": "2.0", "id": None, "method": "subscribe", "params": {"events": ["message", "presence"]}},
    {"jsonrpc": "2.0", "method": "event", "params": {"seq": 9, "type": "presence", "user": "bob", "online": True}},
    {"jsonrpc": "2.0", "id": 4, "result": {"seq": 4}},
    {"jsonrpc": "2.0", "id": 5, "error": {"code": -32601, "message": "no such method"}},
]


def main():
    if os.path.isdir(OUT):
        for entry in os.listdir(OUT):
            p = os.path.join(OUT, entry)
            if os.path.isdir(p):
                shutil.rmtree(p)

    for r in REQUESTS:
        write("wire_request", compact(r))
    write("wire_request", json.dumps(REQUESTS[0], indent=1).encode())
    for m in SERVER:
        write("wire_server", compact(m))

    frames = b"".join(struct.pack(">I", len(compact(r))) + compact(r) for r in REQUESTS[:4])
    for selector in (0, 1, 2):
        write("frame_codec", bytes([selector]) + frames)
    write("frame_codec", b"\x01\x00\x00\x00\x00")
    write("frame_codec", b"\x02\xff\xff\xff\xff")

    for line in LOCAL_API:
        write("local_api", compact(line))

    # envelope: even first byte = envelope JSON, odd = plaintext to seal.
    envs = [SK_ENV, MSG_ENV] + [v for k, v in V1["negative"].items() if isinstance(v, dict)]
    for e in envs:
        write("envelope", b"\x00" + compact(e))
    plaintexts = [V1["session"]["msg_plaintext"]] if "msg_plaintext" in V1["session"] else []
    for p in plaintexts:
        write("envelope", b"\x01" + (p.encode() if isinstance(p, str) else compact(p)))
    text = {"id": "6c5d130e-8708-4887-80c3-5c82d334a3e7", "ts": 5, "type": "text", "text": "hi \u2713"}
    receipt = {"id": "6c5d130e-8708-4887-80c3-5c82d334a3e7", "ts": 9, "type": "receipt",
               "status": "read", "ids": ["0b0c1f4a-51b8-4c4e-9c1b-3d3a3f4c2e10"]}
    unknown = {"type": "file", "whatever": 1}
    for p in (text, receipt, unknown):
        write("envelope", b"\x03" + compact(p))
        write("payload", compact(p))
    write("payload", json.dumps(text, indent=2).encode())

    # sealed: 0 = JSON blob, 1 = raw ek|nonce|ct, 2 = plaintext to seal.
    write("sealed", b"\x00" + compact(SEALED))
    raw = b"".join(base64.b64decode(SEALED[k]) for k in ("ek", "nonce", "ct"))
    write("sealed", b"\x01" + raw)
    write("sealed", b"\x02" + V1["credentials"]["plaintext"].encode())

    # The e2e vectors' plaintexts (made by Python) as payload seeds.
    for direction in ("alice_to_bob", "bob_to_alice"):
        for m in E2E[direction]["messages"]:
            p = m.get("plaintext")
            if isinstance(p, str):
                write("payload", p.encode())
                write("envelope", b"\x05" + p.encode())
            if isinstance(m.get("envelope"), dict):
                write("envelope", b"\x00" + compact(m["envelope"]))

    # group_state: even = the state as received, odd = re-signed first
    # (3 = re-signed and chained to the vectors' state one version below).
    for step in GROUPS["chain"]:
        for mode in (0, 1, 3):
            write("group_state", bytes([mode]) + compact(step["state"]))
    for case in GROUPS["cases"]:
        write("group_state", b"\x00" + compact(case["state"]))
        write("group_state", b"\x01" + compact(case["state"]))

    files_seeds()


def files_seeds():
    """file: 0 = payload plaintexts, 1 = u32le size | piece | blob under
    the target's fixed key (sealed by testdata/files/gen.py's
    construction), 2 = a file to seal."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "filegen", os.path.join(ROOT, "testdata", "files", "gen.py"))
    fg = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fg)
    key, prefix, blob_id = bytes([7] * 32), bytes([9] * 8), "ab" * 16
    for size in (0, 1, 100, 4097, 9000):
        blob = b"".join(fg.seal(key, prefix, blob_id, fg.pattern(0, size)))
        write("file", b"\x01" + struct.pack("<I", size) + b"\x05" + blob)
        write("file", b"\x02" + fg.pattern(0, size))
    for e in FILES["files"][:6]:
        p = {"id": "6c5d130e-8708-4887-80c3-5c82d334a3e7", "ts": 1764100000000, "type": "file",
             "blob": e["blob"], "key": e["key"], "nonce": e["nonce"], "digest": e["digest"],
             "size": e["size"], "name": e["name"] + ".bin", "mime": "application/octet-stream"}
        write("file", b"\x00" + compact(p))
        g = dict(p, type="group_file", group_id="5b0e8c1a-7d3f-4e29-9a61-0c4b2d8e7f13", version=3,
                 thumbnail=base64.b64encode(b"\x89PNG").decode(), caption="hi \u2713")
        write("file", b"\x00" + compact(g))


if __name__ == "__main__":
    main()
