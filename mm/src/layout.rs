//! The kernel's virtual memory map: one place for every fixed address.
//!
//! ```text
//!  0xFFFF_FFFF +-------------------------------+
//!              | page tables, recursive map    |  PDE 1023 points at the page
//!  0xFFC0_0000 +-------------------------------+  directory itself
//!              | fixmap: fixed 4 KiB windows   |  PDE 1022, static page table
//!  0xFF80_0000 +-------------------------------+
//!              | kernel virtual ranges         |  MMIO, VGA text buffer, ...
//!  0xE000_0000 +-------------------------------+
//!              | kmalloc heap (256 MiB)        |  grows up from 0 bytes
//!  0xD000_0000 +-------------------------------+
//!              | (unused)                      |
//!              +-------------------------------+
//!              | kernel image: .text .rodata   |  0xC000_0000 + physical
//!              | .data .bss, stacks            |  load address (1 MiB)
//!  0xC010_0000 +-------------------------------+
//!              | (unmapped)                    |
//!  0xC000_0000 +-------------------------------+
//!              | (unmapped: user space later)  |
//!  0x0000_1000 +-------------------------------+
//!              | null page, never mapped       |
//!  0x0000_0000 +-------------------------------+
//! ```

use crate::addr::VirtAddr;

/// Where the kernel's half of the address space begins: virtual address
/// `KERNEL_BASE + p` shows physical address `p` for the kernel image.
pub const KERNEL_BASE: u32 = 0xC000_0000;
/// Page-directory index of `KERNEL_BASE`.
pub const KERNEL_PDE: usize = (KERNEL_BASE >> 22) as usize;

/// First byte of the kmalloc heap region.
pub const HEAP_START: VirtAddr = VirtAddr::new(0xD000_0000);
/// One past the last byte of the kmalloc heap region.
pub const HEAP_END: VirtAddr = VirtAddr::new(0xE000_0000);

/// First byte of the region handed out by the kernel virtual range allocator.
pub const VRANGE_START: VirtAddr = VirtAddr::new(0xE000_0000);
/// One past the last byte of the kernel virtual range region.
pub const VRANGE_END: VirtAddr = VirtAddr::new(0xFF80_0000);

/// First byte of the fixmap: 1024 fixed one-page windows whose page table is
/// part of the kernel image, so they work before any frame can be allocated.
pub const FIXMAP_START: VirtAddr = VirtAddr::new(0xFF80_0000);
/// Page-directory index of the fixmap.
pub const FIXMAP_PDE: usize = 1022;

/// The page-directory entry that points at the page directory itself.
pub const RECURSIVE_PDE: usize = 1023;
/// Where the recursive entry makes page table `i` visible: `PAGE_TABLES + i * 4 KiB`.
pub const PAGE_TABLES: VirtAddr = VirtAddr::new(0xFFC0_0000);
/// Where the recursive entry makes the page directory visible.
pub const PAGE_DIRECTORY: VirtAddr = VirtAddr::new(0xFFFF_F000);

const _: () = assert!(KERNEL_PDE == 768);
const _: () = assert!(HEAP_START.as_u32() >= KERNEL_BASE);
const _: () = assert!(HEAP_END.as_u32() == VRANGE_START.as_u32());
const _: () = assert!(VRANGE_END.as_u32() == FIXMAP_START.as_u32());
const _: () = assert!(FIXMAP_START.directory_index() == FIXMAP_PDE);
const _: () = assert!(PAGE_TABLES.directory_index() == RECURSIVE_PDE);
const _: () =
    assert!(PAGE_DIRECTORY.as_u32() == PAGE_TABLES.as_u32() + (RECURSIVE_PDE as u32) * 4096);
