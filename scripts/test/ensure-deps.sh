# ensure-deps.sh (the test): sourced by scripts/test.sh. Runs
# scripts/ensure-deps.sh on machines it cannot see from here, by giving it a
# PATH of stand-in commands: no apt-get, no rustup, Fedora's GRUB names, a
# rustup without the pinned toolchain. Stand-ins for apt-get and rustup only
# record how they were called; nothing is installed.
#
# Uses pass, fail, indent and $LOGS from test.sh.

# A PATH directory with what any shell script needs, and `id` saying root
# (so the script never turns to sudo).
ed_bin() {
  local dir=$1 tool
  mkdir -p "$dir"
  for tool in bash env sed sort grep dirname cat; do
    ln -sf "$(command -v "$tool")" "$dir/$tool"
  done
  ed_stub "$dir" id 'echo 0'
}

# ed_stub DIR NAME [SCRIPT]: a command NAME that runs SCRIPT (sh), default none.
ed_stub() {
  printf '#!/bin/sh\n%s\n' "${3:-true}" >"$1/$2"
  chmod +x "$1/$2"
}

# Stand-ins for every command the build needs, under Debian's names or
# (with `fedora`) Fedora's.
ed_tools() {
  local dir=$1 grub=grub tool
  [ "${2:-}" = fedora ] && grub=grub2
  for tool in qemu-system-i386 qemu-system-x86_64 "$grub-mkrescue" "$grub-file" xorriso mformat \
    objcopy gdb bochs xvfb-run xauth; do
    ed_stub "$dir" "$tool"
  done
}

# The files no command stands for: GRUB's three platforms, OVMF (64- and
# 32-bit), Bochs's BIOSes and X display, under DIR/grub, DIR/share, DIR/bochs-plugins.
ed_files() {
  local dir=$1 file
  for file in grub/i386-pc/moddep.lst grub/x86_64-efi/moddep.lst grub/i386-efi/moddep.lst \
    share/ovmf/OVMF.fd share/OVMF/OVMF32_CODE_4M.secboot.fd share/bochs/BIOS-bochs-latest \
    share/vgabios/vgabios.bin bochs-plugins/libbx_x_gui.so; do
    mkdir -p "$(dirname "$dir/$file")"
    : >"$dir/$file"
  done
}

# A rustup that has toolchains $1 and installed components $2, and records
# every other call in $dir/rustup.log.
ed_rustup() {
  local dir=$1
  ed_stub "$dir" rustup "case \"\$1 \$2\" in
  'toolchain list') printf '%s\n' $2 ;;
  'component list') printf '%s\n' $3 ;;
  *) echo \"\$*\" >>'$dir/rustup.log' ;;
esac"
}

