#!/usr/bin/env bash
# make test: every host unit test, then the in-kernel self-tests booted
# headless in QEMU at 4 MiB and at 128 MiB, then the fault images.
#
# Prints one line per test (`name ... ok` / `name ... FAILED: reason`) and
# ends with a line `N passed, M failed`; exits non-zero if anything failed,
# hung, or the machine reset. Logs of every run are kept in build/test/.
#
# Environment: QEMU_TIMEOUT (seconds per boot, default 120), SEED (seed for
# the randomised in-kernel tests; default: random, printed).
set -uo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
QEMU_TIMEOUT=${QEMU_TIMEOUT:-120}
SEED=${SEED:-$(( (RANDOM << 15 | RANDOM) ))}
LOGS=build/test
rm -rf "$LOGS"
mkdir -p "$LOGS"

passed=0
failed=0
pass() { printf '%s ... ok\n' "$1"; passed=$((passed + 1)); }
fail() { printf '%s ... FAILED: %s\n' "$1" "$2"; failed=$((failed + 1)); }
indent() { sed 's/^/    /'; }

# ---------------------------------------------------------------- host tests
# host_tests LABEL CARGO-TEST-ARGS...: runs `cargo test`, re-prints each of
# its test lines under LABEL, and shows the details of any failure.
host_tests() {
  local label=$1; shift
  local log="$LOGS/host-$label.log"
  cargo test "$@" >"$log" 2>&1
  local status=$?
  local lines
  lines=$(tr -d '\r' <"$log" | grep -E '^test .+ \.\.\. (ok|FAILED|ignored)$' || true)
  if [ -n "$lines" ]; then
    while IFS= read -r line; do
      local name=${line#test }
      name=${name% ... *}
      case "$line" in
        *" ... ok") pass "host $label: $name" ;;
        *" ... ignored") fail "host $label: $name" "ignored (no test may be skipped)" ;;
        *) fail "host $label: $name" "see below" ;;
      esac
    done <<<"$lines"
  fi
  if [ $status -ne 0 ]; then
    if ! grep -q ' \.\.\. FAILED$' <<<"$lines"; then
      fail "host $label: cargo test $*" "did not build or run (exit $status)"
    fi
    tail -n 60 "$log" | indent
  fi
}

host_tests mm -p mm
host_tests mm-heap-debug -p mm --features heap-debug --lib
host_tests kernel -p kernel --lib

# ------------------------------------------------------------- kernel builds
build_kernel() { # OUT FEATURES...
  local out=$1; shift
  local log="$LOGS/build-$(basename "$out").log"
  if cargo build --release -p kernel --target i686-kernel.json \
      -Zbuild-std=core,compiler_builtins,alloc -Zjson-target-spec "$@" >"$log" 2>&1; then
    cp target/i686-kernel/release/kernel "$out"
    return 0
  fi
  fail "build $(basename "$out")" "cargo build failed"
  tail -n 40 "$log" | indent
  return 1
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

build_kernel build/kernel.elf || finish
if grub-file --is-x86-multiboot2 build/kernel.elf; then
  pass "image: build/kernel.elf is a Multiboot2 kernel (grub-file)"
else
  fail "image: build/kernel.elf is a Multiboot2 kernel (grub-file)" "grub-file rejects it"
fi
low=$(readelf -SW build/kernel.elf | awk '$2 ~ /^\./ && $4 ~ /^[0-9a-f]+$/ && $5 != "" && strtonum("0x"$4) != 0 && strtonum("0x"$4) < 0xc0000000 {print $2}')
if [ -z "$low" ]; then
  pass "image: every allocated section is linked at 0xC0000000 or above"
else
  fail "image: every allocated section is linked at 0xC0000000 or above" "below: $low"
fi
build_kernel build/kernel-test.elf --features selftest || finish

# ------------------------------------------------------------------- boots
# boot NAME MEM CMDLINE [LOADER]: builds an ISO and runs QEMU headless with a
# timeout; sets $status (QEMU's exit status, 124 on timeout) and $log.
boot() {
  local name=$1 mem=$2 cmdline=$3 loader=${4:-multiboot2}
  local iso="$LOGS/$name.iso"
  log="$LOGS/$name.serial.log"
  scripts/mkiso.sh build/kernel-test.elf "$iso" "$cmdline" "$loader"
  timeout --foreground "$QEMU_TIMEOUT" qemu-system-i386 -cdrom "$iso" -m "$mem" \
    -display none -no-reboot -monitor none -serial "file:$log" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$LOGS/$name.qemu.log" 2>&1
  status=$?
  tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
}

# Why a boot ended, in words, from QEMU's exit status.
explain() {
  case $1 in
    33) echo "all tests passed" ;;
    35) echo "tests failed" ;;
    37) echo "kernel panic or CPU fault" ;;
    124) echo "hung: no exit within ${QEMU_TIMEOUT}s" ;;
    0) echo "the machine reset (triple fault?) or QEMU quit without the exit device" ;;
    *) echo "QEMU exited with status $1" ;;
  esac
}

