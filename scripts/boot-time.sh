#!/usr/bin/env bash
# boot-time.sh [KERNEL.ELF]: does the boot cost grow with RAM?
#
# Boots the kernel (default: build/kernel.elf, built first) headless in QEMU
# at 128 MiB and at 3 GiB, alternating, RUNS times each (default 5), and
# times each boot from QEMU's start to the `boot complete` line appearing on
# the serial port. Prints every run, the median of each size and the ratio
# 3G / 128M (the target is at most 1.2x). Alternating the two sizes lets
# the machine's load fall on both alike; only the ratio means anything on a
# shared machine. It measures and reports; it fails only if a boot does not
# reach the line.
#
# Environment: RUNS (boots per size), BOOT_TIMEOUT (seconds per boot, 60).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-5}
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

# boot_once MEM: prints the seconds from QEMU's start to `boot complete`.
boot_once() {
  local mem=$1 log=$out/serial-$1.log start line end
  : >"$log"
  # QEMU writes the guest's serial output to our pipe as it comes; the
  # clock starts just before QEMU does.
  start=$EPOCHREALTIME
  coproc QEMU {
    exec timeout --foreground "$BOOT_TIMEOUT" qemu-system-i386 -cdrom "$iso" -m "$mem" \
      -display none -no-reboot -monitor none -serial stdio \
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null 2>"$out/qemu-$mem.log"
  }
  local pid=$QEMU_PID found=
  while IFS= read -r line <&"${QEMU[0]}"; do
    printf '%s\n' "$line" >>"$log"
    if [[ $line == *"boot complete"* ]]; then
      end=$EPOCHREALTIME
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
  # Microsecond timestamps, without floating point in bash.
  local us=$(( ${end/./} - ${start/./} ))
  printf '%d.%06d\n' $((us / 1000000)) $((us % 1000000))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A times
echo "boot time, QEMU start to 'boot complete' on serial ($RUNS runs per size, alternating):"
for run in $(seq "$RUNS"); do
  row="  run $run:"
  for mem in "${SIZES[@]}"; do
    t=$(boot_once "$mem")
    times[$mem]+="$t "
    row+=$(printf '  %5s %7.3f s' "$mem" "$t")
  done
  echo "$row"
done

m128=$(tr ' ' '\n' <<<"${times[128M]}" | grep . | median)
m3g=$(tr ' ' '\n' <<<"${times[3G]}" | grep . | median)
awk -v a="$m128" -v b="$m3g" 'BEGIN {
  printf "  median  128M %7.3f s   3G %7.3f s   3G/128M %.2fx (target: at most 1.20x)\n", a, b, b / a
}'
grep -h '^frames:' "$out/serial-3G.log" | sed 's/^/  3G boot log: /' || true
