//! The Multiboot2 handshake and the first page directory, and nothing else.
//!
//! GRUB loads the kernel image at its physical load address (1 MiB) and
//! jumps to `entry`'s `_start` with paging off. That code builds the
//! first page directory (`tables`), turns paging on, moves to the higher
//! half and calls the kernel's `kernel_main(magic, info)`. Everything the
//! kernel needs to know about what happened here is exported below.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]

#[cfg(target_arch = "x86")]
mod cpucheck;
#[cfg(target_arch = "x86")]
mod early_print;
mod entry;
mod header;
mod tables;

pub use header::{MULTIBOOT1_MAGIC, MULTIBOOT2_BOOTLOADER_MAGIC};
pub use tables::{
    BOOT_STACK_SIZE, BootStack, PageTableStorage, boot_page_directory, boot_stack,
    fixmap_page_table, kernel_page_table,
};
