# firmware.sh: sourced by scripts/test.sh. The QEMU machine for each kind of
# PC firmware the image must boot under.
#
#   bios     qemu-system-i386, SeaBIOS (QEMU's default)
#   uefi64   qemu-system-x86_64 with 64-bit OVMF (Debian's ovmf)
#   uefi32   qemu-system-i386 with 32-bit OVMF (Debian's ovmf-ia32, whose only
#            build has Secure Boot support: it needs SMM on a q35 machine; with
#            no keys enrolled, Secure Boot is off and unsigned GRUB boots)
#
# OVMF's variable store is written at boot, so each run gets its own copy.

OVMF64=${OVMF64:-/usr/share/ovmf/OVMF.fd}
OVMF32_CODE=${OVMF32_CODE:-/usr/share/OVMF/OVMF32_CODE_4M.secboot.fd}
OVMF32_VARS=${OVMF32_VARS:-/usr/share/OVMF/OVMF32_VARS_4M.fd}

# firmware_args KIND PREFIX: prints the QEMU command (words) for KIND;
# PREFIX names the files of this run (the variable store).
firmware_args() {
  case $1 in
    bios) echo "qemu-system-i386" ;;
    uefi64) echo "qemu-system-x86_64 -bios $OVMF64" ;;
    uefi32)
      cp "$OVMF32_VARS" "$2.vars.fd"
      echo "qemu-system-i386 -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on" \
        "-drive if=pflash,format=raw,unit=0,readonly=on,file=$OVMF32_CODE" \
        "-drive if=pflash,format=raw,unit=1,file=$2.vars.fd"
      ;;
    *) echo "firmware_args: unknown firmware $1" >&2; return 1 ;;
  esac
}
