#!/usr/bin/env python3
"""Known answers for PROTOCOL.md §5.2 (the blob of a file), written by an
implementation independent of the Rust code: padme, tbs and the chunk
construction below follow the specification alone, with AES-256-GCM from
Python `cryptography` (OpenSSL).

  /usr/bin/python3 testdata/files/gen.py             writes vectors.json
  /usr/bin/python3 testdata/files/gen.py --check F   checks blobs made by Rust

vectors.json (read by crates/chat-e2e/tests/vectors_files.rs):
- `padme`: [x, padme(x)] pairs around boundaries; `sizes`: size ->
  padded_len, chunk_count, blob_len.
- `files`: one entry per file. The file is `size` bytes, byte i being
  i mod 251 (`pattern`). Key, nonce prefix and blob id are fixed per entry.
  Each gives the blob's SHA-256 (`digest`) and length, the tag of every
  chunk, and the whole blob (`blob_b64`) when it is at most 8 KiB, or else
  its first 64 bytes and its last chunk when that is at most 16 KiB. Entries
  size_262144 and size_262145 share their key, prefix and blob id (the
  `early_final` refusal joins their chunks).
- `payloads`: §5.1 plaintexts: `encoded` (exact bytes a receiver decodes
  and encodes back), `lenient` (another spelling of one of them) and
  `refused` (with the field at fault; `size_over_limit` for a size above
  the default 100 MiB limit).
- `refused`: blobs that must not open. `parts` builds the blob: whole
  chunks of a `files` entry ({"vector", "chunk"}), raw bytes ({"b64"}),
  then an optional `flip` [offset, xor mask] and `cut` (length); its
  SHA-256 is `blob_digest`. `payload` holds the fields it is opened with.
  `error` is the refusal when opened in the order of §5.2 (length, digest,
  then chunks); `stream_error` the refusal of a reader that opens chunks
  as they arrive and checks the digest at the end.

The check mode reads a JSON file written by crates/chat-e2e/tests/
python_interop.rs: `padme` pairs, and `files`, each with the compact
`payload` plaintext (a `file` payload) and the blob (`blob_b64`); it checks
the payload's shape, the blob's length and digest, opens every chunk,
checks the padding and compares the file with the pattern. Prints a
one-line summary and exits 0, or prints every mismatch and exits 1.
"""

import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors.json")

CHUNK = 262144
TAG = 16
MIN_PADDED = 4096
LABEL = b"securechat-v1-file-chunk"


def padme(x):
    """Padmé of Nikitin et al. (PETS 2019), with padme(0) = 0, padme(1) = 1."""
    if x < 2:
        return x
    e = x.bit_length() - 1           # floor(log2 x)
    s = (e.bit_length() - 1) + 1     # floor(log2 E) + 1
    z = e - s
    mask = (1 << z) - 1
    return (x + mask) & ~mask


def padded_len(size):
    return padme(max(size, MIN_PADDED))


