//! How the mapper reaches the page directory and the page tables.
//!
//! The mapper edits tables it can only see through some window: in the
//! kernel the recursive directory entry makes every table appear at a fixed
//! virtual address ([`super::recursive`]); in host tests the tables live in
//! emulated RAM and are found by following the physical addresses in the
//! entries, as the CPU does from CR3 ([`super::emulated`]). This trait is
//! the seam between the two, so the mapper's logic is the same code in both.

use super::entry::PageTable;

/// Access to the active page directory and the page tables it points at.
///
/// # Safety
///
/// An implementor promises that:
/// - [`directory`](Self::directory) returns the page directory the CPU uses
///   (or, on the host, the one being emulated), and the same one every time;
/// - [`table`](Self::table)`(i)` returns the page table at the physical
///   address held in directory entry `i`, as that entry reads *now*;
/// - after [`directory_entry_changed`](Self::directory_entry_changed)`(i)`
///   returns, no stale view of the old table `i` remains (in the kernel:
///   the TLB entry of its recursive window is invalidated), so the mapper
///   may free the old table's frame and reuse it;
/// - the references returned are exclusive: nothing but the holder of this
///   value writes the directory or the tables while it exists (the CPU
///   setting ACCESSED and DIRTY bits excepted).
///
/// The mapper relies on all of this to hand frames back to the allocator.
pub unsafe trait TableAccess {
    /// The page directory.
    fn directory(&mut self) -> &mut PageTable;

    /// The page table that directory entry `index` points at.
    ///
    /// # Safety
    ///
    /// `index < 1024`, and directory entry `index` is present and points at
    /// a page table (not a 4 MiB page). Otherwise the kernel's recursive
    /// window faults, and the emulated one reads whatever frame the garbage
    /// address names.
    unsafe fn table(&mut self, index: usize) -> &mut PageTable;

    /// Called by the mapper right after it changes directory entry `index`
    /// (a table added, removed or its flags changed), and before it touches
    /// the new table or frees the old one.
    fn directory_entry_changed(&mut self, index: usize);
}
