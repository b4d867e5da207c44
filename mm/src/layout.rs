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
//!  0xC900_0000 +-------------------------------+
//!              | process kernel stacks         |  one 16 KiB slot per process:
//!  0xC800_0000 +-------------------------------+  8 KiB guard + 8 KiB stack
//!              | (unused)                      |
//!              +-------------------------------+
//!              | kernel image: .text .rodata   |  0xC000_0000 + physical
//!              | .data .bss, stacks            |  load address (1 MiB)
//!  0xC010_0000 +-------------------------------+
//!              | (unmapped)                    |
//!  0xC000_0000 +===============================+  kernel half above, shared by
//!              | user stack (1 MiB limit)      |  every address space
//!  0xBFF0_0000 +-------------------------------+
//!              | stack gap (never mapped)      |
//!  0xBFE0_0000 +-------------------------------+
//!              | anonymous mappings (mmap)     |
//!  0x4000_0000 +-------------------------------+
//!              | heap (brk), grows up          |
//!              | program image (ELF segments)  |
//!  0x0040_0000 +-------------------------------+
//!              | never mapped                  |  null page and the rest of
//!  0x0000_0000 +-------------------------------+  the first 4 MiB
//! ```
//!
//! The user half (below `KERNEL_BASE`) is laid out the same way in every
//! process (see docs/processes.md).

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

/// One past the last byte of the user half: every address a process may
/// map is below this.
pub const USER_END: VirtAddr = VirtAddr::new(KERNEL_BASE);
/// Where a program's image may begin: the first 4 MiB stay unmapped, so a
/// null pointer plus any offset below 4 MiB faults.
pub const USER_IMAGE_START: VirtAddr = VirtAddr::new(0x0040_0000);
/// One past the last byte a program image or its heap may use.
pub const USER_HEAP_END: VirtAddr = VirtAddr::new(0x4000_0000);
/// First byte of the area where anonymous mappings (`mmap`) are placed.
pub const USER_MMAP_START: VirtAddr = VirtAddr::new(0x4000_0000);
/// One past the last byte of the anonymous-mapping area.
pub const USER_MMAP_END: VirtAddr = VirtAddr::new(0xBFE0_0000);
/// The user stack's top: the initial stack pointer of every process.
pub const USER_STACK_TOP: VirtAddr = VirtAddr::new(KERNEL_BASE);
/// How far the user stack may grow down (its region's size).
pub const USER_STACK_LIMIT: u32 = 1024 * 1024;
/// Lowest address of the user stack's region.
pub const USER_STACK_BOTTOM: VirtAddr = VirtAddr::new(USER_STACK_TOP.as_u32() - USER_STACK_LIMIT);
/// Lowest address of the gap below the stack that nothing is ever mapped
/// in, so a stack overflow faults instead of running into a mapping.
pub const USER_STACK_GAP: VirtAddr = USER_MMAP_END;

/// First byte of the process kernel stacks: one slot per process.
pub const KERNEL_STACKS_START: VirtAddr = VirtAddr::new(0xC800_0000);
/// Bytes of one kernel-stack slot: the guard below, the stack above.
pub const KERNEL_STACK_SLOT: u32 = 16 * 1024;
/// Bytes of the unmapped guard at the bottom of each slot.
pub const KERNEL_STACK_GUARD: u32 = 8 * 1024;
/// Bytes of each process's kernel stack (the mapped top of its slot).
pub const KERNEL_STACK_SIZE: u32 = KERNEL_STACK_SLOT - KERNEL_STACK_GUARD;
/// How many kernel-stack slots there are: the most processes at once.
pub const KERNEL_STACK_SLOTS: u32 = 1024;
/// One past the last byte of the kernel-stack region.
pub const KERNEL_STACKS_END: VirtAddr =
    VirtAddr::new(KERNEL_STACKS_START.as_u32() + KERNEL_STACK_SLOTS * KERNEL_STACK_SLOT);

const _: () = assert!(KERNEL_PDE == 768);
const _: () = assert!(USER_END.directory_index() == KERNEL_PDE);
const _: () = assert!(USER_HEAP_END.as_u32() <= USER_MMAP_START.as_u32());
const _: () = assert!(USER_MMAP_END.as_u32() < USER_STACK_BOTTOM.as_u32());
const _: () = assert!(USER_STACK_BOTTOM.as_u32() - USER_STACK_GAP.as_u32() >= 1024 * 1024);
const _: () = assert!(KERNEL_STACKS_START.as_u32() > KERNEL_BASE + 0x40_0000);
const _: () = assert!(KERNEL_STACKS_END.as_u32() <= HEAP_START.as_u32());
const _: () = assert!(KERNEL_STACK_SIZE.is_multiple_of(4096) && KERNEL_STACK_GUARD >= 4096);
const _: () = assert!(HEAP_START.as_u32() >= KERNEL_BASE);
const _: () = assert!(HEAP_END.as_u32() == VRANGE_START.as_u32());
const _: () = assert!(VRANGE_END.as_u32() == FIXMAP_START.as_u32());
const _: () = assert!(FIXMAP_START.directory_index() == FIXMAP_PDE);
const _: () = assert!(PAGE_TABLES.directory_index() == RECURSIVE_PDE);
const _: () =
    assert!(PAGE_DIRECTORY.as_u32() == PAGE_TABLES.as_u32() + (RECURSIVE_PDE as u32) * 4096);
