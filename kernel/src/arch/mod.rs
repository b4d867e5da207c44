//! x86 (i686) specifics: halting, descriptor tables, interrupts, fault
//! reports, ring 3 and switching kernel stacks, ending the run.
//!
//! This layer knows nothing of `memory` or `start` (see the layers in
//! `lib.rs`): it prints its fault reports on the console below it, and what
//! a report says about an address is handed down to it at start-up
//! ([`exceptions::describe_addresses_with`]).

pub mod backtrace;
pub mod context;
pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod interrupts;
pub mod pic;
pub mod pit;
pub mod qemu;
pub mod stop;
pub mod tss;

pub use stop::stop;

/// Loads the kernel's GDT and TSSs, the IDT, and remaps (and masks) the PICs.
/// Interrupts stay disabled.
pub fn init() {
    tss::init();
    idt::init();
    pic::init();
}
