# pc.sh: sourced by scripts/test.sh. What a real PC needs, checked:
#
#   [iso]     mkiso refuses an image without one of the three GRUB platforms;
#             make iso's image has BIOS, x86_64-EFI and ia32-EFI loaders and a
#             menu with the kernel and its self-tests
#   [cpu]     on a P5 (-cpu pentium) _start refuses with a clear message and
#             halts, before any Rust runs
#   [run]     make run's wrapper (scripts/run.sh) reports a triple fault
#   [bochs]   Bochs (a stricter, slower emulator) boots it and its serial
#             port works (the probe is bounded by time, not polls)
#
# Uses pass, fail, indent, by_hand, boot, explain and $LOGS from test.sh.

# mkiso without GRUB's i386-efi files must refuse, saying what is missing.
test_mkiso_refuses() {
  local name="[iso] mkiso refuses an image without 32-bit UEFI GRUB, saying so"
  local lib="$LOGS/grub-lib" out="$LOGS/mkiso-refusal.log"
  rm -rf "$lib"
  mkdir -p "$lib/i386-pc" "$lib/x86_64-efi"
  touch "$lib/i386-pc/moddep.lst" "$lib/x86_64-efi/moddep.lst"
  GRUB_LIB=$lib scripts/mkiso.sh build/kernel.elf "$LOGS/refused.iso" >"$out" 2>&1
  local status=$?
  if [ $status -ne 0 ] && [ ! -e "$LOGS/refused.iso" ] &&
     grep -q "refusing to make $LOGS/refused.iso" "$out" &&
     grep -q "32-bit UEFI: $lib/i386-efi (Debian package grub-efi-ia32-bin)" "$out"; then
    pass "$name"
  else
    fail "$name" "exit $status (log: $out)"
    indent <"$out"
  fi
}

