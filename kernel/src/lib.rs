//! The kernel: boot entry, consoles, interrupts, memory wiring, self-tests.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod string;
