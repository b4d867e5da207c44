#!/usr/bin/env bash
# Records the kernel's own allocations as a heap-benchmark trace: builds the
# self-test kernel with the `alloc-trace` feature (its global allocator
# prints every call it served), boots it headless in QEMU with a fixed seed,
# and turns the `alloc-trace:` lines of its serial output into a trace in
# the malloc-lab `.rep` format (see mm/benches/heap/trace.rs).
#
#   scripts/record-alloc-trace.sh [OUT]   (default mm/benches/traces/kernel-selftest.rep)
#
# Pointers become ids (a freed id is used again); alignments, which the
# format cannot say, are dropped (the benchmark asks 8 bytes for every
# block). Each pointer's history is checked: an allocation of a live
# pointer or a free of an unknown one means a line was lost, and nothing is
# written. Environment: MEM (default 128M), SEED (default 1), QEMU_TIMEOUT
# (default 300 s).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-mm/benches/traces/kernel-selftest.rep}
mem=${MEM:-128M}
seed=${SEED:-1}
work=build/alloc-trace
mkdir -p "$work"
scripts/ensure-deps.sh

export RUSTC_BOOTSTRAP=1
cargo build -q --release -p kernel --target i686-kernel.json \
  -Zbuild-std=core,compiler_builtins,alloc -Zjson-target-spec --features selftest,alloc-trace
cp target/i686-kernel/release/kernel "$work/kernel.elf"
# In text mode: a framebuffer console would draw every one of the lines.
GFXPAYLOAD=text scripts/mkiso.sh "$work/kernel.elf" "$work/kernel.iso" "selftest mem=$mem seed=$seed"
status=0
timeout --foreground "${QEMU_TIMEOUT:-300}" qemu-system-i386 -cdrom "$work/kernel.iso" -m "$mem" \
  -display none -no-reboot -monitor none -serial "file:$work/serial.log" \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$work/qemu.log" 2>&1 || status=$?
if [ "$status" -ne 33 ]; then
  echo "record-alloc-trace: the self-test run did not pass (QEMU exit $status); see $work/serial.log" >&2
  exit 1
fi

tr -d '\r' <"$work/serial.log" | awk -v out="$out.tmp" '
  function die(msg) { printf "record-alloc-trace: serial line %d: %s\n", NR, msg > "/dev/stderr"; failed = 1; exit 1 }
  function take(p) { if (p in id) die("allocation of " p ", which is live"); id[p] = spare_n ? spare[spare_n--] : ids++; return id[p] }
  function drop(p,   i) { if (!(p in id)) die("free of " p ", which is not live"); i = id[p]; delete id[p]; spare[++spare_n] = i; return i }
  $1 != "alloc-trace:" { next }
  $2 == "a" && NF == 5 { i = take($3); size = $4; line[++n] = "a " i " " size; live += size; sz[i] = size; if (live > peak) peak = live; next }
  $2 == "f" && NF == 3 { i = drop($3); line[++n] = "f " i; live -= sz[i]; next }
  $2 == "r" && NF == 5 {
    if (!($3 in id)) die("realloc of " $3 ", which is not live")
    i = id[$3]; delete id[$3]
    if ($4 in id) die("realloc to " $4 ", which is live")
    id[$4] = i; line[++n] = "r " i " " $5; live += $5 - sz[i]; sz[i] = $5; if (live > peak) peak = live; next
  }
  { die("not an alloc-trace line: " $0) }
  END {
    if (failed) exit 1
    if (n == 0) { print "record-alloc-trace: no alloc-trace lines in the serial output" > "/dev/stderr"; exit 1 }
    printf "%d\n%d\n%d\n1\n", peak, ids, n > out
    for (k = 1; k <= n; k++) print line[k] > out
  }'
mv "$out.tmp" "$out"
echo "record-alloc-trace: $(sed -n 3p "$out") operations on $(sed -n 2p "$out") ids written to $out"
