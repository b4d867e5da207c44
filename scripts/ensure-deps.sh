#!/usr/bin/env bash
# Installs what `make run`, `make test` and `make iso` need, and nothing when
# everything is already there. Safe to run any number of times.
#
#   - Debian packages: QEMU (i386), GRUB's BIOS image builder, xorriso, mtools,
#     binutils (objcopy), GDB (`make debug`, and its test in `make test`)
#   - the `rust-src` component of the pinned toolchain (for -Zbuild-std)
#
# `ensure-deps.sh bench` also installs what `make bench` needs: valgrind
# (callgrind counts instructions), the 32-bit C runtime for linking host
# programs for i686 (gcc-multilib) and the i686-unknown-linux-gnu Rust target.
set -euo pipefail

cd "$(dirname "$0")/.."

# command -> Debian package that provides it
declare -A need=(
  [qemu-system-i386]=qemu-system-x86
  [grub-mkrescue]=grub-common
  [grub-file]=grub-common
  [xorriso]=xorriso
  [mformat]=mtools
  [objcopy]=binutils
  [gdb]=gdb
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
# grub-mkrescue needs the i386-pc modules to make a BIOS-bootable image.
[ -d /usr/lib/grub/i386-pc ] || missing+=(grub-pc-bin)
if [ "${1:-}" = bench ]; then
  command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
  echo 'int main(void) { return 0; }' | gcc -m32 -x c - -o /dev/null >/dev/null 2>&1 ||
    missing+=(gcc-multilib)
fi

if [ ${#missing[@]} -gt 0 ]; then
  # shellcheck disable=SC2207
  pkgs=($(printf '%s\n' "${missing[@]}" | sort -u))
  echo "ensure-deps: installing ${pkgs[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "ensure-deps: need root to install ${pkgs[*]}; run: sudo apt-get install ${pkgs[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Update the package lists only when the first attempt fails (stale lists).
  if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; then
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
fi

# rust-src for the toolchain pinned in rust-toolchain.toml (rustup reads it from here).
sysroot=$(rustc --print sysroot)
if [ ! -d "$sysroot/lib/rustlib/src/rust/library" ]; then
  echo "ensure-deps: adding rustup component rust-src"
  rustup component add rust-src >/dev/null
fi

if [ "${1:-}" = bench ] && ! rustup target list --installed | grep -qx i686-unknown-linux-gnu; then
  echo "ensure-deps: adding rustup target i686-unknown-linux-gnu"
  rustup target add i686-unknown-linux-gnu >/dev/null
fi
