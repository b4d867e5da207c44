#!/usr/bin/env bash
# boot-time.sh [KERNEL.ELF]: does the boot cost grow with RAM?
#
# Boots the kernel (default: build/kernel.elf, built first) headless in QEMU
# at 128 MiB and at 3 GiB, alternating, RUNS times each (default 7), and
# times each boot from QEMU's start to the `boot complete` line appearing on
# the serial port. Prints every run, the median of each size and the ratio
# 3G / 128M (the target is at most 1.2x). Beside it, the kernel's own part:
# from its first line on serial (nothing else writes there) to `boot
# complete`; the rest is QEMU, the firmware and GRUB, where a busy machine
# adds most of the noise. Alternating the two sizes lets the machine's load
# fall on both alike; only the ratios mean anything on a shared machine.
# It measures and reports; it fails only if a boot does not reach the line.
#
# Environment: RUNS (boots per size), BOOT_TIMEOUT (seconds per boot, 60).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-7}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
SIZES=(128M 3G)

kernel=${1:-}
if [ -z "$kernel" ]; then
  make -s build/kernel.elf
  kernel=build/kernel.elf
fi
out=build/boot-time
mkdir -p "$out"
iso=$out/boot-time.iso
scripts/mkiso.sh "$kernel" "$iso" ""

# boot_once MEM: prints the seconds from QEMU's start to `boot complete`,
# and from the kernel's first serial line to it.
boot_once() {
  local mem=$1 log=$out/serial-$1.log start first= line end found=
  : >"$log"
  # QEMU writes the guest's serial output to our pipe as it comes; the
  # clock starts just before QEMU does.
  start=$EPOCHREALTIME
  coproc QEMU {
    exec timeout --foreground "$BOOT_TIMEOUT" qemu-system-i386 -cdrom "$iso" -m "$mem" \
      -display none -no-reboot -monitor none -serial stdio \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null 2>"$out/qemu-$mem.log"
  }
  local pid=$QEMU_PID
  while IFS= read -r line <&"${QEMU[0]}"; do
    end=$EPOCHREALTIME
    first=${first:-$end}
    printf '%s\n' "$line" >>"$log"
    if [[ $line == *"boot complete"* ]]; then
      found=1
      break
    fi
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -z "$found" ]; then
    echo "boot-time: the ${mem} boot never printed 'boot complete' (serial log: $log)" >&2
    tail -n 15 "$log" >&2
    return 1
  fi
  # Microsecond timestamps, subtracted without floating point in bash.
  seconds() { printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000)); }
  echo "$(seconds $(( ${end/./} - ${start/./} ))) $(seconds $(( ${end/./} - ${first/./} )))"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A whole kernel
echo "boot time: QEMU start to 'boot complete' on serial, and (in brackets) the kernel's"
echo "own part, from its first serial line; $RUNS runs per size, alternating"
for run in $(seq "$RUNS"); do
  row="  run $run:"
  for mem in "${SIZES[@]}"; do
    read -r w k < <(boot_once "$mem")
    whole[$mem]+="$w "
    kernel[$mem]+="$k "
    row+=$(printf '  %5s %6.3f s (%.3f s)' "$mem" "$w" "$k")
  done
  echo "$row"
done

med() { tr ' ' '\n' <<<"$1" | grep . | median; }
awk -v a="$(med "${whole[128M]}")" -v b="$(med "${whole[3G]}")" \
    -v ka="$(med "${kernel[128M]}")" -v kb="$(med "${kernel[3G]}")" 'BEGIN {
  printf "  median   128M %6.3f s (%.3f s)    3G %6.3f s (%.3f s)\n", a, ka, b, kb
  printf "  3G/128M  %.2fx whole boot (target: at most 1.20x); kernel part %.2fx\n", b / a, kb / ka
}'
grep -hE '^  (free|frame bitmap) ' "$out/serial-3G.log" | sed 's/^  */  3G boot log: /' || true
