//! Task-state segments, and the double-fault task.
//!
//! When the kernel stack overflows into its guard page, the page fault
//! cannot even be delivered: the CPU must push the fault's frame onto the
//! very stack that just ran out. That makes a double fault — and if the
//! double-fault handler needs the same stack, a triple fault and a reset.
//! On i686 the way out is a *task gate*: IDT vector 8 names the TSS below,
//! so on a double fault the CPU saves the broken context into the kernel's
//! TSS and loads a complete fresh one, with its own stack, and runs
//! `double_fault_task` there. That function reads the saved context out
//! of the kernel's TSS to say what happened.
//!
//! The kernel's TSS also tells the CPU which stack to use when an
//! interrupt or a system call arrives from ring 3 (`ss0:esp0`): the
//! running process's kernel stack, set by [`set_kernel_stack`] on every
//! switch to another process.

use super::gdt;
use core::cell::UnsafeCell;
use x86::bits32::task::TaskStateSegment;

const DOUBLE_FAULT_STACK_SIZE: usize = 16 * 1024;

#[repr(C, align(4096))]
struct Stack([u8; DOUBLE_FAULT_STACK_SIZE]);

/// A TSS the CPU writes to on task switches.
#[repr(C, align(128))]
struct TssCell(UnsafeCell<TaskStateSegment>);

// SAFETY: the TSSs are written once in `init` before they are loaded, and
// afterwards only by the CPU during a task switch (single CPU).
unsafe impl Sync for TssCell {}

struct StackCell(UnsafeCell<Stack>);
// SAFETY: only the CPU uses this memory, as the double-fault task's stack.
unsafe impl Sync for StackCell {}

static KERNEL_TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));
static DOUBLE_FAULT_TSS: TssCell = TssCell(UnsafeCell::new(TaskStateSegment::new()));
static DOUBLE_FAULT_STACK: StackCell =
    StackCell(UnsafeCell::new(Stack([0; DOUBLE_FAULT_STACK_SIZE])));

/// The context the CPU saved in the kernel's TSS when it switched to the
/// double-fault task: what was running when the double fault hit.
#[derive(Clone, Copy, Debug)]
pub struct SavedContext {
    /// Instruction pointer.
    pub eip: u32,
    /// Stack pointer.
    pub esp: u32,
    /// Frame pointer.
    pub ebp: u32,
    /// Flags.
    pub eflags: u32,
}

/// The state saved by the last task switch away from the kernel.
pub fn saved_kernel_context() -> SavedContext {
    // SAFETY: called on the double-fault task, after the CPU finished
    // writing the kernel TSS; nothing else writes it.
    let tss = unsafe { *KERNEL_TSS.0.get() };
    SavedContext { eip: tss.eip, esp: tss.esp, ebp: tss.ebp, eflags: tss.eflags }
}

/// The double-fault task's stack, as (lowest address, one past the top).
pub fn double_fault_stack() -> (u32, u32) {
    let bottom = DOUBLE_FAULT_STACK.0.get() as u32;
    (bottom, bottom + DOUBLE_FAULT_STACK_SIZE as u32)
}

/// Fills in both TSSs and loads the GDT that describes them.
pub fn init() {
    let size = size_of::<TaskStateSegment>();
    let stack_top = DOUBLE_FAULT_STACK.0.get() as usize + DOUBLE_FAULT_STACK_SIZE;
    // SAFETY: reading CR3 has no side effects.
    let cr3 = unsafe { x86::controlregs::cr3() } as u32;
    let data = gdt::KERNEL_DATA.bits();
    // SAFETY: the TSSs are not loaded yet, so nothing else accesses them.
    unsafe {
        let kernel = &mut *KERNEL_TSS.0.get();
        kernel.iobp_offset = size as u16; // no I/O permission bitmap: ring 3 gets no port
        kernel.ss0 = data;
        kernel.esp0 = boot::boot_stack().top();
        let df = &mut *DOUBLE_FAULT_TSS.0.get();
        df.iobp_offset = size as u16;
        df.cr3 = cr3;
        df.eip = double_fault_entry as *const () as u32;
        df.eflags = 0x2; // reserved bit 1; interrupts off
        df.esp = stack_top as u32;
        df.ebp = 0;
        df.cs = gdt::KERNEL_CODE.bits();
        df.ss = data;
        df.ds = data;
        df.es = data;
        df.fs = data;
        df.gs = data;
    }
    gdt::init(KERNEL_TSS.0.get() as u32, DOUBLE_FAULT_TSS.0.get() as u32, size);
}

/// Makes `top` the stack the CPU switches to when an interrupt, exception
/// or system call arrives from ring 3: the top of the kernel stack of the
/// process about to run. Call it on every switch to another process.
pub fn set_kernel_stack(top: u32) {
    // SAFETY: `esp0` is read by the CPU only on a ring 3 -> 0 transition,
    // which cannot happen while the kernel runs this (ring 0, one CPU);
    // the write goes through a raw pointer, no reference is formed.
    unsafe { (&raw mut (*KERNEL_TSS.0.get()).esp0).write_volatile(top) };
}

unsafe extern "C" {
    /// Entry of the double-fault task (assembly below).
    fn double_fault_entry() -> !;
}

// The CPU enters the task with the fault's error code pushed on the new
// stack: exactly where a cdecl callee finds its first argument after `call`.
core::arch::global_asm!(
    r#"
    .section .text
    .global double_fault_entry
double_fault_entry:
    call {handler}
1:  cli
    hlt
    jmp 1b
    "#,
    handler = sym double_fault_task,
);

extern "C" fn double_fault_task(error_code: u32) -> ! {
    super::exceptions::report_double_fault(error_code, saved_kernel_context())
}