# selftest MEM: boots the self-tests and reports each test's line.
selftest() {
  local mem=$1 tag="[$1]"
  boot "selftest-$mem" "$mem" "selftest mem=$mem seed=$SEED"
  local announced seen=0
  announced=$(sed -n 's/^selftest: running \([0-9]*\) tests$/\1/p' "$log")
  while IFS= read -r line; do
    seen=$((seen + 1))
    case "$line" in
      *" ... ok") pass "$tag ${line% ... ok}" ;;
      *) fail "$tag ${line%% ... FAILED: *}" "${line#* ... FAILED: }" ;;
    esac
  done < <(grep -E '^[A-Za-z0-9_:]+ \.\.\. (ok|FAILED: .*)$' "$log")
  if [ "$status" -eq 33 ] && [ "${announced:-x}" = "$seen" ]; then
    pass "$tag boot: $seen self-tests ran and the kernel reported success"
  else
    fail "$tag boot" "$(explain "$status"); ${seen} of ${announced:-?} results seen (log: $log)"
    tail -n 25 "$log" | indent
  fi
}

echo "in-kernel tests use seed $SEED (SEED=$SEED make test repeats this run)"
selftest 4M
selftest 128M

# fault NAME MEM PATTERN...: boots fault scenario NAME on its own; it must end
# through the exit device with the crash code and print every PATTERN.
fault() {
  local name=$1 mem=$2; shift 2
  boot "fault-${name#fault::}" "$mem" "selftest run=$name"
  local missing=()
  for pattern in "$@"; do
    grep -qE -- "$pattern" "$log" || missing+=("$pattern")
  done
  if [ "$status" -eq 37 ] && [ ${#missing[@]} -eq 0 ]; then
    pass "[fault] $name"
  else
    fail "[fault] $name" "$(explain "$status"); missing: ${missing[*]:-nothing} (log: $log)"
    tail -n 15 "$log" | indent
  fi
}

fault fault::null_deref 128M \
  'PAGE FAULT at 0x00000000: null page' 'page not present, read, kernel mode'
fault fault::write_text 128M \
  'PAGE FAULT at 0xc01[0-9a-f]{5}: kernel text' 'protection violation, write, kernel mode'
fault fault::stack_overflow 128M \
  'DOUBLE FAULT' 'CR2\) 0xc0[0-9a-f]{6}: kernel stack guard page' 'diagnosis: kernel stack overflow'
fault fault::panic 4M \
  'KERNEL PANIC: deliberate panic from the fault::panic scenario at kernel/src/selftest/tests/fault.rs'
fault fault::kfree_double_free 4M \
  'KERNEL PANIC: kfree\((0xd[0-9a-f]{7})\): double free of \1: the block is already free'
fault fault::kfree_foreign_pointer 4M \
  'KERNEL PANIC: kfree\(0xc0[0-9a-f]{6}\): 0xc0[0-9a-f]{6} is not inside the heap'
fault frames::corrupted_stack_entry 4M \
  'KERNEL PANIC: frame stack corrupted: entry [0-9]+ of stack page 0x[0-9a-f]{8} holds 0x00000000: not usable RAM'

# A Multiboot1 loader: the kernel must say so and halt (not reset, not run on).
wrong_loader() {
  local name="[loader] Multiboot1 loader is refused with a clear message and a halt"
  QEMU_TIMEOUT=8 boot wrong-loader 32M "selftest" multiboot
  if [ "$status" -eq 124 ] &&
     grep -q 'not started by a Multiboot2 loader: EAX = 0x2badb002 (a Multiboot1 loader)' "$log" &&
     ! grep -q 'selftest:' "$log"; then
    pass "$name"
  else
    fail "$name" "$(explain "$status") (log: $log)"
    tail -n 10 "$log" | indent
  fi
}
wrong_loader

# make debug: QEMU stopped with a GDB server, GDB with scripts/gdbinit must
# reach kernel_main with the kernel's symbols.
debug_session() {
  local name="[debug] make debug's GDB script stops in kernel_main with symbols"
  local iso="$LOGS/debug.iso" out="$LOGS/debug.gdb.log"
  scripts/mkiso.sh build/kernel.elf "$iso" ""
  timeout 60 qemu-system-i386 -cdrom "$iso" -m 32M -display none -no-reboot -monitor none \
    -serial none -S -gdb tcp:127.0.0.1:1234 </dev/null >"$LOGS/debug.qemu.log" 2>&1 &
  local qemu=$!
  # Wait until QEMU listens (a probe connection is harmless: the GDB stub
  # goes back to listening when a client leaves).
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/1234) 2>/dev/null && break
    sleep 0.1
  done
  timeout 60 gdb -q -batch -x scripts/gdbinit -ex continue -ex 'info symbol $pc' -ex bt >"$out" 2>&1
  kill "$qemu" 2>/dev/null
  wait "$qemu" 2>/dev/null
  if grep -q 'kernel_main' "$out" && grep -q 'kernel/src/start.rs' "$out"; then
    pass "$name"
  else
    fail "$name" "GDB did not stop there (log: $out)"
    tail -n 10 "$out" | indent
  fi
}
debug_session

finish
