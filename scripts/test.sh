#!/usr/bin/env bash
# make test: the static checks (formatting, clippy, rustdoc, plain cargo at
# the root), the tests of scripts/ensure-deps.sh, every host unit test, then
# the in-kernel self-tests booted headless in QEMU at 4 MiB and at 128 MiB
# (BIOS) and under 64-bit and 32-bit UEFI, the fault images, the wrong
# loader, the GDB session of make debug, and the real-PC checks
# (scripts/test/pc.sh: make iso's image, the CPU check, make run's report of
# a triple fault, Bochs).
#
# Says what it is doing before each step (`building the kernel ...`), prints
# one line per test (`name ... ok` / `name ... FAILED: reason`, with the
# command to run by hand below a failure) and ends with a line
# `N passed, M failed`; exits non-zero if anything failed, hung, or the
# machine reset. Logs of every run are kept in build/test/.
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
# What the run does next, so that a long step never looks like a hang.
step() { printf '%s ...\n' "$*"; }
# The command that repeats a failed step by hand, below its details.
by_hand() { printf '    run by hand: %s\n' "$*"; }

. scripts/test/checks.sh
. scripts/test/ensure-deps.sh
. scripts/test/firmware.sh
. scripts/test/pc.sh

step "checking formatting (cargo fmt)"
check_format
step "checking clippy and rustdoc on the host crates, and cargo build at the root (first time: a minute or two)"
check_clippy_host
check_rustdoc
check_root_build
step "checking scripts/ensure-deps.sh on stand-in machines (no apt-get, no rustup, Fedora)"
test_ensure_deps

# ---------------------------------------------------------------- host tests
# host_tests LABEL CARGO-TEST-ARGS...: runs `cargo test`, re-prints each of
# its test lines under LABEL, and shows the details of any failure.
host_tests() {
  local label=$1; shift
  local log="$LOGS/host-$label.log"
  step "running host tests: cargo test $*"
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
    by_hand "cargo test $*"
  fi
}

host_tests mm -p mm
host_tests mm-heap-debug -p mm --features heap-debug --lib
host_tests kernel -p kernel --lib
host_tests user -p user -p abi

