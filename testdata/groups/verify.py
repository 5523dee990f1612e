#!/usr/bin/env python3
"""Checks group states made by the Rust code (chat-e2e) with the independent
implementation in groupstate.py: for each state, the state_bytes and the
state hash recomputed here from its JSON must equal what Rust reported, and
its RSA-PSS signature must verify with Python `cryptography`; for each case,
groupstate.accept must give the answer Rust gave.

Usage: python3 verify.py FILE.json   (written by tests/python_interop.rs)
Prints a one-line summary and exits 0, or prints every mismatch and exits 1.
"""

import json
import os
import sys

from cryptography.hazmat.primitives import serialization

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import groupstate as g  # noqa: E402


def main(path):
    with open(path) as f:
        doc = json.load(f)
    keys = {
        n: serialization.load_pem_public_key(k["public_pem"].encode())
        for n, k in doc["keys"].items()
    }
    errors = []
    for i, e in enumerate(doc["states"]):
        s = e["state"]
        try:
            g.check_well_formed(s)
            if g.state_bytes(s).hex() != e["state_bytes_hex"]:
                errors.append(f"state {i}: state_bytes differ")
            if g.state_hash(s) != e["state_hash"]:
                errors.append(f"state {i}: state_hash differs")
            g.verify(s, keys[s["signer"]])
        except g.Refused as r:
            errors.append(f"state {i}: refused: {r}")
    for c in doc["cases"]:
        s = c["state"]
        try:
            got = g.accept(c["held"], s, keys[s["signer"]], c["me"])
        except g.Refused as r:
            got = r.code
        if got != c["expect"]:
            errors.append(f"case {c['name']}: python says {got}, rust said {c['expect']}")
    if errors:
        print("\n".join(errors))
        return 1
    print(f"{len(doc['states'])} group states verified, {len(doc['cases'])} cases agree")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