def chunk_count(size):
    return -(-padded_len(size) // CHUNK)


def blob_len(size):
    return padded_len(size) + TAG * chunk_count(size)


def tbs(*fields):
    out = b""
    for f in fields:
        if isinstance(f, str):
            f = f.encode()
        out += struct.pack(">I", len(f)) + f
    return out


def aad(blob_id, index, last):
    return tbs(LABEL, blob_id, str(index), "1" if last else "0")


def nonce(prefix, index):
    return prefix + struct.pack(">I", index)


def pattern(start, length):
    return bytes((i % 251) for i in range(start, start + length))


def seal_chunk(key, prefix, blob_id, index, last, plaintext):
    return AESGCM(key).encrypt(nonce(prefix, index), plaintext, aad(blob_id, index, last))


def seal(key, prefix, blob_id, data):
    """The blob of `data`: padded with zeros to padded_len, cut into
    chunks, each sealed at its index with its final flag."""
    stream = data + bytes(padded_len(len(data)) - len(data))
    n = chunk_count(len(data))
    return [seal_chunk(key, prefix, blob_id, i, i == n - 1, stream[i * CHUNK:(i + 1) * CHUNK])
            for i in range(n)]


class Refused(Exception):
    pass


def open_blob(key, prefix, blob_id, size, digest, blob):
    """Opens in the order of §5.2: length, digest, chunks; returns the file."""
    if len(blob) != blob_len(size):
        raise Refused("size_mismatch")
    if hashlib.sha256(blob).hexdigest() != digest:
        raise Refused("digest_mismatch")
    n, out, pos = chunk_count(size), b"", 0
    padded = padded_len(size)
    for i in range(n):
        plain = min(CHUNK, padded - i * CHUNK)
        sealed = blob[pos:pos + plain + TAG]
        pos += plain + TAG
        try:
            pt = AESGCM(key).decrypt(nonce(prefix, i), sealed, aad(blob_id, i, i == n - 1))
        except Exception:
            raise Refused(f"chunk {i} does not open")
        keep = max(0, min(CHUNK, size - i * CHUNK))
        if any(pt[keep:]):
            raise Refused("bad_padding")
        out += pt[:keep]
    return out


def b64(b):
    return base64.b64encode(b).decode()


def fixed(label, n):
    """Deterministic test bytes: the start of SHA-256("label")."""
    return hashlib.sha256(label.encode()).digest()[:n]


FILE_SIZES = [0, 1, 100, 4095, 4096, 4097, 262143, 262144, 262145, 600 * 1024,
              2162688, 2162689]


def file_entry(size):
    name = f"size_{size}"
    # size_262144 and size_262145 share their secrets: see `early_final`.
    seed = "shared" if size in (262144, 262145) else name
    key, prefix = fixed("key " + seed, 32), fixed("nonce " + seed, 8)
    blob_id = fixed("blob " + seed, 16).hex()
    chunks = seal(key, prefix, blob_id, pattern(0, size))
    blob = b"".join(chunks)
    assert len(blob) == blob_len(size)
    digest = hashlib.sha256(blob).hexdigest()
    assert open_blob(key, prefix, blob_id, size, digest, blob) == pattern(0, size)
    e = {
        "name": name, "size": size, "pattern": "byte i of the file is i mod 251",
        "key": b64(key), "nonce": b64(prefix), "blob": blob_id, "digest": digest,
        "padded_len": padded_len(size), "chunk_count": len(chunks), "blob_len": len(blob),
        "tags_hex": [c[-TAG:].hex() for c in chunks],
    }
    if len(blob) <= 8192:
        e["blob_b64"] = b64(blob)
    else:
        e["head_b64"] = b64(blob[:64])
        if len(chunks[-1]) <= 16384:
            e["last_chunk_b64"] = b64(chunks[-1])
    return e, chunks


def build(parts, chunks_of, flip=None, cut=None):
    blob = b""
    for p in parts:
        blob += chunks_of[p["vector"]][p["chunk"]] if "vector" in p else base64.b64decode(p["b64"])
    if flip:
        b = bytearray(blob)
        b[flip[0]] ^= flip[1]
        blob = bytes(b)
    if cut is not None:
        blob = blob[:cut]
    return blob


def refusals(files, chunks_of):
    def payload(name, **over):
        f = files[name]
        p = {k: f[k] for k in ("blob", "key", "nonce", "digest", "size")}
        p.update(over)
        return p

    def whole(name):
        return [{"vector": name, "chunk": i} for i in range(files[name]["chunk_count"])]

    big, one = "size_614400", "size_1"
    # Padding that is not zero, sealed by a careless sender: a 100-byte
    # file whose 3996 bytes of padding are 0x01.
    k, pre, bid = fixed("key bad", 32), fixed("nonce bad", 8), fixed("blob bad", 16).hex()
    bad = seal_chunk(k, pre, bid, 0, True, pattern(0, 100) + b"\x01" * 3996)
    other_blob = fixed("another blob", 16).hex()
    cases = [
        # name, parts, flip, cut, payload overrides (digest: of the blob
        # itself unless given), error, stream_error
        ("tampered", whole(big), [CHUNK + TAG + 5, 1], None, {},
         {"code": "tampered_chunk", "index": 1}, {"code": "tampered_chunk", "index": 1}),
        ("tampered_in_transit", whole(big), [CHUNK + TAG + 5, 1], None,
         {"digest": files[big]["digest"]},
         {"code": "digest_mismatch"}, {"code": "tampered_chunk", "index": 1}),
        ("truncated", whole(big)[:2], None, None, {"size": 524288},
         {"code": "missing_final", "index": 1}, {"code": "missing_final", "index": 1}),
        ("truncated_in_transit", whole(big), None, files[big]["blob_len"] - 1,
         {"digest": files[big]["digest"]},
         {"code": "size_mismatch"}, {"code": "truncated"}),
        ("swapped", [whole(big)[1], whole(big)[0], whole(big)[2]], None, None, {},
         {"code": "swapped_chunk", "index": 0, "sealed_as": 1},
         {"code": "swapped_chunk", "index": 0, "sealed_as": 1}),
        ("early_final", [{"vector": "size_262144", "chunk": 0},
                         {"vector": "size_262145", "chunk": 1}], None, None,
         {"size": 262145}, {"code": "early_final", "index": 0},
         {"code": "early_final", "index": 0}),
        ("trailing_bytes", whole(one) + [{"b64": b64(b"\x00")}], None, None,
         {"digest": files[one]["digest"]},
         {"code": "size_mismatch"}, {"code": "trailing_bytes"}),
        ("bad_padding", [{"b64": b64(bad)}], None, None,
         {"key": b64(k), "nonce": b64(pre), "blob": bid, "size": 100},
         {"code": "bad_padding", "index": 0}, {"code": "bad_padding", "index": 0}),
        ("wrong_blob_id", whole(one), None, None, {"blob": other_blob},
         {"code": "wrong_blob"}, {"code": "tampered_chunk", "index": 0}),
    ]
    out = []
    for name, parts, flip, cut, over, err, stream_err in cases:
        blob = build(parts, chunks_of, flip, cut)
        digest = hashlib.sha256(blob).hexdigest()
        over.setdefault("digest", digest)
        base = files[one] if "key" in over else files[parts[0].get("vector", one)]
        p = {k: base[k] for k in ("blob", "key", "nonce", "digest", "size")}
        p.update(over)
        # The independent opener refuses it too (in the normative order).
        try:
            open_blob(base64.b64decode(p["key"]), base64.b64decode(p["nonce"]), p["blob"],
                      p["size"], p["digest"], blob)
            raise SystemExit(f"{name}: python opened it")
        except Refused:
            pass
        e = {"name": name, "parts": parts, "blob_digest": digest, "blob_len": len(blob),
             "payload": p, "error": err, "stream_error": stream_err}
        if flip:
            e["flip"] = flip
        if cut is not None:
            e["cut"] = cut
        out.append(e)
    return out


ID = "0d6f1c2e-3a4b-4c5d-8e9f-a0b1c2d3e4f5"
GROUP_ID = "5b0e8c1a-7d3f-4e29-9a61-0c4b2d8e7f13"
TS = 1764100000000


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def payloads(files):
    """§5.1 plaintexts as an independent encoder writes them (fields in the
    order of §5.1, optional ones omitted), and refused ones with the field
    at fault (`size_over_limit`: refused for its size, not as malformed)."""
    f = files["size_4097"]

    def file_fields(**extra):
        d = {"blob": f["blob"], "key": f["key"], "nonce": f["nonce"], "digest": f["digest"],
             "size": f["size"], "name": "r\u00e9sum\u00e9 \u2713.pdf", "mime": "application/pdf"}
        d.update(extra)
        return d

    def head(kind, **group):
        return dict({"id": ID, "ts": TS, "type": kind}, **group)

    full = dict(head("file"), **file_fields(thumbnail=b64(b"\x89PNG\r\n\x1a\n"),
                                             caption="see \"this\"\n\U0001f600"))
    encoded = {
        "file": dict(head("file"), **file_fields()),
        "file_full": full,
        "group_file": dict(head("group_file", group_id=GROUP_ID, version=7), **file_fields()),
        "file_limits": dict(head("file"), **file_fields(
            size=104857600, name="n" * 255, mime="m" * 127,
            thumbnail=b64(bytes(16384)), caption="c")),
    }
    base = encoded["file"]
    bad = [
        ("blob", f["blob"].upper()), ("key", b64(bytes(31))), ("nonce", b64(bytes(12))),
        ("digest", f["digest"][:-2]), ("size", -1), ("size", 1.5), ("size", "1"),
        ("name", ""), ("name", "n" * 256), ("name", "a/b"), ("name", "a\\b"),
        ("name", "a\u0000b"), ("name", "."), ("name", ".."), ("mime", ""),
        ("mime", "m" * 128), ("mime", "text/plain\n"), ("thumbnail", ""),
        ("thumbnail", b64(bytes(16385))), ("thumbnail", None), ("caption", ""),
        ("caption", None),
    ]
    refused = []
    for i, (field, value) in enumerate(bad):
        refused.append({"name": f"{field}_{i}", "field": field,
                        "plaintext": compact(dict(base, **{field: value}))})
    for missing in ("blob", "key", "nonce", "digest", "size", "name", "mime"):
        refused.append({"name": f"missing_{missing}", "field": missing,
                        "plaintext": compact({k: v for k, v in base.items() if k != missing})})
    refused.append({"name": "group_file_version_0", "field": "version",
                    "plaintext": compact(dict(encoded["group_file"], version=0))})
    refused.append({"name": "size_over_limit", "field": "size_over_limit",
                    "plaintext": compact(dict(base, size=104857601))})
    lenient = {"name": "file_lenient", "same_as": "file",
               "plaintext": json.dumps(dict(sorted(base.items()), id=ID.upper(), extra=[1]),
                                       indent=2)}
    return {"encoded": [{"name": k, "plaintext": compact(v)} for k, v in encoded.items()],
            "lenient": [lenient], "refused": refused}


def generate():
    files, chunks_of = {}, {}
    for size in FILE_SIZES:
        e, chunks = file_entry(size)
        files[e["name"]] = e
        chunks_of[e["name"]] = chunks
    points = sorted({x for b in [2, 3, 4, 4095, 4096, 4097, 8191, 8192, 8193, 65535, 65536,
                                 262143, 262144, 262145, 1048575, 1048576, 1048577,
                                 2162688, 2162689, 104857599, 104857600, 104857601,
                                 2**40 + 1, 2**50]
                     for x in (b - 1, b, b + 1) if x >= 0})
    doc = {
        "description": "PROTOCOL.md §5.2 known answers, written by testdata/files/gen.py "
                       "(Python cryptography); see its docstring",
        "chunk_len": CHUNK, "min_padded_len": MIN_PADDED, "aad_label": LABEL.decode(),
        "padme": [[x, padme(x)] for x in points],
        "sizes": [{"size": s, "padded_len": padded_len(s), "chunk_count": chunk_count(s),
                   "blob_len": blob_len(s)} for s in points],
        "files": list(files.values()),
        "refused": refusals(files, chunks_of),
        "payloads": payloads(files),
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {OUT}: {len(doc['files'])} files, {len(doc['refused'])} refusals")


PAYLOAD_ORDER = ["id", "ts", "type", "blob", "key", "nonce", "digest", "size", "name", "mime"]


def check(path):
    with open(path) as f:
        doc = json.load(f)
    errors = []
    for x, want in doc["padme"]:
        if padme(x) != want:
            errors.append(f"padme({x}): rust says {want}, python {padme(x)}")
    for e in doc["files"]:
        raw = e["payload"]
        p = json.loads(raw)
        keys = list(p.keys())
        if keys[:len(PAYLOAD_ORDER)] != PAYLOAD_ORDER or p["type"] != "file":
            errors.append(f"{e['name']}: payload fields {keys}")
        if raw != json.dumps(p, separators=(",", ":"), ensure_ascii=False):
            errors.append(f"{e['name']}: payload is not compact JSON")
        blob = base64.b64decode(e["blob_b64"])
        try:
            data = open_blob(base64.b64decode(p["key"]), base64.b64decode(p["nonce"]),
                             p["blob"], p["size"], p["digest"], blob)
            if data != pattern(0, p["size"]):
                errors.append(f"{e['name']}: the file is not the pattern")
        except Refused as r:
            errors.append(f"{e['name']}: refused: {r}")
    if errors:
        print("\n".join(errors))
        return 1
    print(f"{len(doc['padme'])} padme values agree, {len(doc['files'])} rust blobs open")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2]))
    if len(sys.argv) != 1:
        sys.exit(__doc__)
    generate()
