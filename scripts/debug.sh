#!/usr/bin/env bash
# debug.sh ISO QEMU-ARGS...: starts QEMU halted at the first instruction with
# a GDB server on localhost:1234, then GDB with the kernel's symbols
# (scripts/gdbinit). Quitting GDB stops QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
iso=$1; shift
qemu-system-i386 -cdrom "$iso" "$@" -S -gdb tcp:127.0.0.1:1234 >build/qemu-debug.log 2>&1 &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
echo "QEMU waits for GDB on localhost:1234 (log: build/qemu-debug.log)"
gdb -q -x scripts/gdbinit
