#!/usr/bin/env bash
# make bench: the host benchmarks of the frame stack, the page mapper and
# the heap, built for i686 (the kernel is 32-bit: pointers, block headers
# and the peers' size classes are the kernel's), each comparing against its
# peers in the same run. Ends with every target as met or NOT MET.
#
# The heap bench is given a second build of itself with `heap-debug` (a
# crate feature cannot be both on and off in one binary) and counts
# instructions under callgrind. Output files (chart, callgrind dumps) go
# to build/bench/; the source tree is left as it was.
#
# Environment: BENCH_TARGET (default i686-unknown-linux-gnu; `host` for the
# machine's own), and the HEAP_BENCH_* variables of mm/benches/heap.rs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-deps.sh bench
target=${BENCH_TARGET:-i686-unknown-linux-gnu}
args=(-p mm)
[ "$target" = host ] || args+=(--target "$target")
out=build/bench
mkdir -p "$out"

echo "== frame stack"
cargo bench -q "${args[@]}" --bench frames | tee "$out/frames.txt"
echo
echo "== page mapper"
cargo bench -q "${args[@]}" --bench paging | tee "$out/paging.txt"
echo

# The heap-debug build of the heap bench: its path from cargo's JSON messages.
debug_bin=$(cargo bench -q "${args[@]}" --bench heap --features heap-debug --no-run \
  --message-format=json |
  sed -n 's/.*"target":{[^}]*"kind":\["bench"\][^}]*"name":"heap".*"executable":"\([^"]*\)".*/\1/p' |
  tail -n 1)
if [ ! -x "$debug_bin" ]; then
  echo "bench: could not find the heap-debug build of the heap bench" >&2
  exit 1
fi
echo "== heap"
HEAP_BENCH_DEBUG_BIN=$debug_bin cargo bench -q "${args[@]}" --bench heap | tee "$out/heap.txt"

# The frame stack's target, from its steady-state line:
#   steady state (same frame, mid-page)   <stack ns> <vec ns> <ratio>x   <lo>-<hi>x
ratio=$(sed -n 's/^steady state.* \([0-9.]*\)x .*/\1/p' "$out/frames.txt")
if [ -z "$ratio" ]; then
  echo "target: frame allocate+free pair within 2x a bare Vec push/pop: not measured: no steady-state line in the frames bench"
elif awk -v r="$ratio" 'BEGIN { exit !(r <= 2.0) }'; then
  echo "target: frame allocate+free pair within 2x a bare Vec push/pop: met: ${ratio}x (median, steady state)"
else
  echo "target: frame allocate+free pair within 2x a bare Vec push/pop: NOT MET: ${ratio}x (median, steady state)"
fi
