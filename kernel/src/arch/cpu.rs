//! Small CPU operations: halting, the interrupt flag, reading EFLAGS.

use x86::bits32::eflags::{self, EFlags};

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

/// Whether maskable interrupts are enabled (EFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    // SAFETY: reading EFLAGS has no side effects.
    unsafe { eflags::read() }.contains(EFlags::FLAGS_IF)
}

/// Disables maskable interrupts.
pub fn disable_interrupts() {
    // SAFETY: `cli` only masks interrupts; the code that re-enables them
    // (`IrqMutex` guards, idle loops) restores the previous state.
    unsafe { x86::irq::disable() };
}

/// Enables maskable interrupts.
///
/// # Safety
///
/// An IDT with handlers for every interrupt that can arrive must be loaded,
/// and the caller must not hold a lock that an interrupt handler takes
/// (use [`crate::sync::IrqMutex`], which restores the flag itself).
pub unsafe fn enable_interrupts() {
    // SAFETY: the caller guarantees the IDT and lock discipline above.
    unsafe { x86::irq::enable() };
}
