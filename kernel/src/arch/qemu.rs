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

/// Ends the QEMU run with `code`; on hardware without the device, halts.
pub fn exit(code: ExitCode) -> ! {
    // SAFETY: port 0xF4 is QEMU's isa-debug-exit when present and unused
    // otherwise; writing to it has no effect on memory.
    unsafe { x86::io::outl(DEBUG_EXIT_PORT, code as u32) };
    super::cpu::halt_forever()
}
