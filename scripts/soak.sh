#!/usr/bin/env bash
# make soak: every host property test, run SOAK_CASES times instead of its
# usual 64-300 cases (proptest's PROPTEST_CASES, which every property test
# honours). Prints how long each part took; exits non-zero on any failure.
#
# Default SOAK_CASES=2000: 7 to 30 times the usual counts, about 10 minutes
# on a busy 2-core machine, nearly all of it the heap's two tests (run twice:
# plain and with heap-debug's poison and canaries). The time grows in
# proportion: SOAK_CASES=20000 runs close to two hours. A failure is shrunk to
# a minimal case, printed, and saved by proptest under
# mm/proptest-regressions/ (or kernel/...): commit that file, and every
# later cargo test replays the case first.
set -uo pipefail
cd "$(dirname "$0")/.."

cases=${SOAK_CASES:-2000}
if ! [[ $cases =~ ^[1-9][0-9]*$ ]]; then
  echo "SOAK_CASES=$cases is not a number of cases (e.g. make soak SOAK_CASES=20000)" >&2
  exit 2
fi
export PROPTEST_CASES=$cases
failed=0
start=$SECONDS

# part LABEL CARGO-TEST-ARGS...: one cargo test run over the property tests.
part() {
  local label=$1; shift
  local t0=$SECONDS
  echo "soak: $label, $cases cases each: cargo test $*"
  if cargo test "$@"; then
    echo "soak: $label passed in $((SECONDS - t0)) s"
  else
    echo "soak: $label FAILED after $((SECONDS - t0)) s (repeat: PROPTEST_CASES=$cases cargo test $*)"
    failed=$((failed + 1))
  fi
}

# The filters name every property test: the `proptests` modules, the heap's
# `props`, and the page-table entry's round trip.
part "mm" -p mm --lib -- proptests props any_frame_and_flags_round_trip
part "mm with heap-debug" -p mm --features heap-debug --lib -- heap::tests::props
part "kernel" -p kernel --lib -- proptests

echo "soak: $((SECONDS - start)) s in all, $failed part(s) failed"
[ "$failed" -eq 0 ]
