#!/usr/bin/env bash
# debug.sh ELF ISO QEMU-ARGS...: starts QEMU halted at the first instruction,
# with a GDB server on a free localhost port (scripts/qemu-gdb.sh), then GDB
# with ELF's symbols (scripts/gdbinit) attached to it. Quitting GDB stops QEMU.
#
# The kernel's serial output comes to this terminal, interleaved with GDB's
# own lines (the kernel runs, and so prints, only while GDB waits on
# `continue` or `next`), and is also kept in build/debug.serial.log. QEMU's
# messages go to build/debug.qemu.log. QEMU reads nothing from the terminal:
# the keyboard belongs to GDB alone, and Ctrl-C interrupts the kernel.
#
# DEBUG_LOGS sets the logs' path prefix (default build/debug). GDB reads its
# commands from stdin: make test pipes a script into it.
set -euo pipefail
cd "$(dirname "$0")/.."
elf=$1 iso=$2
shift 2
# shellcheck source=scripts/qemu-gdb.sh
. scripts/qemu-gdb.sh
logs=${DEBUG_LOGS:-build/debug}
mkdir -p "$(dirname "$logs")"
qemu_gdb_start "$logs.qemu.log" qemu-system-i386 -cdrom "$iso" "$@" -S \
  -chardev "stdio,id=serial0,signal=off,logfile=$logs.serial.log" -serial chardev:serial0
# QEMU is in a session of its own: nothing but this trap stops it (and
# whoever kills this script with SIGKILL finds QEMU's pid in $logs.qemu.pid).
trap 'kill "$QEMU_PID" 2>/dev/null || true' EXIT
trap 'exit 1' HUP TERM
echo "$QEMU_PID" >"$logs.qemu.pid"
echo "debug: QEMU waits for GDB on 127.0.0.1:$GDB_PORT (serial output: here and in $logs.serial.log)"
gdb -q -ex "set \$elf = \"$elf\"" -ex "set \$port = $GDB_PORT" -x scripts/gdbinit
