#!/usr/bin/env bash
# mkiso.sh KERNEL.ELF OUT.ISO [COMMAND-LINE] [LOADER]
# mkiso.sh --menu KERNEL.ELF SELFTEST.ELF OUT.ISO
#
# Builds a hybrid GRUB image that boots from CD, USB stick or hard disk on a
# PC with legacy BIOS (i386-pc GRUB), 64-bit UEFI (x86_64-efi) and 32-bit
# UEFI (i386-efi). It refuses to build an image that lacks one of the three,
# so the image does not depend on what the build machine happens to have.
#
# The first form boots KERNEL.ELF at once (no menu) with COMMAND-LINE: the
# images of make run and make test. LOADER is GRUB's command: `multiboot2`
# (default); the tests use `multiboot` to check that the kernel refuses a
# Multiboot1 loader.
#
# The second form is make iso's image for real PCs: a menu (5 seconds) whose
# default entry boots the kernel and whose second entry runs the in-kernel
# self-tests (SELFTEST.ELF), which end with their summary on the screen.
#
# Both kinds of image send GRUB's own messages to COM1 as well as the
# screen, so a GRUB failure shows on make run's terminal.
#
# Environment: GRUB_LIB, where GRUB's platform files are (default
# /usr/lib/grub); GFXPAYLOAD=text makes GRUB leave the screen in EGA text
# mode and load no video driver (the tests boot the text console that way,
# and a 4 MiB machine needs the driver's memory for the kernel).
#
# PROGRAMS (environment): user programs (ELF files, space-separated paths)
# to put on the image, in every entry, as one boot module: a ustar archive
# in which each is named by its file name, which `exec=NAME` on the kernel
# command line refers to. MENU_CMDLINE: the command line of the menu's
# kernel entry (make iso: the demonstration programs).
set -euo pipefail

menu=
if [ "${1:-}" = --menu ]; then
  menu=1
  kernel=$2 selftest=$3 out=$4 cmdline= loader=multiboot2
else
  kernel=$1 out=$2 cmdline=${3:-} loader=${4:-multiboot2}
fi
GRUB_LIB=${GRUB_LIB:-/usr/lib/grub}

# Every platform, or no image: a BIOS-only image is useless on most PCs sold
# today (no legacy BIOS), and an image without 32-bit UEFI fails on the
# tablets and netbooks whose firmware is 32-bit.
missing=()
for platform in "i386-pc grub-pc-bin legacy BIOS" "x86_64-efi grub-efi-amd64-bin 64-bit UEFI" \
  "i386-efi grub-efi-ia32-bin 32-bit UEFI"; do
  read -r dir package what <<<"$platform"
  [ -e "$GRUB_LIB/$dir/moddep.lst" ] || missing+=("$what: $GRUB_LIB/$dir (Debian package $package)")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "mkiso: refusing to make $out: GRUB's files for these platforms are missing:" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "  the image must boot under legacy BIOS, 64-bit UEFI and 32-bit UEFI alike;" \
    "run scripts/ensure-deps.sh (or make iso), which installs them" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$tmp.programs"' EXIT
mkdir -p "$tmp/boot/grub"
# GRUB reads the whole file into memory before loading it, so the debug
# information (megabytes; GDB reads it from the unstripped ELF) must not
# come along, or a 4 MiB machine runs out of memory in GRUB. The symbol
# table stays: fault reports name functions with it.
objcopy --strip-debug "$kernel" "$tmp/boot/kernel.elf"
[ -z "$menu" ] || objcopy --strip-debug "$selftest" "$tmp/boot/kernel-test.elf"
# The user programs travel as one module, a ustar archive: GRUB on a 4 MiB
# machine runs out of memory with more than about six modules. Modules take
# RAM from boot on, so only the loadable bytes come along.
module_lines=""
module_cmd=module2
[ "$loader" = multiboot ] && module_cmd=module
if [ -n "${PROGRAMS:-}" ]; then
  # Staged outside the image's tree: every file on the image costs GRUB
  # memory on a 4 MiB machine.
  stage="$tmp.programs"
  mkdir -p "$stage"
  names=()
  for program in $PROGRAMS; do
    names+=("$(basename "$program")")
    objcopy --strip-all "$program" "$stage/$(basename "$program")"
  done
  tar --format=ustar -cf "$tmp/boot/programs" -C "$stage" "${names[@]}"
  rm -rf "$stage"
  module_lines="    $module_cmd /boot/programs programs
"
fi

{
  cat <<'CFG'
# GRUB's messages go to the screen and to COM1 (115200 8N1), so a failure
# here (out of memory, a missing file) shows on a serial terminal too.
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
# The kernel asks for a framebuffer (its Multiboot2 header); GRUB sets one
# up only with its video drivers loaded: GOP (or UGA) under UEFI, VBE under
# BIOS. Only those: all_video's others cost a 4 MiB machine the memory GRUB
# then lacks to load the kernel.
CFG
  # EGA text needs no video driver: on a 4 MiB machine GRUB needs that
  # memory for the kernel.
  if [ "${GFXPAYLOAD:-}" = text ]; then
    echo 'set gfxpayload=text'
  else
    cat <<'CFG'
if [ "$grub_platform" = efi ]; then
    insmod efi_gop
    insmod efi_uga
else
    insmod vbe
fi
CFG
  fi
  if [ -n "$menu" ]; then
    cat <<CFG
set timeout=5
set default=0
menuentry "kernel" {
    multiboot2 /boot/kernel.elf${MENU_CMDLINE:+ $MENU_CMDLINE}
$module_lines    boot
}
menuentry "kernel self-tests (results on the screen, then the PC halts)" {
    multiboot2 /boot/kernel-test.elf selftest
$module_lines    boot
}
CFG
  else
    cat <<CFG
set timeout=0
set default=0
menuentry "kernel" {
    $loader /boot/kernel.elf $cmdline
$module_lines    boot
}
CFG
  fi
} >"$tmp/boot/grub/grub.cfg"

mkdir -p "$(dirname "$out")"
# Debian names GRUB's tool grub-mkrescue, Fedora grub2-mkrescue.
mkrescue=$(command -v grub-mkrescue || command -v grub2-mkrescue) || {
  echo "mkiso: neither grub-mkrescue nor grub2-mkrescue is installed (run: scripts/ensure-deps.sh)" >&2
  exit 1
}
# grub-mkrescue (through xorriso) is chatty; show its output only if it fails.
# It takes every platform under GRUB's library directory (checked above);
# no themes, fonts or translations: the menu is plain text.
if ! log=$("$mkrescue" -o "$out" --locales= --themes= --fonts= "$tmp" 2>&1); then
  echo "$log" >&2
  if [ -n "$menu" ]; then again="--menu $kernel $selftest $out"; else again="$kernel $out \"$cmdline\" $loader"; fi
  echo "mkiso: $(basename "$mkrescue") failed for $out (its output is above);" \
    "run by hand: scripts/mkiso.sh $again" >&2
  exit 1
fi
