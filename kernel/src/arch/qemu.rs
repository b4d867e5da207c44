//! Leaving QEMU with a status code, through the `isa-debug-exit` device.
//!
//! QEMU is started with `-device isa-debug-exit,iobase=0xf4,iosize=0x04`;
//! writing `v` to port 0xF4 ends QEMU with exit status `(v << 1) | 1`. A
//! triple fault under `-no-reboot` ends it with status 0, so the harness
//! counts only [`ExitCode::Success`] (status 33) as a pass. On a real PC
//! nothing listens on the port and [`exit`] just halts.

/// Why the kernel is ending a QEMU run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// Every self-test passed (QEMU exits with 33).
    Success = 0x10,
    /// At least one self-test failed (QEMU exits with 35).
    TestsFailed = 0x11,
    /// A panic or an unexpected CPU fault stopped the kernel (QEMU exits with 37).
    Crashed = 0x12,
}

const DEBUG_EXIT_PORT: u16 = 0xF4;
/// QEMU's firmware-configuration device: a selector port and a data port.
const FW_CFG_SELECTOR: u16 = 0x510;
const FW_CFG_DATA: u16 = 0x511;
/// The fw_cfg item that holds the signature "QEMU".
const FW_CFG_SIGNATURE: u16 = 0x0000;

/// Whether the kernel runs under QEMU: its fw_cfg device (present on every
/// QEMU PC machine, with or without KVM) answers with the signature
/// "QEMU". On a PC or another emulator the ports read 0xFF.
pub fn detected() -> bool {
    // SAFETY: selecting an fw_cfg item and reading its bytes only moves
    // the device's read position; on machines without it the ports are
    // unused (reads return 0xFF, writes are ignored).
    let signature: [u8; 4] = unsafe {
        x86::io::outw(FW_CFG_SELECTOR, FW_CFG_SIGNATURE);
        core::array::from_fn(|_| x86::io::inb(FW_CFG_DATA))
    };
    &signature == b"QEMU"
}

/// Ends the QEMU run with `code`; on hardware without the device, halts.
pub fn exit(code: ExitCode) -> ! {
    // SAFETY: port 0xF4 is QEMU's isa-debug-exit when present and unused
    // otherwise; writing to it has no effect on memory.
    unsafe { x86::io::outl(DEBUG_EXIT_PORT, code as u32) };
    super::cpu::halt_forever()
}
