//! The kernel: boot entry, consoles, interrupts, memory wiring, self-tests.
//!
//! Modules that touch hardware are compiled only for the kernel target
//! (`target_os = "none"`); the rest is plain logic that the host tests run.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

extern crate alloc;

pub mod bootinfo;
pub mod cmdline;
pub mod console;
pub mod layout;
pub mod string;

#[cfg(target_os = "none")]
pub mod arch;
#[cfg(target_os = "none")]
pub mod memory;
#[cfg(target_os = "none")]
mod panic;
#[cfg(target_os = "none")]
pub mod selftest;
#[cfg(target_os = "none")]
pub mod start;
#[cfg(target_os = "none")]
pub mod sync;
