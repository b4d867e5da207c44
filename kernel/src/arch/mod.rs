//! x86 (i686) specifics: CPU control, descriptor tables, interrupts, QEMU exit.

pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod interrupts;
pub mod pic;
pub mod pit;
pub mod qemu;
pub mod tss;

/// Loads the kernel's GDT and TSSs, the IDT, and remaps (and masks) the PICs.
/// Interrupts stay disabled.
pub fn init() {
    tss::init();
    idt::init();
    pic::init();
}
