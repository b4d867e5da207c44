//! The kernel: boot entry, consoles, interrupts, memory wiring, self-tests.
//!
//! The modules form layers. Each uses only the layers below it, never one
//! beside or above it, so any of them can be read knowing only what is
//! underneath (the host test in `layering.rs` checks every `crate::` path):
//!
//! ```text
//!   8  start, panic   bring-up in order (kernel_main); the panic handler
//!   7  selftest       the in-kernel tests and fault scenarios
//!   6  syscall        the system calls (`int 0x80`), over processes
//!   5  process        user programs: spawning, scheduling, faults, user memory
//!   4  memory         frames, address spaces, the heap, boot modules (over `mm`)
//!   3  arch           descriptor tables, interrupts, fault reports, halting
//!   2  console        serial + screen (framebuffer or EGA text), print!/println!, `log`
//!   1  sync           the interrupt flag and IrqMutex
//!   0  string, layout, bootinfo, cmdline, account, symbols, elf, ustar
//!                     plain logic, tested on the host
//! ```
//!
//! What a lower layer needs from a higher one is handed down at start-up,
//! never fetched: `start` registers `memory::describe_address` with
//! `arch::exceptions` so fault reports can name an address's region,
//! `memory::symbols::lookup` with `arch::backtrace` so they can name
//! functions, and tells `arch::stop` whether ending the kernel means
//! leaving QEMU; it also hands `syscall::handle` and
//! `process::fault::handle` to `arch`, which calls them for `int 0x80` and
//! for exceptions from ring 3.
//!
//! Modules that touch hardware are compiled only for the kernel target
//! (`target_os = "none"`); the rest is plain logic that the host tests run.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

// Layer 0: plain logic.
pub mod account;
pub mod bootinfo;
pub mod cmdline;
pub mod elf;
pub mod layout;
pub mod string;
pub mod symbols;
pub mod ustar;

// Layer 1.
#[cfg(target_os = "none")]
pub mod sync;

// Layer 2 (its screen logic is plain and host-tested).
pub mod console;

// Layer 3.
#[cfg(target_os = "none")]
pub mod arch;

// Layer 4.
#[cfg(target_os = "none")]
pub mod memory;

// Layer 5.
#[cfg(target_os = "none")]
pub mod process;

// Layer 6.
#[cfg(target_os = "none")]
pub mod syscall;

// Layer 7.
#[cfg(target_os = "none")]
pub mod selftest;

// Layer 8.
#[cfg(target_os = "none")]
mod panic;
#[cfg(target_os = "none")]
pub mod start;

#[cfg(test)]
mod layering;
