//! Halting and waiting: the CPU instructions that end or pause execution.
//!
//! The interrupt flag (`cli`/`sti`) is in `crate::sync`, with the lock that
//! saves and restores it.

/// Stops the CPU for good: interrupts off, then `hlt` forever.
pub fn halt_forever() -> ! {
    loop {
        // SAFETY: disabling interrupts and halting cannot break memory
        // safety; this CPU simply stops executing.
        unsafe { core::arch::asm!("cli; hlt", options(nomem, nostack)) };
    }
}

/// Waits for the next interrupt (`sti; hlt`), for idle loops.
pub fn wait_for_interrupt() {
    // SAFETY: `sti; hlt` enables interrupts and sleeps until one arrives;
    // the handlers it may run are installed before interrupts are used.
    unsafe { core::arch::asm!("sti; hlt", options(nomem, nostack)) };
}
