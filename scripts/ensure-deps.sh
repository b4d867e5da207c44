#!/usr/bin/env bash
# Installs what `make run`, `make test` and `make iso` need, says what it is
# doing while it does, and does nothing when everything is there. Safe to run
# any number of times.
#
#   - commands: qemu-system-i386 and qemu-system-x86_64; grub-mkrescue and
#     grub-file (named grub2-mkrescue and grub2-file on Fedora) with GRUB's
#     platform files for BIOS (i386-pc), 64-bit and 32-bit UEFI (x86_64-efi,
#     i386-efi); xorriso; mformat (mtools); objcopy (binutils); gdb; the UEFI
#     firmware OVMF, 64- and 32-bit; Bochs with its BIOSes and X display,
#     and Xvfb to give it a screen nobody sees (make test boots in both). Installed
#     with apt-get (through sudo when not root); without apt-get, the script
#     lists what to install and stops.
#   - Rust: rustup, the toolchain pinned in rust-toolchain.toml and its
#     components (rust-src for -Zbuild-std, rustfmt, clippy). Without rustup,
#     the script says how to get it and stops.
#   - with the argument `bench` (make bench), also valgrind (callgrind counts
#     instructions), gcc-multilib (links the i686 host benches) and the
#     i686-unknown-linux-gnu Rust target.
#
# Environment (for scripts/test/ensure-deps.sh): GRUB_LIB, where GRUB's
# platform files are (default /usr/lib/grub); FIRMWARE_DIR, where OVMF and
# Bochs's BIOSes are (default /usr/share); BOCHS_PLUGINS, Bochs's plugins.
set -euo pipefail

cd "$(dirname "$0")/.."
GRUB_LIB=${GRUB_LIB:-/usr/lib/grub}
FIRMWARE_DIR=${FIRMWARE_DIR:-/usr/share}
BOCHS_PLUGINS=${BOCHS_PLUGINS:-/usr/lib/$(uname -m)-linux-gnu/bochs/plugins}

say() { printf 'ensure-deps: %s\n' "$*"; }
die() {
  printf 'ensure-deps: %s\n' "$@" >&2
  exit 1
}

# ------------------------------------------------------------------- packages
# Each line: the commands that can fill the need (any one will do), the
# Debian package that brings it.
needs='qemu-system-i386           qemu-system-x86
qemu-system-x86_64               qemu-system-x86
grub-mkrescue,grub2-mkrescue     grub-common
grub-file,grub2-file             grub-common
xorriso                          xorriso
mformat                          mtools
objcopy                          binutils
gdb                              gdb
bochs                            bochs
xvfb-run                         xvfb
xauth                            xauth'

# Files that no command stands for: GRUB's platform files (grub-mkrescue
# puts every platform it finds into the image, and scripts/mkiso.sh refuses
# an image without all three), the UEFI firmware the tests boot under, and
# Bochs's BIOS, VGA BIOS and X display.
file_needs="$GRUB_LIB/i386-pc/moddep.lst             grub-pc-bin      GRUB's i386-pc platform files (legacy BIOS)
$GRUB_LIB/x86_64-efi/moddep.lst          grub-efi-amd64-bin GRUB's x86_64-efi platform files (64-bit UEFI)
$GRUB_LIB/i386-efi/moddep.lst            grub-efi-ia32-bin GRUB's i386-efi platform files (32-bit UEFI)
$FIRMWARE_DIR/ovmf/OVMF.fd               ovmf             64-bit UEFI firmware for QEMU (OVMF)
$FIRMWARE_DIR/OVMF/OVMF32_CODE_4M.secboot.fd ovmf-ia32    32-bit UEFI firmware for QEMU (OVMF)
$FIRMWARE_DIR/bochs/BIOS-bochs-latest    bochsbios        Bochs's BIOS
$FIRMWARE_DIR/vgabios/vgabios.bin        vgabios          Bochs's VGA BIOS
$BOCHS_PLUGINS/libbx_x_gui.so            bochs-x          Bochs's X display"

if [ "${1:-}" = bench ]; then
  needs+=$'\n''valgrind                         valgrind'
fi

