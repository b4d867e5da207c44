#!/usr/bin/env bash
# run.sh ISO QEMU-ARGS...: boots ISO in qemu-system-i386 for `make run`, and
# says how the run ended, so that a machine that reset never looks like a
# clean exit.
#
# QEMU runs with -no-reboot, so a reset ends it; its exit status alone
# cannot tell a triple fault from the user quitting (both are 0). So QEMU
# also logs its CPU resets and guest errors (-d cpu_reset,guest_errors) to
# RUN_LOG (default build/run.qemu.log): a triple fault shows there as
# "Triple fault", any other reset as one more "CPU Reset" than the two of
# power-on. Exit status: 0 for a normal end (the user quit, or all
# self-tests passed); 1 with a message for a reset, a triple fault, failed
# self-tests, a kernel panic or fault, or a QEMU error.
set -uo pipefail
cd "$(dirname "$0")/.."
iso=$1
shift
log=${RUN_LOG:-build/run.qemu.log}
mkdir -p "$(dirname "$log")"
rm -f "$log"
qemu-system-i386 -cdrom "$iso" -no-reboot "$@" -d cpu_reset,guest_errors -D "$log"
status=$?
say() { printf '\nmake run: %s\n' "$*" >&2; }
resets=$(grep -c '^CPU Reset' "$log" 2>/dev/null)
case $status in
  0)
    if grep -q 'Triple fault' "$log" 2>/dev/null; then
      say "the machine TRIPLE-FAULTED: the CPU met a fault while it could not deliver one" \
        "(a broken IDT, GDT or stack), and reset; QEMU stopped there (-no-reboot)." \
        "The serial output above shows how far the kernel got; QEMU's log: $log." \
        "make debug steps through it."
      exit 1
    elif [ "${resets:-0}" -gt 2 ]; then
      say "the machine RESET (QEMU logged $resets CPU resets, 2 at power-on); QEMU stopped" \
        "there (-no-reboot). QEMU's log: $log"
      exit 1
    fi
    ;;
  33) say "every self-test passed (QEMU's exit device, status 33)" ;;
  35) say "self-tests FAILED (QEMU's exit device, status 35): see the lines above"; exit 1 ;;
  37) say "the kernel PANICKED or FAULTED (QEMU's exit device, status 37): see the report above"; exit 1 ;;
  *) say "QEMU exited with status $status (QEMU's log: $log)"; exit 1 ;;
esac