# make iso's image: the three platforms' loaders and the menu.
test_iso_image() {
  local name="[iso] make iso's image boots BIOS, x86_64 and ia32 UEFI, with a menu: kernel, self-tests"
  local iso="$LOGS/menu.iso" dir="$LOGS/menu"
  rm -rf "$dir"
  mkdir -p "$dir"
  if ! scripts/mkiso.sh --menu build/kernel.elf build/kernel-test.elf "$iso" >"$dir/mkiso.log" 2>&1; then
    fail "$name" "mkiso failed (log: $dir/mkiso.log)"
    return
  fi
  xorriso -osirrox on -indev "$iso" -extract /boot/grub/grub.cfg "$dir/grub.cfg" \
    -extract /efi.img "$dir/efi.img" -extract /boot/grub/i386-pc/eltorito.img "$dir/eltorito.img" \
    >"$dir/xorriso.log" 2>&1
  local loaders
  loaders=$(mdir -b -i "$dir/efi.img" ::/efi/boot 2>/dev/null | tr '[:upper:]' '[:lower:]')
  local missing=()
  [ -s "$dir/eltorito.img" ] || missing+=("BIOS El Torito image")
  grep -q 'bootx64.efi' <<<"$loaders" || missing+=("EFI/BOOT/BOOTX64.EFI")
  grep -q 'bootia32.efi' <<<"$loaders" || missing+=("EFI/BOOT/BOOTIA32.EFI")
  grep -q '^set timeout=5$' "$dir/grub.cfg" 2>/dev/null || missing+=("a 5-second menu")
  grep -q 'multiboot2 /boot/kernel.elf$' "$dir/grub.cfg" 2>/dev/null || missing+=("the kernel entry")
  grep -q 'multiboot2 /boot/kernel-test.elf selftest$' "$dir/grub.cfg" 2>/dev/null ||
    missing+=("the self-test entry")
  grep -q '^terminal_output console serial$' "$dir/grub.cfg" 2>/dev/null || missing+=("GRUB on serial")
  if [ ${#missing[@]} -eq 0 ]; then
    pass "$name"
  else
    fail "$name" "missing: $(printf '%s; ' "${missing[@]}")(files in $dir)"
  fi
}

# -cpu pentium (P5: CPUID, CMPXCHG8B, no CMOV, no long NOPs): the refusal.
test_cpu_check() {
  local name="[cpu] on a Pentium (P5) _start says what the CPU lacks and halts"
  QEMU_TIMEOUT=10 QEMU_CPU=pentium boot cpu-pentium 32M "selftest"
  if [ "$status" -eq 124 ] &&
     grep -q '^This kernel needs an i686 CPU (Pentium Pro or newer): it is$' "$log" &&
     grep -q '^This CPU (family 5) lacks: CMOV long NOPs$' "$log" &&
     grep -q '^The kernel cannot run here: halted.$' "$log" && ! grep -q '^kernel ' "$log"; then
    pass "$name"
  else
    fail "$name" "$(explain "$status"), or the message is missing (log: $log)"
    tail -n 8 "$log" | indent
    by_hand "$again"
  fi
}

# make run's wrapper, given a kernel that triple-faults: it must say so and
# fail, where QEMU alone exits with 0.
test_run_reports_triple_fault() {
  local name="[run] make run reports a triple fault (QEMU alone exits 0)"
  local iso="$LOGS/triple.iso" out="$LOGS/triple.terminal.log"
  scripts/mkiso.sh build/kernel-test.elf "$iso" "selftest run=fault::triple_fault"
  RUN_LOG="$LOGS/triple.qemu.log" timeout 120 scripts/run.sh "$iso" -m 32M -display none \
    -serial stdio </dev/null >"$out" 2>&1
  local status=$?
  tr -d '\r' <"$out" >"$out.tmp" && mv "$out.tmp" "$out"
  if [ $status -eq 1 ] && grep -q 'loading an empty IDT' "$out" &&
     grep -q '^make run: the machine TRIPLE-FAULTED' "$out"; then
    pass "$name"
  else
    fail "$name" "exit $status (log: $out)"
    tail -n 6 "$out" | indent
    by_hand "make run KERNEL=build/kernel-test.elf CMDLINE='selftest run=fault::triple_fault'"
  fi
}

# Bochs 2.7 under Xvfb: the serial log must show the whole boot.
test_bochs() {
  local name="[bochs] Bochs boots it and shows the serial log (the probe waits by time)"
  local dir="$LOGS/bochs" iso="$LOGS/bochs/bochs.iso"
  mkdir -p "$dir"
  scripts/mkiso.sh build/kernel.elf "$iso" "mem=32M"
  cat >"$dir/bochsrc" <<BOCHSRC
megs: 32
romimage: file=${FIRMWARE_DIR:-/usr/share}/bochs/BIOS-bochs-latest
vgaromimage: file=${FIRMWARE_DIR:-/usr/share}/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
cpu: ips=50000000
com1: enabled=1, mode=file, dev=$dir/serial.log
display_library: x
log: $dir/bochs.log
panic: action=fatal
BOCHSRC
  echo c >"$dir/debugger.rc" # Debian's Bochs starts in its debugger: continue
  rm -f "$dir/serial.log"
  timeout -k 5 120 xvfb-run -a bochs -q -f "$dir/bochsrc" -rc "$dir/debugger.rc" \
    </dev/null >"$dir/bochs.out" 2>&1 &
  local pid=$! waited=0
  # Bochs never exits by itself (no exit device): wait for the last line.
  while [ $waited -lt 110 ] && ! grep -q 'boot complete' "$dir/serial.log" 2>/dev/null &&
    kill -0 $pid 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
  done
  kill $pid 2>/dev/null
  wait $pid 2>/dev/null
  tr -d '\r' <"$dir/serial.log" >"$dir/serial.txt" 2>/dev/null
  if grep -q '^\[ INFO\] boot complete; the kernel is idle$' "$dir/serial.txt"; then
    pass "$name"
  else
    fail "$name" "no complete boot log on Bochs's COM1 after ${waited}s (log: $dir/serial.txt, $dir/bochs.log)"
    tail -n 5 "$dir/serial.txt" 2>/dev/null | indent
    by_hand "xvfb-run -a bochs -q -f $dir/bochsrc -rc $dir/debugger.rc"
  fi
}

pc_tests() {
  test_mkiso_refuses
  test_iso_image
  test_cpu_check
  test_run_reports_triple_fault
  test_bochs
}
