#!/usr/bin/env bash
# mkiso.sh KERNEL.ELF OUT.ISO [COMMAND-LINE] [LOADER]
#
# Builds a BIOS-bootable GRUB image that boots KERNEL.ELF at once (menu
# timeout 0) with the given kernel command line. LOADER is GRUB's command:
# `multiboot2` (default); the tests use `multiboot` to check that the kernel
# refuses a Multiboot1 loader.
set -euo pipefail

kernel=$1 out=$2 cmdline=${3:-} loader=${4:-multiboot2}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/boot/grub"
# GRUB reads the whole file into memory before loading it, so the debug
# information (megabytes; GDB reads it from the unstripped ELF) must not
# come along, or a 4 MiB machine runs out of memory in GRUB.
objcopy --strip-debug "$kernel" "$tmp/boot/kernel.elf"
cat >"$tmp/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "kernel" {
    $loader /boot/kernel.elf $cmdline
    boot
}
CFG

mkdir -p "$(dirname "$out")"
# Debian names GRUB's tool grub-mkrescue, Fedora grub2-mkrescue.
mkrescue=$(command -v grub-mkrescue || command -v grub2-mkrescue) || {
  echo "mkiso: neither grub-mkrescue nor grub2-mkrescue is installed (run: scripts/ensure-deps.sh)" >&2
  exit 1
}
# grub-mkrescue (through xorriso) is chatty; show its output only if it fails.
if ! log=$("$mkrescue" -o "$out" "$tmp" 2>&1); then
  echo "$log" >&2
  echo "mkiso: $(basename "$mkrescue") failed for $out (its output is above);" \
    "run by hand: scripts/mkiso.sh $kernel $out \"$cmdline\" $loader" >&2
  exit 1
fi
