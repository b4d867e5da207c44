//! The kernel's window onto its page tables: the recursive directory entry.
//!
//! Directory entry 1023 points at the page directory itself. The CPU then
//! reads the directory as if it were a page table for the top 4 MiB, so
//! table `i` appears at `PAGE_TABLES + i * 4 KiB` and the directory itself
//! at `PAGE_DIRECTORY` (0xFFFF_F000):
//!
//! ```text
//!  0xFFC0_0000 + i*4 KiB  ->  PDE 1023 (= directory) -> entry i -> table i
//!  0xFFFF_F000            ->  PDE 1023 (= directory) -> entry 1023 -> directory
//! ```
//!
//! This compiles on the host (it is only address arithmetic) but touching
//! those addresses only makes sense in the kernel, with the boot page
//! directory loaded.

use super::access::TableAccess;
use super::entry::{ENTRIES, PageTable};
use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::layout::{PAGE_DIRECTORY, PAGE_TABLES, RECURSIVE_PDE};

const _: () = assert!(RECURSIVE_PDE == ENTRIES - 1);
const _: () = assert!(PAGE_TABLES.as_u32() == (RECURSIVE_PDE as u32) << 22);

/// Where the recursive entry shows page table `index`.
pub const fn table_window(index: usize) -> VirtAddr {
    VirtAddr::new(PAGE_TABLES.as_u32() + index as u32 * PAGE_SIZE)
}

/// Page tables reached through the recursive entry of the active directory.
#[derive(Debug)]
pub struct RecursiveTables {
    _private: (),
}

impl RecursiveTables {
    /// The window onto the active directory's tables.
    ///
    /// # Safety
    ///
    /// - Paging is on, the CPU is in ring 0, and entry 1023 of the active
    ///   page directory points at that directory itself (PRESENT | WRITABLE,
    ///   not USER), as the boot code sets it up.
    /// - At most one `RecursiveTables` exists, and while it does, nothing
    ///   else writes the active directory or its tables (it hands out
    ///   `&mut` references to them).
    /// - CR3 is not switched while it exists: it always shows the *active*
    ///   directory, and a mapper built over it keeps per-table counts of
    ///   that one directory.
    pub const unsafe fn new() -> Self {
        Self { _private: () }
    }
}

// SAFETY: entry 1023 points at the directory (constructor contract), so
// `PAGE_DIRECTORY` is the active directory and `table_window(i)` is the
// frame entry `i` names, as the CPU finds it. After entry `i` changes,
// `invlpg` of its window drops the stale translation of that window (and,
// per the SDM, the paging-structure caches). Exclusivity is the
// constructor's contract.
unsafe impl TableAccess for RecursiveTables {
    fn directory(&mut self) -> &mut PageTable {
        let ptr = PAGE_DIRECTORY.as_mut_ptr::<PageTable>();
        // SAFETY: the recursive entry maps the directory, 4 KiB-aligned and
        // always present, at `PAGE_DIRECTORY`; `&mut self` makes the
        // reference exclusive.
        unsafe { &mut *ptr }
    }

    unsafe fn table(&mut self, index: usize) -> &mut PageTable {
        debug_assert!(index < ENTRIES, "page table index {index} out of range");
        let ptr = table_window(index).as_mut_ptr::<PageTable>();
        // SAFETY: the caller guarantees entry `index` is present and names a
        // page table, so its window is mapped to that table; exclusive as above.
        unsafe { &mut *ptr }
    }

    fn directory_entry_changed(&mut self, index: usize) {
        // SAFETY: ring 0 with paging on (constructor contract): `invlpg`
        // cannot fault and only drops cached translations.
        unsafe { x86::tlb::flush(table_window(index).as_usize()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_where_the_layout_says() {
        assert_eq!(table_window(0), VirtAddr::new(0xFFC0_0000));
        assert_eq!(table_window(768), VirtAddr::new(0xFFF0_0000));
        assert_eq!(table_window(RECURSIVE_PDE), PAGE_DIRECTORY);
    }
}
