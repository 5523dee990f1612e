#!/usr/bin/env bash
# Builds every cargo-fuzz target in fuzz/ (nightly, AddressSanitizer, debug
# assertions on) and runs each for a bounded time from the checked-in seeds
# (fuzz/seeds/<target>) plus the corpus of earlier local runs
# (fuzz/corpus/<target>, not checked in). Fails on the first crash, leak,
# timeout or out-of-memory, naming the reproducer in fuzz/artifacts/.
# Prints executions per target.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET  default 60; .ci/run passes a smaller bound.
#   TARGET...           default: every target (cargo fuzz list).
# Long local runs: scripts/fuzz.sh 3600 sealed   (see docs/SECURITY.md).
# Environment: FUZZ_TARGET_DIR (default fuzz/target), FUZZ_JOBS (default 1:
# parallel libFuzzer jobs per target).
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
seconds=${1:-60}
shift || true
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a number, got '$seconds'" >&2; exit 2 ;; esac

# cargo-fuzz needs nightly-only flags (-Zsanitizer). Use the nightly
# toolchain when the machine has one; otherwise let the stable compiler
# accept them (RUSTC_BOOTSTRAP=1), which the toolchain's own build does.
if rustup run nightly rustc --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  echo "fuzz.sh: no nightly toolchain; using $(rustc --version) with RUSTC_BOOTSTRAP=1"
  toolchain=()
  export RUSTC_BOOTSTRAP=1
fi
if [ "$(cargo fuzz --version 2>/dev/null || true)" != "cargo-fuzz $CARGO_FUZZ_VERSION" ]; then
  echo "fuzz.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi

target_dir=${FUZZ_TARGET_DIR:-fuzz/target}
jobs=${FUZZ_JOBS:-1}
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo "${toolchain[@]}" fuzz list)
fi

start=$(date +%s)
cargo "${toolchain[@]}" fuzz build --debug-assertions --target-dir "$target_dir"
echo "fuzz.sh: built ${#targets[@]} targets in $(( $(date +%s) - start )) s"

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
failed=()
summary=()
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
  log="$logs/$t.log"
  parallel=()
  # libFuzzer's job mode writes each worker's output to ./fuzz-N.log.
  if [ "$jobs" -gt 1 ]; then parallel=(-jobs="$jobs" -workers="$jobs"); fi
  set +e
  cargo "${toolchain[@]}" fuzz run --debug-assertions --target-dir "$target_dir" "$t" \
    "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    "${parallel[@]}" >"$log" 2>&1
  rc=$?
  set -e
  if [ "$jobs" -gt 1 ]; then cat fuzz-*.log >>"$log" 2>/dev/null || true; rm -f fuzz-*.log; fi
  execs=$( (grep -h 'stat::number_of_executed_units' "$log" || true) | awk '{s += $2} END {print s + 0}')
  line="$t: $execs executions in ${seconds} s"
  if [ "$rc" -ne 0 ]; then
    line="$line: FAILED (exit $rc)"
    failed+=("$t")
    echo "---- $t: last lines of the libFuzzer log ----" >&2
    tail -n 40 "$log" >&2
    ls -1 "fuzz/artifacts/$t" >&2 || true
  fi
  echo "fuzz.sh: $line"
  summary+=("$line")
done

echo "fuzz.sh: summary ($(( $(date +%s) - start )) s in all)"
printf '  %s\n' "${summary[@]}"
if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz.sh: crashes in: ${failed[*]}; reproduce with: cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>" >&2
  exit 1
fi
