#!/usr/bin/env python3
"""Writes testdata/groups/payloads.json: the plaintexts of PROTOCOL.md §4.1
(group_text, group_state, group_state_request, typing) as an independent
encoder writes them from the specification alone: compact JSON, fields in
the order §4.1 lists them, non-ASCII text as UTF-8.

Run from anywhere: /usr/bin/python3 testdata/groups/payloads.py
The group_state carries the first state of vectors.json's chain, so re-run
this after gen.py (its signature changes with every run of gen.py).

- `encoded`: each payload as bytes (`plaintext`); a receiver decodes it and
  encodes it again to the same bytes.
- `lenient`: the same payloads written another way (indented, keys sorted,
  ASCII escapes, uppercase `id`, an extra field): each decodes to the
  payload of the `encoded` entry it names.
- `refused`: payloads that break a rule of §4.1 or D12, with the field
  that is wrong: a receiver refuses each (`malformed_payload`).

The 64 KiB text limit is checked at its boundary by the Rust unit tests
(crates/chat-e2e/src/payload.rs) rather than here, to keep this file small.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "payloads.json")
ID = "0d6f1c2e-3a4b-4c5d-8e9f-a0b1c2d3e4f5"
GROUP_ID = "5b0e8c1a-7d3f-4e29-9a61-0c4b2d8e7f13"
TS = 1764100000000
MAX_VERSION = 2**53 - 1


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def head(kind):
    return {"id": ID, "ts": TS, "type": kind}


def main():
    with open(os.path.join(HERE, "vectors.json")) as f:
        state = json.load(f)["chain"][0]["state"]
    order = ["group_id", "version", "prev", "name", "members", "admins",
             "signer", "signer_fingerprint", "sig"]
    state = {k: state[k] for k in order}
    payloads = {
        "group_text": dict(head("group_text"), group_id=GROUP_ID, version=3,
                           text="h\u00e9llo \u2713 \"quoted\"\n\U0001f600"),
        "group_text_last_version": dict(head("group_text"), group_id=GROUP_ID,
                                        version=MAX_VERSION, text="x"),
        "group_state": dict(head("group_state"), state=state),
        "group_state_request": dict(head("group_state_request"),
                                    group_id=GROUP_ID, have=0),
        "typing_group": dict(head("typing"), group_id=GROUP_ID),
        "typing_direct": head("typing"),
    }
    encoded = [{"name": k, "plaintext": compact(v)} for k, v in payloads.items()]

    lenient = []
    for name, obj in payloads.items():
        other = dict(obj, id=ID.upper(), added_later={"x": [1, None]})
        lenient.append({"name": name, "same_as": name,
                        "plaintext": json.dumps(other, indent=2, sort_keys=True)})

    refused = []

    def refuse(name, base, field, value):
        obj = dict(payloads[base])
        if value is DROP:
            del obj[field]
        else:
            obj[field] = value
        refused.append({"name": name, "field": field, "plaintext": compact(obj)})

    DROP = object()
    refuse("group_id uppercase", "group_text", "group_id", GROUP_ID.upper())
    refuse("group_id without hyphens", "group_text", "group_id",
           GROUP_ID.replace("-", ""))
    refuse("group_id missing", "group_text", "group_id", DROP)
    refuse("version 0", "group_text", "version", 0)
    refuse("version 2^53", "group_text", "version", MAX_VERSION + 1)
    refuse("version as float", "group_text", "version", 3.0)
    refuse("version as string", "group_text", "version", "3")
    refuse("empty text", "group_text", "text", "")
    refuse("text missing", "group_text", "text", DROP)
    refuse("have negative", "group_state_request", "have", -1)
    refuse("have missing", "group_state_request", "have", DROP)
    refuse("typing group_id null", "typing_group", "group_id", None)
    refuse("state not an object", "group_state", "state", compact(state))
    refuse("ts as float", "typing_direct", "ts", 1.5)

    doc = {
        "comment": "Made by testdata/groups/payloads.py (PROTOCOL.md §4.1, D12).",
        "encoded": encoded,
        "lenient": lenient,
        "refused": refused,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
