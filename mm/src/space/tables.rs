//! A page directory reached through windows instead of the recursive
//! entry: the [`TableAccess`] an [`AddressSpace`](super::AddressSpace)'s
//! mapper edits it through.

use super::window::{FrameWindow, WindowSlot};
use crate::addr::PhysAddr;
use crate::paging::{PageTable, TableAccess};

/// The directory at `directory` and its tables, each shown through a
/// [`FrameWindow`] when used. Works for any directory, loaded or not.
#[derive(Debug)]
pub struct SpaceTables<W: FrameWindow> {
    directory: PhysAddr,
    window: W,
}

impl<W: FrameWindow> SpaceTables<W> {
    /// The tables of the directory in frame `directory`.
    ///
    /// # Safety
    ///
    /// `directory` is a page directory that only the holder of this value
    /// edits, whose present entries below 1023 point at page tables.
    pub unsafe fn new(directory: PhysAddr, window: W) -> Self {
        Self { directory, window }
    }

    /// The directory's physical address (what CR3 holds when it is loaded).
    pub fn directory_addr(&self) -> PhysAddr {
        self.directory
    }

    /// The window, to show a data page through [`WindowSlot::Data`].
    pub(crate) fn window(&mut self) -> &mut W {
        &mut self.window
    }
}

fn as_table<'a>(ptr: *mut u8) -> &'a mut PageTable {
    // SAFETY: `FrameWindow::show` returns a 4 KiB-aligned pointer to a
    // whole frame; a `PageTable` is 1024 `u32`s (any bit pattern valid).
    // Callers tie the lifetime to a `&mut self` borrow, so it is exclusive.
    unsafe { &mut *ptr.cast::<PageTable>() }
}

// SAFETY: `directory` always shows the same frame (the constructor's), and
// `table(i)` shows the frame directory entry `i` names as it reads now.
// Every view is re-established through `show` on each call, so a changed
// entry leaves no stale view. References borrow `self` mutably.
unsafe impl<W: FrameWindow> TableAccess for SpaceTables<W> {
    fn directory(&mut self) -> &mut PageTable {
        // SAFETY: the directory is ours to edit (constructor contract); any
        // earlier reference from this slot ended with its `&mut self` borrow.
        as_table(unsafe { self.window.show(WindowSlot::Directory, self.directory) })
    }

    unsafe fn table(&mut self, index: usize) -> &mut PageTable {
        let entry = self.directory()[index];
        debug_assert!(entry.is_present(), "walk through absent directory entry {index}");
        // SAFETY: the caller guarantees the entry is present and names a
        // page table of this directory, which is ours to edit.
        as_table(unsafe { self.window.show(WindowSlot::Table, entry.addr()) })
    }

    fn directory_entry_changed(&mut self, _index: usize) {
        // Nothing cached: the next `table(i)` reads the entry again.
    }
}
