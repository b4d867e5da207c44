//! The interrupt flag, and `IrqMutex`: a spinlock that is safe to take from
//! interrupt handlers.
//!
//! A plain spinlock deadlocks a single CPU if an interrupt arrives while
//! the lock is held and the handler tries to take it: the handler spins
//! forever waiting for code that cannot run until the handler returns.
//! `IrqMutex` disables interrupts before taking the lock and restores the
//! previous interrupt state after releasing it, so no handler can run on
//! this CPU while the lock is held. The heap, the frame allocator, the page
//! tables and the consoles all sit behind one.
//!
//! The interrupt flag lives here, with the lock that saves and restores it,
//! rather than in `arch`: the console is built on this lock and `arch`'s
//! fault reports print to the console, so this module sits below both
//! (see the layers in `lib.rs`). It uses nothing of the kernel, only the
//! `x86` crate's instructions.

use core::ops::{Deref, DerefMut};
use x86::bits32::eflags::{self, EFlags};

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
/// (use [`IrqMutex`], which restores the flag itself).
pub unsafe fn enable_interrupts() {
    // SAFETY: the caller guarantees the IDT and lock discipline above.
    unsafe { x86::irq::enable() };
}

/// A spinlock that masks interrupts while held.
#[derive(Debug)]
pub struct IrqMutex<T> {
    inner: spin::Mutex<T>,
}

/// Access to the data of a locked [`IrqMutex`]; unlocks and restores the
/// interrupt flag when dropped.
#[allow(missing_debug_implementations)] // like spin's guard: it derefs to the data
pub struct IrqMutexGuard<'a, T> {
    // `Option` so `drop` can release the lock before restoring interrupts.
    guard: Option<spin::MutexGuard<'a, T>>,
    restore_interrupts: bool,
}

impl<T> IrqMutex<T> {
    /// A new unlocked mutex.
    pub const fn new(value: T) -> Self {
        Self { inner: spin::Mutex::new(value) }
    }

    /// Disables interrupts, then takes the lock (spinning while another
    /// context holds it).
    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let restore_interrupts = interrupts_enabled();
        disable_interrupts();
        IrqMutexGuard { guard: Some(self.inner.lock()), restore_interrupts }
    }

    /// Takes the lock if it is free, without spinning. Fault handlers use
    /// this to read state that the faulting code may have been holding.
    pub fn try_lock(&self) -> Option<IrqMutexGuard<'_, T>> {
        let restore_interrupts = interrupts_enabled();
        disable_interrupts();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqMutexGuard { guard: Some(guard), restore_interrupts }),
            None => {
                if restore_interrupts {
                    // SAFETY: interrupts were enabled when we were called,
                    // and we hold nothing: restoring that state is sound.
                    unsafe { enable_interrupts() };
                }
                None
            }
        }
    }

    /// Releases the lock without a guard.
    ///
    /// # Safety
    ///
    /// Only for the panic path: the holder of the lock must never run again
    /// (this CPU is about to halt), otherwise two contexts share the data.
    pub unsafe fn force_unlock(&self) {
        // SAFETY: the caller guarantees the current holder never resumes.
        unsafe { self.inner.force_unlock() };
    }
}

impl<T> Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.guard.as_ref().expect("guard is present until drop")
    }
}

impl<T> DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.guard.as_mut().expect("guard is present until drop")
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        self.guard = None; // unlock first, then let interrupts back in
        if self.restore_interrupts {
            // SAFETY: interrupts were enabled when the lock was taken and
            // the lock is released; restoring the previous state is sound.
            unsafe { enable_interrupts() };
        }
    }
}
