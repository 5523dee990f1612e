#!/usr/bin/env bash
# Supply-chain gate: cargo-deny (pinned version, installed if missing) checks
# advisories, licences, bans and sources (deny.toml) against the RustSec
# snapshot in ../shared/advisory-db, without fetching anything.
#
# Usage: scripts/deny.sh [CHECK...]    e.g. scripts/deny.sh advisories
# Environment: SECURECHAT_ADVISORY_DB overrides the snapshot's location.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_DENY_VERSION=0.20.2
snapshot=${SECURECHAT_ADVISORY_DB:-../shared/advisory-db}
if [ ! -d "$snapshot/crates" ]; then
  echo "deny.sh: no RustSec snapshot at $snapshot (expected a crates/ folder); set SECURECHAT_ADVISORY_DB" >&2
  exit 1
fi
if [ "$(cargo deny --version 2>/dev/null || true)" != "cargo-deny $CARGO_DENY_VERSION" ]; then
  echo "deny.sh: installing cargo-deny $CARGO_DENY_VERSION"
  cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi

# cargo-deny opens each advisory database at <db-path>/<name>-<hash of its
# url> and expects a git repository there: give it a throwaway git copy of
# the snapshot (deny.toml reads db-path from SECURECHAT_ADVISORY_DBS).
dbs=$(mktemp -d)
trap 'rm -rf "$dbs"' EXIT
db="$dbs/advisory-db-3157b0e258782691"
cp -R "$snapshot" "$db"
chmod -R u+w "$db"
git -C "$db" init -q
git -C "$db" add -A
git -C "$db" -c user.name=deny.sh -c user.email=deny.sh@localhost commit -q -m "RustSec snapshot $(head -c 40 "$snapshot/SNAPSHOT" 2>/dev/null || echo unknown)"
export SECURECHAT_ADVISORY_DBS="$dbs"

# The crate graph needs every package's manifest (all platforms).
cargo fetch --locked --quiet
cargo deny --offline --locked check "$@"