# ------------------------------------------------------------- kernel builds
build_kernel() { # OUT FEATURES...
  local out=$1; shift
  local log="$LOGS/build-$(basename "$out").log"
  if cargo kernel-build "$@" >"$log" 2>&1; then
    cp target/i686-kernel/release/kernel "$out"
    return 0
  fi
  fail "build $(basename "$out")" "cargo build failed (log: $log)"
  tail -n 40 "$log" | indent
  by_hand "RUSTC_BOOTSTRAP=1 cargo kernel-build $*"
  return 1
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

if [ -e target/i686-kernel/release/kernel ]; then
  step "building the kernel for i686"
else
  step "building the kernel for i686 (first time: a few minutes)"
fi
build_kernel build/kernel.elf || finish
# Debian names GRUB's tool grub-file, Fedora grub2-file.
grub_file=$(command -v grub-file || command -v grub2-file || echo grub-file)
if "$grub_file" --is-x86-multiboot2 build/kernel.elf; then
  pass "image: build/kernel.elf is a Multiboot2 kernel (grub-file)"
else
  fail "image: build/kernel.elf is a Multiboot2 kernel (grub-file)" "grub-file rejects it"
fi
# Sections with an address (debug sections have none) must be at or above
# 0xC0000000. readelf prints 8 hex digits, so comparing them as strings
# compares the numbers (and needs no gawk); "[ 1]" is made "[1]" first so
# the fields do not shift.
low=$(readelf -SW build/kernel.elf | sed 's/\[ *\([0-9]*\)\]/[\1]/' |
  awk '$1 ~ /^\[[0-9]+\]$/ && length($4) == 8 && $4 ~ /^[0-9a-f]+$/ && $4 != "00000000" && ($4 "") < "c0000000" {print $2 "@" $4}')
if [ -z "$low" ]; then
  pass "image: every allocated section is linked at 0xC0000000 or above"
else
  fail "image: every allocated section is linked at 0xC0000000 or above" "below: $low"
fi
check_clippy_kernel
step "building the self-test kernel"
build_kernel build/kernel-test.elf --features selftest || finish
check_clippy_kernel --features selftest

# The user programs, put on every test image (as one boot module, an archive).
step "building the user programs for i686"
user_log="$LOGS/build-user.log"
if cargo user-build >"$user_log" 2>&1; then
  mkdir -p build/user
  for src in user/src/bin/*.rs; do
    program=$(basename "$src" .rs)
    cp "target/i686-kernel/release/$program" "build/user/$program"
  done
  PROGRAMS=$(ls build/user/* | tr '\n' ' ')
  export PROGRAMS
  check_clippy_user
  pass "build: the user programs ($(ls build/user | tr '\n' ' '))"
else
  fail "build: the user programs" "cargo build failed (log: $user_log)"
  tail -n 40 "$user_log" | indent
  by_hand "RUSTC_BOOTSTRAP=1 cargo user-build"
  finish
fi

# ------------------------------------------------------------------- boots
# boot NAME MEM CMDLINE [LOADER]: builds an ISO and runs QEMU headless with a
# timeout; sets $status (QEMU's exit status, 124 on timeout), $log and
# $again (the command that boots the same image by hand). FIRMWARE picks the
# machine (scripts/test/firmware.sh: bios, the default, uefi64 or uefi32),
# KERNEL the ELF (default the self-test kernel), GFXPAYLOAD=text EGA text
# instead of a framebuffer, QEMU_CPU a CPU model.
boot() {
  local name=$1 mem=$2 cmdline=$3 loader=${4:-multiboot2}
  local iso="$LOGS/$name.iso"
  log="$LOGS/$name.serial.log"
  scripts/mkiso.sh "${KERNEL:-build/kernel-test.elf}" "$iso" "$cmdline" "$loader"
  local machine
  machine=$(firmware_args "${FIRMWARE:-bios}" "$LOGS/$name")
  # shellcheck disable=SC2086 # firmware_args gives words
  timeout --foreground "$QEMU_TIMEOUT" $machine -cdrom "$iso" -m "$mem" ${QEMU_CPU:+-cpu $QEMU_CPU} \
    -display none -no-reboot -monitor none -serial "file:$log" \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$LOGS/$name.qemu.log" 2>&1
  status=$?
  tr -d '\r' <"$log" >"$log.tmp" && mv "$log.tmp" "$log"
  again="$machine -cdrom $iso -m $mem ${QEMU_CPU:+-cpu $QEMU_CPU }-display none -no-reboot -serial stdio \
-device isa-debug-exit,iobase=0xf4,iosize=0x04"
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

# selftest MEM [TAG]: boots the self-tests and reports each test's line
# (FIRMWARE and GFXPAYLOAD as for boot).
selftest() {
  local mem=$1 tag="[${2:-$1}]"
  boot "selftest-${2:-$mem}" "$mem" "selftest mem=$mem seed=$SEED"
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
    by_hand "$again"
  fi
}

echo "in-kernel tests use seed $SEED (SEED=$SEED make test repeats this run)"
step "booting the self-tests at 4 MiB (BIOS, EGA text screen)"
GFXPAYLOAD=text selftest 4M
step "booting the self-tests at 128 MiB (BIOS, framebuffer)"
selftest 128M
step "booting the self-tests at 128 MiB under 64-bit UEFI (OVMF)"
FIRMWARE=uefi64 selftest 128M uefi64-128M
step "booting the self-tests at 128 MiB under 32-bit UEFI (OVMF)"
FIRMWARE=uefi32 selftest 128M uefi32-128M

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
    by_hand "$again"
  fi
}

# The kill reports the process tests provoked: the text a user reads.
kill_reports() {
  local log="$LOGS/selftest-4M.serial.log" missing=()
  local patterns=(
    'process [0-9]+ \(bad\) killed: page fault: read at 0x00000000 in the unmapped first 4 MiB \(a null pointer\?\); eip 0x004[0-9a-f]{5}'
    'process [0-9]+ \(bad\) killed: page fault: write at 0x004[0-9a-f]{5} in the program image \(r-x\), which forbids it; eip 0x004[0-9a-f]{5}'
    'process [0-9]+ \(bad\) killed: page fault: read at 0xc0100000 in kernel memory \(no user access\)'
    'process [0-9]+ \(bad\) killed: #GP General Protection \(vector 13\)'
    'process [0-9]+ \(bad\) killed: page fault: read at 0x20000000 in no region \(an unmapped address\)'
    'process [0-9]+ \(bad\) killed: page fault: write at 0xbfe[0-9a-f]{5} in the gap below the stack \(stack overflow'
    'process [0-9]+ \(bad\) killed: page fault: write at 0x4[0-9a-f]{7} in the anonymous mapping \(r--\), which forbids it'
    'process [0-9]+ \(hog\) killed: out of memory: no free frame for the anonymous mapping page at 0x[0-9a-f]{8}'
    'process [0-9]+ \(cowoom\) killed: out of memory: no free frame to copy the shared heap page at 0x004[0-9a-f]{5} \(copy-on-write\); eip 0x004[0-9a-f]{5}'
    'waiter: 6 children, 6 statuses: exits 0, 7, -3, 255, a fault, a #GP'
    'fuzz: done: 30000 calls, [0-9]+ errors returned, 0 surprises; [0-9]+ frames held; [1-9][0-9]* children forked and collected'
  )
  for pattern in "${patterns[@]}"; do
    grep -qE -- "$pattern" "$log" || missing+=("$pattern")
  done
  local name="[processes] the kill reports say address, access, region and eip"
  if [ ${#missing[@]} -eq 0 ]; then
    pass "$name"
  else
    fail "$name" "missing in $log: ${missing[*]}"
  fi
}
kill_reports

# make run's demonstration, in a self-test boot: the kernel reports when the
# last process has exited and leaves QEMU with their verdict.
demo_boot() {
  local name="[processes] exec=demo,ticker:3,ticker:5 runs to the end at 4 MiB"
  GFXPAYLOAD=text boot demo 4M "selftest exec=demo,ticker:3,ticker:5"
  if [ "$status" -eq 33 ] &&
     grep -q 'the last process has exited: 3 succeeded, 0 failed, 0 killed' "$log" &&
     grep -q 'demo: done' "$log"; then
    pass "$name"
  else
    fail "$name" "$(explain "$status") (log: $log)"
    tail -n 15 "$log" | indent
    by_hand "$again"
  fi
}
step "booting make run's demonstration programs"
demo_boot

step "booting each fault scenario on its own"
# At 4 MiB in EGA text: GRUB has no room for a video driver and the
# self-test kernel at once (what is checked is the serial report).
fault fault::null_deref 128M \
  'PAGE FAULT at 0x00000000: null page' 'page not present, read, kernel mode'
fault fault::write_text 128M \
  'PAGE FAULT at 0xc01[0-9a-f]{5}: kernel text' 'protection violation, write, kernel mode'
fault fault::stack_overflow 128M \
  'DOUBLE FAULT' 'CR2\) 0xc0[0-9a-f]{6}: kernel stack guard page' 'diagnosis: kernel stack overflow' \
  '^  #1  0xc01[0-9a-f]{5}  kernel::selftest::tests::fault::stack_overflow::recurse\+0x' \
  '^       \.\.\. the same call [0-9]+ more times$'
GFXPAYLOAD=text fault fault::panic 4M \
  'KERNEL PANIC: deliberate panic from the fault::panic scenario at kernel/src/selftest/tests/fault.rs' \
  '^  #[0-9]+ +0xc01[0-9a-f]{5}  kernel::selftest::tests::fault::panic\+0x'
GFXPAYLOAD=text fault fault::kfree_double_free 4M \
  'KERNEL PANIC: kfree\((0xd[0-9a-f]{7})\): double free of \1: the block is already free'
GFXPAYLOAD=text fault fault::kfree_foreign_pointer 4M \
  'KERNEL PANIC: kfree\(0xc0[0-9a-f]{6}\): 0xc0[0-9a-f]{6} is not inside the heap'
# The backtrace names every function on the path, innermost first.
fault fault::backtrace 32M \
  'PAGE FAULT at 0x00000008' '^  #0  0xc01[0-9a-f]{5}  kernel::selftest::tests::fault::backtrace::fault_path_inner\+0x' \
  '^  #1  0xc01[0-9a-f]{5}  kernel::selftest::tests::fault::backtrace::fault_path_middle\+0x' \
  '^  #2  0xc01[0-9a-f]{5}  kernel::selftest::tests::fault::backtrace::fault_path_outer\+0x' \
  '^  #3  0xc01[0-9a-f]{5}  kernel::selftest::tests::fault::backtrace\+0x' \
  '^  #[0-9]+ +0xc01[0-9a-f]{5}  kernel_main\+0x'
GFXPAYLOAD=text fault frames::corrupted_stack_entry 4M \
  'KERNEL PANIC: frame stack corrupted: entry [0-9]+ of stack page 0x[0-9a-f]{8} holds 0x00000000: not usable RAM'

# selftest_words NAME CMDLINE STATUS PATTERN...: boots the self-test kernel
# with CMDLINE; it must exit with STATUS (33 success, 35 tests failed or
# refused) and print every PATTERN. A malformed word is refused, a run= of
# no test names close ones, and without mem= the memory test says what it
# leaves out (a real PC has no mem=).
selftest_words() {
  local name=$1 cmdline=$2 want=$3; shift 3
  boot "words-$name" 32M "$cmdline"
  local missing=()
  for pattern in "$@"; do
    grep -qE -- "$pattern" "$log" || missing+=("$pattern")
  done
  if [ "$status" -eq "$want" ] && [ ${#missing[@]} -eq 0 ]; then
    pass "[words] $cmdline"
  else
    fail "[words] $cmdline" "$(explain "$status"), expected: $(explain "$want"); missing: ${missing[*]:-nothing} (log: $log)"
    tail -n 15 "$log" | indent
    by_hand "$again"
  fi
}

step "booting with malformed, unknown and missing self-test words"
selftest_words bad-seed "selftest seed=12x" 35 \
  '^selftest: seed=12x is not a number: give it in decimal or 0x-hexadecimal .*; no test was run$'
selftest_words unknown-test "selftest run=frmes" 35 \
  '^selftest: no test is named "frmes" or has it in its name$' '^  frames::' \
  '^selftest: boot with `selftest list` to see every test'"'"'s name$'
selftest_words no-mem "selftest run=boot::available_memory" 33 \
  '^  no mem=SIZE on the command line: the available memory is not compared with the machine'"'"'s RAM' \
  '^boot::available_memory_is_what_the_firmware_allows \.\.\. ok$'
selftest_words list "selftest list" 33 \
  '^  heap::seeded_torture$' '^  fault::null_deref \(fault scenario\)$'

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
    by_hand "$again"
  fi
}
step "booting with a Multiboot1 loader"
wrong_loader

# make debug: scripts/debug.sh end to end, on a free port (two make test runs
# on one machine do not collide), with GDB's commands piped in: GDB must stop
# in kernel_main with the kernel's symbols, and the kernel's serial output must
# reach the same terminal. The self-test kernel with `run=boot` ends through
# the exit device, so the session ends by itself.
debug_session() {
  local name="[debug] make debug stops in kernel_main with symbols and shows the serial output"
  local iso="$LOGS/debug.iso" out="$LOGS/debug.terminal.log"
  scripts/mkiso.sh build/kernel-test.elf "$iso" "selftest mem=32M run=boot"
  printf 'continue\ninfo symbol $pc\nbt\ncontinue\n' |
    DEBUG_LOGS="$LOGS/debug" timeout -k 10 120 scripts/debug.sh build/kernel-test.elf "$iso" \
      -m 32M -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
      >"$out" 2>&1
  # Normally gone already; not if the session had to be killed.
  kill "$(cat "$LOGS/debug.qemu.pid" 2>/dev/null)" 2>/dev/null
  tr -d '\r' <"$out" >"$out.tmp" && mv "$out.tmp" "$out"
  if grep -q '^Breakpoint 1, kernel::start::kernel_main' "$out" &&
     grep -q 'kernel/src/start.rs' "$out" &&
     grep -q '^selftest: [0-9]* passed, 0 failed$' "$out"; then
    pass "$name"
  else
    fail "$name" "GDB did not stop there or the serial output is missing (log: $out)"
    tail -n 10 "$out" | indent
    by_hand "scripts/debug.sh build/kernel-test.elf $iso -m 32M -display none -no-reboot" \
      "-device isa-debug-exit,iobase=0xf4,iosize=0x04"
  fi
}
step "checking make debug's GDB session"
debug_session

step "checking the real-PC image, the CPU check, make run's reset report and Bochs"
pc_tests

finish
