#!/usr/bin/env bash
# make fuzz: runs the cargo-fuzz targets in fuzz/ under libFuzzer, one after
# the other, each for FUZZ_SECONDS, on one core.
#
#   make fuzz                                       every target, 5 minutes each
#   make fuzz FUZZ_TARGET=heap FUZZ_SECONDS=1800    one target, half an hour
#   make fuzz FUZZ_FEATURES=heap-debug              the heap with its debug checks
#   make fuzz FUZZ_SANITIZER=none                   without AddressSanitizer
#
# Installs cargo-fuzz from crates.io first if it is missing (once, about two
# minutes). The pinned stable toolchain runs libFuzzer and AddressSanitizer
# with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes nightly flags such as
# -Zsanitizer=address; the x86_64 rust-std ships the sanitizer runtime).
#
# The corpus grows in build/fuzz/corpus/<target>/ (kept between runs; the
# seeds in fuzz/seeds/<target>/ are read too). An input that fails is
# written to fuzz/regressions/<target>/, where `make test` replays it from
# then on: commit it with the fix. Each run's output is in
# build/fuzz/<target>.log, and one line per run (date, commit, target,
# seconds, executions, result) is added to build/fuzz/history.log.
set -uo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
seconds=${FUZZ_SECONDS:-300}
target=${FUZZ_TARGET:-all}
sanitizer=${FUZZ_SANITIZER:-address}
features=${FUZZ_FEATURES:-}
all_targets=(heap memmap frames bootinfo)
CARGO_FUZZ_VERSION=0.13.2

if ! [[ $seconds =~ ^[1-9][0-9]*$ ]]; then
  echo "FUZZ_SECONDS=$seconds is not a number of seconds (e.g. make fuzz FUZZ_SECONDS=1800)" >&2
  exit 2
fi
if [ "$target" = all ]; then
  targets=("${all_targets[@]}")
elif [[ " ${all_targets[*]} " == *" $target "* ]]; then
  targets=("$target")
else
  echo "FUZZ_TARGET=$target is not a fuzz target; the targets are: ${all_targets[*]} (or all)" >&2
  exit 2
fi
case $sanitizer in
  address | none) ;;
  *) echo "FUZZ_SANITIZER=$sanitizer: use address (the default) or none" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz $CARGO_FUZZ_VERSION from crates.io (once; about two minutes) ..."
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked || {
    echo "fuzz: installing cargo-fuzz failed; by hand: cargo install cargo-fuzz --locked" >&2
    exit 1
  }
fi

build_args=(--sanitizer "$sanitizer")
if [ -n "$features" ]; then
  build_args+=(--features "$features")
fi
echo "fuzz: building the targets (sanitizer: $sanitizer${features:+, features: $features}; first time: a few minutes) ..."
mkdir -p build/fuzz
if ! cargo fuzz build "${build_args[@]}" >build/fuzz/build.log 2>&1; then
  tail -n 30 build/fuzz/build.log >&2
  echo "fuzz: the targets did not build (log: build/fuzz/build.log)" >&2
  exit 1
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
failed=0
for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  regressions=fuzz/regressions/$t
  log=build/fuzz/$t.log
  mkdir -p "$corpus" "$regressions"
  echo "fuzz: $t for $seconds s (corpus $corpus, seeds fuzz/seeds/$t; log $log) ..."
  # The seeds and every kept regression are read as a starting corpus; new
  # inputs go to the first directory only. -workers=1: one core.
  cargo fuzz run "${build_args[@]}" "$t" "$corpus" "fuzz/seeds/$t" "$regressions" -- \
    -max_total_time="$seconds" -workers=1 -timeout=60 -print_final_stats=1 \
    -artifact_prefix="$regressions/" >"$log" 2>&1
  status=$?
  # The executions: libFuzzer's final count, or its last progress line.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ -z "$runs" ]; then
    runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  fi
  if [ $status -eq 0 ]; then
    result=clean
    echo "fuzz: $t: ${runs:-?} executions in $seconds s, no failure"
  else
    result=FAILED
    failed=$((failed + 1))
    echo "fuzz: $t FAILED after ${runs:-?} executions; the input is kept in $regressions/:"
    grep -E '^(thread .* panicked at|==[0-9]+==ERROR|SUMMARY)' -A2 "$log" | head -n 12 | sed 's/^/    /'
    grep -E 'Test unit written to' "$log" | sed 's/^.*written to /    kept /'
    echo "    make test replays it (cargo test -p mm fuzz / -p kernel bootinfo); commit it with the fix"
  fi
  printf '%s %s %s %s s %s executions %s sanitizer=%s%s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
    "$commit" "$t" "$seconds" "${runs:-?}" "$result" "$sanitizer" "${features:+ features=$features}" \
    >>build/fuzz/history.log
done
[ "$failed" -eq 0 ]
