//! Where every interrupt lands: exceptions go to `exceptions`, hardware
//! IRQs to the handler registered for their line, `int 0x80` to the
//! system-call handler the layers above register.
//!
//! A hardware IRQ is acknowledged *before* its handler runs: the timer's
//! handler may switch to another process, and the PIC must not wait for
//! this one to be resumed before it delivers the next tick.

use super::exceptions;
use super::idt::{SYSCALL_VECTOR, TrapFrame};
use super::pic::{self, IRQ_BASE};
use core::sync::atomic::{AtomicPtr, Ordering};

/// A handler for a hardware interrupt line; runs with interrupts off.
pub type IrqHandler = fn();

const NO_HANDLER: *mut () = core::ptr::null_mut();
static IRQ_HANDLERS: [AtomicPtr<()>; 16] = [const { AtomicPtr::new(NO_HANDLER) }; 16];

/// Installs `handler` for IRQ line `irq` and unmasks the line.
pub fn set_irq_handler(irq: u8, handler: IrqHandler) {
    IRQ_HANDLERS[usize::from(irq)].store(handler as *mut (), Ordering::Release);
    pic::set_masked(irq, false);
}

/// Masks IRQ line `irq` and removes its handler.
pub fn clear_irq_handler(irq: u8) {
    pic::set_masked(irq, true);
    IRQ_HANDLERS[usize::from(irq)].store(NO_HANDLER, Ordering::Release);
}

/// The system-call handler: reads the call from the frame's registers and
/// writes the result back into them. Runs with interrupts off.
pub type SyscallHandler = fn(&mut TrapFrame);

static SYSCALL_HANDLER: AtomicPtr<()> = AtomicPtr::new(NO_HANDLER);

/// Installs the handler of `int 0x80`. Until one is installed, a system
/// call is an unexpected interrupt.
pub fn set_syscall_handler(handler: SyscallHandler) {
    SYSCALL_HANDLER.store(handler as *mut (), Ordering::Release);
}

/// Called by the common interrupt stub (see `idt.rs`) with the saved frame.
pub extern "C" fn dispatch(frame: &mut TrapFrame) {
    let vector = frame.vector;
    if vector < 32 {
        exceptions::handle(frame);
    } else if (u32::from(IRQ_BASE)..u32::from(IRQ_BASE) + 16).contains(&vector) {
        let irq = (vector - u32::from(IRQ_BASE)) as u8;
        pic::end_of_interrupt(irq);
        let handler = IRQ_HANDLERS[usize::from(irq)].load(Ordering::Acquire);
        if !handler.is_null() {
            // SAFETY: only `set_irq_handler` stores non-null values, and it
            // stores `IrqHandler` function pointers.
            let handler: IrqHandler =
                unsafe { core::mem::transmute::<*mut (), IrqHandler>(handler) };
            handler();
        }
    } else if vector == u32::from(SYSCALL_VECTOR) {
        let handler = SYSCALL_HANDLER.load(Ordering::Acquire);
        if handler.is_null() {
            exceptions::unexpected_interrupt(frame);
        }
        // SAFETY: only `set_syscall_handler` stores non-null values, and it
        // stores `SyscallHandler` function pointers.
        let handler: SyscallHandler =
            unsafe { core::mem::transmute::<*mut (), SyscallHandler>(handler) };
        handler(frame);
    } else {
        exceptions::unexpected_interrupt(frame);
    }
}
