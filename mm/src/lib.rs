//! Memory management for the kernel: physical frames, two-level paging, the
//! kernel's virtual address space and the kmalloc heap.
//!
//! Everything here is plain logic that also compiles for the host, where it
//! is unit-tested against emulated physical memory ([`emulate`]) and an
//! arena. The few operations that touch real hardware (the TLB, the
//! recursive page-table window) are isolated in [`paging::recursive`] and
//! [`paging::tlb`] and are only called by the kernel.
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod addr;
pub mod frame;
pub mod frames;
pub mod heap;
pub mod layout;
pub mod memmap;
pub mod paging;
pub mod space;
pub mod vrange;

#[cfg(test)]
mod proptest_cases;

#[cfg(not(target_os = "none"))]
pub mod emulate;
#[cfg(not(target_os = "none"))]
pub mod fuzz;

pub use addr::{PAGE_SIZE, PhysAddr, VirtAddr};
pub use frame::{Frame, FrameAllocator, FreeError, Page};
