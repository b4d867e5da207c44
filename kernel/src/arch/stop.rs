//! Ending the kernel: after a panic, a fault report, or the last self-test.
//!
//! On a PC the kernel halts with its last words on the screen. In a
//! self-test boot it leaves QEMU instead, through the exit device, so the
//! test harness learns the outcome at once and reads the report. Which of
//! the two is decided once, at start-up, from the command line
//! ([`exit_qemu_on_stop`]); everything that ends the kernel calls [`stop`]
//! and need not know.

use super::cpu;
use super::qemu::{self, ExitCode};
use core::sync::atomic::{AtomicBool, Ordering};

/// Set by [`exit_qemu_on_stop`]: a self-test boot.
static EXIT_QEMU: AtomicBool = AtomicBool::new(false);

/// From now on [`stop`] ends the QEMU run instead of halting. The start-up
/// code calls it when the command line asks for the self-tests.
pub fn exit_qemu_on_stop() {
    EXIT_QEMU.store(true, Ordering::Relaxed);
}

/// Ends the kernel: in a self-test boot, leaves QEMU with `code`; otherwise
/// halts with whatever is on the screen. Never returns; takes no lock, so
/// it is safe from a fault or panic handler.
pub fn stop(code: ExitCode) -> ! {
    if EXIT_QEMU.load(Ordering::Relaxed) {
        qemu::exit(code);
    }
    cpu::halt_forever()
}