# ed_run NAME DIR EXPECTED-STATUS PATTERN...: runs ensure-deps.sh with PATH=DIR
# and GRUB's platform files looked for in DIR/grub; passes when it exits with
# EXPECTED-STATUS and its output matches every PATTERN (grep -E, one line).
ed_run() {
  local name=$1 dir=$2 want=$3
  shift 3
  local out="$dir/output.log" missing=()
  PATH=$dir GRUB_LIB=$dir/grub FIRMWARE_DIR=$dir/share BOCHS_PLUGINS=$dir/bochs-plugins \
    "$dir/bash" scripts/ensure-deps.sh >"$out" 2>&1
  local status=$?
  for pattern in "$@"; do
    grep -qE -- "$pattern" "$out" || missing+=("$pattern")
  done
  if [ "$status" -eq "$want" ] && [ ${#missing[@]} -eq 0 ]; then
    pass "$name"
  else
    fail "$name" "exit $status (wanted $want); missing: ${missing[*]:-nothing} (log: $out)"
    indent <"$out"
  fi
}

test_ensure_deps() {
  local root="$PWD/$LOGS/ensure-deps" dir channel
  rm -rf "$root"
  channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)

  dir=$root/no-apt
  ed_bin "$dir"
  ed_run "[ensure-deps] without apt-get: names the commands and Debian packages to install" \
    "$dir" 1 'missing: qemu-system-i386, qemu-system-x86_64, grub-mkrescue or grub2-mkrescue, grub-file or grub2-file' \
    'has no apt-get' 'grub-mkrescue \(or grub2-mkrescue\)' 'i386-pc \(BIOS\), x86_64-efi and i386-efi \(UEFI\)' \
    "Debian's package names: qemu-system-x86 grub-common grub-pc-bin grub-efi-amd64-bin" \
    'grub-efi-ia32-bin xorriso mtools binutils gdb ovmf ovmf-ia32 bochs bochsbios' \
    "GRUB's x86_64-efi platform files \(64-bit UEFI\) \($dir/grub/x86_64-efi/moddep.lst\)"

  dir=$root/apt
  ed_bin "$dir"
  ed_stub "$dir" apt-get "echo \"\$*\" >>'$dir/apt.log'"
  ed_stub "$dir" gdb
  ed_stub "$dir" bochs
  ed_files "$dir"
  rm "$dir/grub/i386-efi/moddep.lst" "$dir/share/ovmf/OVMF.fd"
  ed_run "[ensure-deps] with apt-get: updates the lists, installs what is missing, says so" \
    "$dir" 1 "^ensure-deps: updating apt's package lists \(apt-get update\) \.\.\.$" \
    '^ensure-deps: installing binutils grub-common grub-efi-ia32-bin mtools ovmf qemu-system-x86 xauth xorriso xvfb \(apt-get\) \.\.\.$'
  if [ "$(cat "$dir/apt.log" 2>/dev/null)" != "update
install -y --no-install-recommends binutils grub-common grub-efi-ia32-bin mtools ovmf qemu-system-x86 xauth xorriso xvfb" ]; then
    fail "[ensure-deps] apt-get is called with Debian's package names" \
      "calls were: $(tr '\n' ';' <"$dir/apt.log" 2>/dev/null)"
  else
    pass "[ensure-deps] apt-get is called with Debian's package names"
  fi

  dir=$root/no-rustup
  ed_bin "$dir"
  ed_tools "$dir" fedora
  ed_files "$dir"
  ed_stub "$dir" rustc
  ed_run "[ensure-deps] without rustup: says how to get it; Fedora's grub2-* names count" \
    "$dir" 1 "needs rustup, the Rust toolchain installer \(found $dir/rustc, but not rustup\)" \
    'https://rustup\.rs' "curl --proto '=https' --tlsv1\.2 -sSf https://sh\.rustup\.rs \| sh"
  if grep -q 'missing\|apt-get' "$dir/output.log"; then
    fail "[ensure-deps] Fedora's grub2-mkrescue and grub2-file are found" "it asked for GRUB's tools"
  else
    pass "[ensure-deps] Fedora's grub2-mkrescue and grub2-file are found"
  fi

  dir=$root/rustup
  ed_bin "$dir"
  ed_tools "$dir"
  ed_files "$dir"
  ed_rustup "$dir" stable-x86_64-unknown-linux-gnu rust-src
  ed_run "[ensure-deps] installs the pinned Rust and missing components through rustup" \
    "$dir" 0 "^ensure-deps: installing Rust $channel, pinned in rust-toolchain.toml \(rustup\) \.\.\.$" \
    "^ensure-deps: adding clippy to Rust $channel \(rustup\) \.\.\.$"
  if [ "$(cat "$dir/rustup.log" 2>/dev/null)" != "toolchain install $channel --profile minimal
component add --toolchain $channel rustfmt
component add --toolchain $channel clippy" ]; then
    fail "[ensure-deps] rustup is asked for the toolchain, rustfmt and clippy" \
      "calls were: $(tr '\n' ';' <"$dir/rustup.log" 2>/dev/null)"
  else
    pass "[ensure-deps] rustup is asked for the toolchain, rustfmt and clippy"
  fi

  dir=$root/complete
  ed_bin "$dir"
  ed_tools "$dir"
  ed_files "$dir"
  ed_rustup "$dir" "$channel-x86_64-unknown-linux-gnu" \
    "rust-src rustfmt-x86_64-unknown-linux-gnu clippy-x86_64-unknown-linux-gnu"
  local name="[ensure-deps] with everything there: exits 0, prints nothing, installs nothing"
  PATH=$dir GRUB_LIB=$dir/grub FIRMWARE_DIR=$dir/share BOCHS_PLUGINS=$dir/bochs-plugins \
    "$dir/bash" scripts/ensure-deps.sh >"$dir/output.log" 2>&1
  local status=$?
  if [ "$status" -eq 0 ] && [ ! -s "$dir/output.log" ] && [ ! -e "$dir/rustup.log" ]; then
    pass "$name"
  else
    fail "$name" "exit $status; output and rustup calls: $(cat "$dir/output.log" "$dir/rustup.log" 2>/dev/null)"
  fi
}
