//! The interrupt descriptor table and the 256 entry stubs behind it.
//!
//! Every vector gets a 16-byte assembly stub that pushes a uniform frame —
//! a dummy error code for vectors where the CPU pushes none, then the
//! vector number — and jumps to one common path that saves the registers,
//! loads the kernel's data segments and calls
//! [`super::interrupts::dispatch`] with a [`TrapFrame`]:
//!
//! ```text
//!   higher addresses
//!   | user ss    |  pushed by the CPU, only when it came from ring 3
//!   | user esp   |  (it then switched to the TSS's esp0 first)
//!   | eflags     |  pushed by the CPU
//!   | cs         |
//!   | eip        |
//!   | error code |  by the CPU (vectors 8, 10-14, 17, 21, 29, 30) or the stub (0)
//!   | vector     |  by the stub
//!   | eax .. edi |  by `pushal` in the common path
//!   | ds es fs gs|  by the common path (ring 3's selectors, or the kernel's)
//!   lower addresses  <- ESP = &TrapFrame
//! ```
//!
//! The way back, `interrupt_return`, pops the same frame and `iret`s: to
//! the interrupted kernel code, or to ring 3. A new process starts by
//! "returning" through it with a frame the kernel made (`context.rs`).
//!
//! Vector 8 (double fault) is a task gate instead (see `tss.rs`). Vector
//! 0x80, the system call, is the only gate ring 3 may use with `int`
//! (DPL 3); any other `int n` from ring 3 is a general protection fault.

use super::gdt;
use spin::Once;
use x86::Ring;
use x86::dtables::{DescriptorTablePointer, lidt};
use x86::segmentation::{
    BuildDescriptor, Descriptor, DescriptorBuilder, GateDescriptorBuilder,
    TaskGateDescriptorBuilder,
};

/// The vector of the system-call gate (`int 0x80`).
pub const SYSCALL_VECTOR: u8 = 0x80;

/// The registers saved on entry, in the order the stubs push them.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
#[allow(missing_docs)]
pub struct TrapFrame {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    /// ESP as `pushal` saw it (pointing at `ebx`'s slot), not the interrupted ESP.
    pub esp_at_pushal: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub vector: u32,
    pub error_code: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    /// Ring 3's stack pointer: only meaningful if [`from_user`](Self::from_user).
    pub user_esp: u32,
    /// Ring 3's stack segment: only meaningful if [`from_user`](Self::from_user).
    pub user_ss: u32,
}

impl TrapFrame {
    /// Whether the interrupted code ran in ring 3.
    pub fn from_user(&self) -> bool {
        self.cs & 3 == 3
    }

    /// The stack pointer of the interrupted code: ring 3's, or (same
    /// privilege level: the CPU pushed no ESP) just above `eflags`.
    pub fn interrupted_esp(&self) -> u32 {
        if self.from_user() { self.user_esp } else { (&self.eflags as *const u32 as u32) + 4 }
    }
}

const STUB_SIZE: usize = 16;

core::arch::global_asm!(
    r#"
    .section .text
    .balign 16
    .global interrupt_stubs
interrupt_stubs:
    .set vector, 0
    .rept 256
    .balign 16
    .if (vector == 8) || (vector >= 10 && vector <= 14) || (vector == 17) || (vector == 21) || (vector == 29) || (vector == 30)
    .else
    pushl $0
    .endif
    pushl $vector
    jmp interrupt_common
    .set vector, vector + 1
    .endr

interrupt_common:
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    movw ${kernel_data}, %ax // ring 3's selectors must not be used in ring 0
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    cld
    movl %esp, %eax          // &TrapFrame
    movl %esp, %ebx          // callee-saved: restores ESP below
    andl $-16, %esp          // the ABI's 16-byte alignment at the call
    subl $12, %esp
    pushl %eax
    call {dispatch}
    movl %ebx, %esp

    .global interrupt_return
interrupt_return:            // ESP = &TrapFrame
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    addl $8, %esp            // vector and error code
    iretl
    "#,
    dispatch = sym super::interrupts::dispatch,
    kernel_data = const super::gdt::KERNEL_DATA.bits(),
    options(att_syntax),
);

unsafe extern "C" {
    /// First of the 256 stubs, each `STUB_SIZE` bytes apart.
    static interrupt_stubs: [u8; 256 * STUB_SIZE];
}

static IDT: Once<[Descriptor; 256]> = Once::new();

/// Builds and loads the IDT.
pub fn init() {
    let idt = IDT.call_once(|| {
        let stubs = (&raw const interrupt_stubs) as u32;
        core::array::from_fn(|vector| {
            if vector == usize::from(x86::irq::DOUBLE_FAULT_VECTOR) {
                DescriptorBuilder::task_gate_descriptor(gdt::DOUBLE_FAULT_TSS).present().finish()
            } else {
                let stub = stubs + (vector * STUB_SIZE) as u32;
                // Only the system call may be raised from ring 3 with `int`.
                let dpl =
                    if vector == usize::from(SYSCALL_VECTOR) { Ring::Ring3 } else { Ring::Ring0 };
                <DescriptorBuilder as GateDescriptorBuilder<u32>>::interrupt_descriptor(
                    gdt::KERNEL_CODE,
                    stub,
                )
                .present()
                .dpl(dpl)
                .finish()
            }
        })
    });
    let pointer = DescriptorTablePointer::new_from_slice(idt);
    // SAFETY: the table is 'static, and every entry points at a stub that
    // exists (or at the double-fault TSS, which `tss::init` set up).
    unsafe { lidt(&pointer) };
}