missing_cmds=() missing_pkgs=()
while read -r cmds pkg; do
  found=
  for cmd in ${cmds//,/ }; do
    command -v "$cmd" >/dev/null 2>&1 && found=1 && break
  done
  if [ -z "$found" ]; then
    missing_cmds+=("${cmds//,/ or }")
    missing_pkgs+=("$pkg")
  fi
done <<<"$needs"
while read -r file pkg what; do
  if [ ! -e "$file" ]; then
    missing_cmds+=("$what ($file)")
    missing_pkgs+=("$pkg")
  fi
done <<<"$file_needs"
# Linking for i686 needs the 32-bit C runtime; only trying tells.
if [ "${1:-}" = bench ] &&
  ! echo 'int main(void) { return 0; }' | gcc -m32 -x c - -o /dev/null >/dev/null 2>&1; then
  missing_cmds+=("a C compiler that links 32-bit programs (gcc -m32)")
  missing_pkgs+=(gcc-multilib)
fi

if [ ${#missing_pkgs[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  pkgs=($(printf '%s\n' "${missing_pkgs[@]}" | sort -u))
  if ! command -v apt-get >/dev/null 2>&1; then
    die "missing: $(printf '%s, ' "${missing_cmds[@]}" | sed 's/, $//')" \
      "this machine has no apt-get: please install these with your package manager, then run make again." \
      "  commands needed: qemu-system-i386, grub-mkrescue (or grub2-mkrescue) and grub-file" \
      "    (or grub2-file), xorriso, mformat (mtools), objcopy (binutils), gdb, bochs, xvfb-run," \
      "    GRUB's platform files for i386-pc (BIOS), x86_64-efi and i386-efi (UEFI)," \
      "    and the OVMF UEFI firmware, 64-bit and 32-bit" \
      "  Debian's package names: qemu-system-x86 grub-common grub-pc-bin grub-efi-amd64-bin" \
      "    grub-efi-ia32-bin xorriso mtools binutils gdb ovmf ovmf-ia32 bochs bochsbios" \
      "    vgabios bochs-x xvfb xauth" \
      "  on Fedora: sudo dnf install qemu-system-x86 grub2-tools-extra grub2-pc-modules" \
      "    grub2-efi-x64-modules grub2-efi-ia32-modules xorriso mtools binutils gdb edk2-ovmf" \
      "    edk2-ovmf-ia32 bochs xorg-x11-server-Xvfb"
  fi
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 ||
      die "need root to install ${pkgs[*]}; as root, run: apt-get update && apt-get install ${pkgs[*]}"
    sudo=(sudo)
    say "installing needs root: sudo may ask for your password"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine (a container, say) often has no package lists at all;
  # installing happens once, so the lists are always brought up to date first.
  say "updating apt's package lists (apt-get update) ..."
  "${sudo[@]}" apt-get update ||
    die "apt-get update failed; run by hand: ${sudo[*]}${sudo:+ }apt-get update"
  say "installing ${pkgs[*]} (apt-get) ..."
  "${sudo[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}" ||
    die "apt-get install failed; run by hand: ${sudo[*]}${sudo:+ }apt-get install ${pkgs[*]}"
  say "installed ${pkgs[*]}"
fi

# ----------------------------------------------------------------------- Rust
if ! command -v rustup >/dev/null 2>&1; then
  found=
  command -v rustc >/dev/null 2>&1 && found=" (found $(command -v rustc), but not rustup)"
  die "the build needs rustup, the Rust toolchain installer$found:" \
    "the kernel is built with the Rust release pinned in rust-toolchain.toml and" \
    "its rust-src component, which rustup provides. Get rustup from https://rustup.rs:" \
    "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" \
    "then open a new shell (or run: . \"\$HOME/.cargo/env\") and run make again."
fi

channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if ! rustup toolchain list | grep -q "^$channel-"; then
  say "installing Rust $channel, pinned in rust-toolchain.toml (rustup) ..."
  rustup toolchain install "$channel" --profile minimal ||
    die "rustup could not install Rust $channel; run by hand: rustup toolchain install $channel"
fi
installed=$(rustup component list --installed --toolchain "$channel")
for component in rust-src rustfmt clippy; do
  if ! grep -q "^$component\(-\|$\)" <<<"$installed"; then
    say "adding $component to Rust $channel (rustup) ..."
    rustup component add --toolchain "$channel" "$component" ||
      die "rustup could not add $component; run by hand: rustup component add --toolchain $channel $component"
  fi
done

if [ "${1:-}" = bench ] &&
  ! rustup target list --installed --toolchain "$channel" | grep -qx i686-unknown-linux-gnu; then
  say "adding the i686-unknown-linux-gnu target to Rust $channel (rustup) ..."
  rustup target add --toolchain "$channel" i686-unknown-linux-gnu ||
    die "rustup could not add the target; run by hand: rustup target add --toolchain $channel i686-unknown-linux-gnu"
fi
