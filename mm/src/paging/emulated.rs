//! Page tables in emulated physical memory, for host tests and benches.
//!
//! The tables are found the way the CPU finds them from CR3: the directory
//! is a frame of [`PhysMemory`], and table `i` is whatever frame directory
//! entry `i` names. So a mapper bug that writes a wrong address into an
//! entry shows up as a wrong walk here, just as it would on hardware.
//! Emulated RAM starts as `0xA5` garbage, so a table used without being
//! zeroed shows up too.

use super::access::TableAccess;
use super::entry::{ENTRIES, PageTable, PageTableEntry};
use super::flags::PageTableFlags;
use crate::addr::PhysAddr;
use crate::emulate::PhysMemory;
use crate::frame::Frame;
use crate::layout::RECURSIVE_PDE;
use core::fmt;

/// A page directory and its tables in emulated RAM.
pub struct EmulatedTables {
    memory: PhysMemory,
    directory: PhysAddr,
    window_invalidations: [u32; ENTRIES],
}

impl EmulatedTables {
    /// Uses `directory` (a frame of `memory`) as the page directory: zeroes
    /// it and points entry 1023 back at it, as the boot code does for the
    /// kernel, so the recursive addresses translate as on hardware.
    ///
    /// Panics if the frame is outside `memory`.
    pub fn new(mut memory: PhysMemory, directory: Frame) -> Self {
        let addr = directory.start();
        let words = memory.words(addr);
        words.fill(0);
        let recursive = PageTableEntry::new(
            &directory,
            PageTableFlags::PRESENT | PageTableFlags::WRITABLE | PageTableFlags::PINNED,
        );
        words[RECURSIVE_PDE] = recursive.bits();
        Self { memory, directory: addr, window_invalidations: [0; ENTRIES] }
    }

    /// The physical address of the directory (what CR3 would hold).
    pub fn directory_addr(&self) -> PhysAddr {
        self.directory
    }

    /// The emulated RAM, to look at or scribble on in a test.
    pub fn memory(&mut self) -> &mut PhysMemory {
        &mut self.memory
    }

    /// How many times the mapper reported a change of directory entry `index`.
    pub fn window_invalidations(&self, index: usize) -> u32 {
        self.window_invalidations[index]
    }

    fn frame_as_table(&mut self, addr: PhysAddr) -> &mut PageTable {
        let ptr = self.memory.frame_ptr(addr).cast::<PageTable>();
        // SAFETY: `frame_ptr` points at a `RawPage`: 4096 bytes aligned to
        // 4096, which is exactly a `PageTable` (1024 `u32`s, any bit pattern
        // valid). The `&mut self` borrow keeps the reference exclusive.
        unsafe { &mut *ptr }
    }
}

impl fmt::Debug for EmulatedTables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatedTables")
            .field("memory", &self.memory)
            .field("directory", &self.directory)
            .finish_non_exhaustive()
    }
}

// SAFETY: the directory is the frame given to `new`, and `table(i)` follows
// entry `i`'s address as it reads at the call. Emulated memory has no TLB,
// so a changed entry leaves no stale view. Every reference borrows `self`
// mutably, which makes it exclusive.
unsafe impl TableAccess for EmulatedTables {
    fn directory(&mut self) -> &mut PageTable {
        self.frame_as_table(self.directory)
    }

    unsafe fn table(&mut self, index: usize) -> &mut PageTable {
        let entry = self.directory()[index];
        debug_assert!(entry.is_present(), "emulated walk through absent directory entry {index}");
        self.frame_as_table(entry.addr())
    }

    fn directory_entry_changed(&mut self, index: usize) {
        self.window_invalidations[index] += 1;
    }
}
