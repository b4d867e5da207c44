//! The interrupt descriptor table and the 256 entry stubs behind it.
//!
//! Every vector gets a 16-byte assembly stub that pushes a uniform frame —
//! a dummy error code for vectors where the CPU pushes none, then the
//! vector number — and jumps to one common path that saves the registers
//! and calls [`super::interrupts::dispatch`] with a [`TrapFrame`]:
//!
//! ```text
//!   higher addresses
//!   | eflags     |  pushed by the CPU
//!   | cs         |
//!   | eip        |
//!   | error code |  by the CPU (vectors 8, 10-14, 17, 21, 29, 30) or the stub (0)
//!   | vector     |  by the stub
//!   | eax .. edi |  by `pushal` in the common path
//!   lower addresses  <- ESP = &TrapFrame
//! ```
//!
//! Vector 8 (double fault) is a task gate instead (see `tss.rs`).

use super::gdt;
use spin::Once;
use x86::dtables::{DescriptorTablePointer, lidt};
use x86::segmentation::{
    BuildDescriptor, Descriptor, DescriptorBuilder, GateDescriptorBuilder,
    TaskGateDescriptorBuilder,
};

/// The registers saved on entry, in the order the stubs push them.
#[derive(Clone, Copy, Debug)]
#[repr(C)]
#[allow(missing_docs)]
pub struct TrapFrame {
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
}

impl TrapFrame {
    /// The stack pointer of the interrupted code (same privilege level:
    /// the CPU pushed no ESP, so it is just above `eflags`).
    pub fn interrupted_esp(&self) -> u32 {
        (&self.eflags as *const u32 as u32) + 4
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
    cld
    movl %esp, %eax          // &TrapFrame
    movl %esp, %ebx          // callee-saved: restores ESP below
    andl $-16, %esp          // the ABI's 16-byte alignment at the call
    subl $12, %esp
    pushl %eax
    call {dispatch}
    movl %ebx, %esp
    popal
    addl $8, %esp            // vector and error code
    iretl
    "#,
    dispatch = sym super::interrupts::dispatch,
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
                <DescriptorBuilder as GateDescriptorBuilder<u32>>::interrupt_descriptor(
                    gdt::KERNEL_CODE,
                    stub,
                )
                .present()
                .finish()
            }
        })
    });
    let pointer = DescriptorTablePointer::new_from_slice(idt);
    // SAFETY: the table is 'static, and every entry points at a stub that
    // exists (or at the double-fault TSS, which `tss::init` set up).
    unsafe { lidt(&pointer) };
}
