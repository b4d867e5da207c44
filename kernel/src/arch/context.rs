//! Switching between kernel stacks, and starting a new one.
//!
//! Each process has a kernel stack of its own. A process enters the kernel
//! (a system call, a fault, the timer) on that stack; to run another one,
//! the kernel saves where it is on the current stack and continues on the
//! other stack from wherever that one stopped:
//!
//! ```text
//!   switch_stacks(&mut a.saved_esp, b.saved_esp)
//!     push ebp, ebx, esi, edi      on a's stack
//!     a.saved_esp = esp
//!     esp = b.saved_esp             b's stack, as b left it
//!     pop edi, esi, ebx, ebp; ret   back into b's own switch_stacks call
//! ```
//!
//! A stack that has never run is made to look as if it had stopped in
//! `switch_stacks` ([`prepare_stack`]): its "return address" is a small
//! start routine that calls a function (the process layer's bookkeeping)
//! and then leaves through `interrupt_return` with a [`TrapFrame`] that
//! drops to ring 3 at the program's entry point.
//!
//! This layer knows nothing of processes: it switches stacks and builds
//! frames; who runs when is decided above.

use super::gdt;
use super::idt::TrapFrame;

core::arch::global_asm!(
    r#"
    .section .text
    .global switch_stacks
switch_stacks:
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl 20(%esp), %eax      // save
    movl %esp, (%eax)
    movl 24(%esp), %esp      // load
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

    .global context_start
context_start:               // the first "return" of a prepared stack
    popl %eax                // the function to call first
    call *%eax
    jmp interrupt_return     // ESP = the prepared TrapFrame
    "#,
    options(att_syntax),
);

unsafe extern "C" {
    fn switch_stacks(save: *mut u32, load: u32);
    fn context_start();
}

/// Saves the current context (its callee-saved registers, on its own
/// stack) with the stack pointer in `*save`, and continues the context
/// whose stack pointer is `load`. Returns when something switches back.
///
/// # Safety
///
/// `load` is a stack pointer saved by this function or made by
/// [`prepare_stack`], on a stack that is mapped and not running;
/// interrupts are off; no lock guard is held across the call (the other
/// context would find it taken).
pub unsafe fn switch(save: *mut u32, load: u32) {
    // SAFETY: forwarded contract; `switch_stacks` follows the cdecl
    // convention and preserves every callee-saved register.
    unsafe { switch_stacks(save, load) }
}

/// The frame that enters ring 3 at `eip` with the stack at `esp`,
/// interrupts enabled, `eax` = `arg`.
pub fn user_entry_frame(eip: u32, esp: u32, arg: u32) -> TrapFrame {
    let data = u32::from(gdt::USER_DATA.bits());
    TrapFrame {
        gs: data,
        fs: data,
        es: data,
        ds: data,
        eax: arg,
        eip,
        cs: u32::from(gdt::USER_CODE.bits()),
        eflags: 0x202, // IF, and the reserved bit 1; IOPL 0: no port access
        user_esp: esp,
        user_ss: data,
        ..TrapFrame::default()
    }
}

/// Lays out a fresh kernel stack whose top is `top` so that
/// `switch(.., returned)` starts it: it calls `first` and then returns
/// from an interrupt with `frame`. Returns the stack pointer to load.
///
/// # Safety
///
/// `top` is the 16-byte-aligned top of a mapped, writable stack of at
/// least 256 bytes that nothing uses.
pub unsafe fn prepare_stack(top: u32, frame: &TrapFrame, first: extern "C" fn()) -> u32 {
    // The frame sits 16-byte aligned, so `first` is called with the
    // ABI's alignment.
    let frame_at = (top - size_of::<TrapFrame>() as u32) & !15;
    let words = [
        0, // edi
        0, // esi
        0, // ebx
        0, // ebp: the end of the frame-pointer chain
        context_start as *const () as u32,
        first as *const () as u32, // popped by context_start
    ];
    let esp = frame_at - (words.len() * 4) as u32;
    // SAFETY: the caller gives us the stack; both writes are inside it,
    // below `top`, and aligned.
    unsafe {
        (frame_at as *mut TrapFrame).write(*frame);
        (esp as *mut [u32; 6]).write(words);
    }
    esp
}
