//! The statically allocated page directory, page tables and boot stack.
//!
//! They live in the kernel image's `.bss`, so they exist before any frame
//! allocator does. The entry code fills them in (see `entry.rs`):
//!
//! ```text
//!   page directory                         kernel page table
//!   [0]    -> kernel page table  (identity, removed after boot)
//!   [768]  -> kernel page table  ------->  [i] = physical i * 4 KiB, i < 1024
//!   [1022] -> fixmap page table  (empty: fixed windows filled in later)
//!   [1023] -> the directory itself (recursive: tables visible at 0xFFC00000)
//! ```
//!
//! So at `kernel_main` the first 4 MiB of physical memory are visible both
//! at 0 and at 0xC0000000, and the kernel image (linked at 0xC0100000,
//! loaded at 1 MiB) runs in the higher half.

use core::cell::UnsafeCell;

/// One 4 KiB-aligned page table or directory: 1024 raw 32-bit entries.
#[allow(missing_debug_implementations)] // 4 KiB of raw entries; mm prints tables
#[repr(C, align(4096))]
pub struct PageTableStorage(UnsafeCell<[u32; 1024]>);

// SAFETY: the storage is only written by the single-threaded boot code and
// afterwards only through the page-table code in `mm`, which serialises
// access behind the kernel's paging lock.
unsafe impl Sync for PageTableStorage {}

impl PageTableStorage {
    const fn new() -> Self {
        Self(UnsafeCell::new([0; 1024]))
    }

    /// The virtual address of the table (it lives in the kernel image).
    pub fn addr(&self) -> u32 {
        self.0.get() as usize as u32
    }
}

/// Size of the boot stack (the kernel's only stack), without its guard page.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

/// The kernel stack: one guard page that the kernel unmaps, then the stack,
/// which grows down towards the guard page.
#[allow(missing_debug_implementations)] // raw memory
#[repr(C, align(4096))]
pub struct BootStack {
    guard: UnsafeCell<[u8; 4096]>,
    stack: UnsafeCell<[u8; BOOT_STACK_SIZE]>,
}

// SAFETY: only the CPU touches the stack memory, through ESP.
unsafe impl Sync for BootStack {}

impl BootStack {
    /// Virtual address of the guard page below the stack.
    pub fn guard_page(&self) -> u32 {
        self.guard.get() as usize as u32
    }

    /// Lowest virtual address of the usable stack.
    pub fn bottom(&self) -> u32 {
        self.stack.get() as usize as u32
    }

    /// One past the highest address of the stack: the initial ESP.
    pub fn top(&self) -> u32 {
        self.bottom() + BOOT_STACK_SIZE as u32
    }
}

pub(crate) static PAGE_DIRECTORY: PageTableStorage = PageTableStorage::new();
pub(crate) static KERNEL_PAGE_TABLE: PageTableStorage = PageTableStorage::new();
pub(crate) static FIXMAP_PAGE_TABLE: PageTableStorage = PageTableStorage::new();
pub(crate) static STACK: BootStack =
    BootStack { guard: UnsafeCell::new([0; 4096]), stack: UnsafeCell::new([0; BOOT_STACK_SIZE]) };

/// The page directory the CPU uses from boot on.
pub fn boot_page_directory() -> &'static PageTableStorage {
    &PAGE_DIRECTORY
}

/// The page table behind directory entry 768: 0xC0000000..0xC0400000,
/// which holds the kernel image.
pub fn kernel_page_table() -> &'static PageTableStorage {
    &KERNEL_PAGE_TABLE
}

/// The page table behind directory entry 1022: the fixmap windows.
pub fn fixmap_page_table() -> &'static PageTableStorage {
    &FIXMAP_PAGE_TABLE
}

/// The kernel stack and its guard page.
pub fn boot_stack() -> &'static BootStack {
    &STACK
}
