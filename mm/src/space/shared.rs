//! One kernel half for every address space, kept in sync.
//!
//! Every page directory maps the kernel half (0xC000_0000 and up) with the
//! same page tables: directory entries 768..1022 are copied into a new
//! directory when it is made. A kernel *page* mapped later (the heap
//! growing, a kernel stack) lands in one of those shared tables and is
//! seen by every space at once. A kernel *table* created or freed later
//! changes a directory entry, and that change must reach every directory:
//! [`SharedKernelHalf`] wraps the kernel mapper's [`TableAccess`] and,
//! whenever the mapper reports a changed kernel entry, writes the same
//! entry into every registered directory.
//!
//! Why this and not page tables created up front for the whole kernel
//! half: that would cost a frame per 4 MiB of kernel address space the
//! kernel might ever use, 190 frames (760 KiB) for the heap and the
//! virtual ranges, a fifth of a 4 MiB machine. Kept in sync, a space costs
//! only the tables actually in use, and the registry is a fixed array in
//! the kernel's static data (see docs/processes.md).

use super::window::{FrameWindow, WindowSlot};
use crate::addr::PhysAddr;
use crate::layout::{KERNEL_PDE, RECURSIVE_PDE};
use crate::paging::{PageTable, PageTableEntry, TableAccess};
use core::fmt;

/// The registry is full: no more address spaces can exist at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManySpaces {
    /// How many directories the registry holds.
    pub capacity: usize,
}

impl fmt::Display for TooManySpaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "all {} address-space slots are in use", self.capacity)
    }
}

/// The kernel mapper's table access, plus every directory that shares the
/// kernel half, so a changed kernel directory entry reaches all of them.
pub struct SharedKernelHalf<A: TableAccess, W: FrameWindow, const N: usize = 1024> {
    inner: A,
    window: W,
    directories: [PhysAddr; N],
    len: usize,
}

impl<A: TableAccess, W: FrameWindow, const N: usize> SharedKernelHalf<A, W, N> {
    /// Wraps `inner` (the kernel's tables) with an empty registry; `window`
    /// reaches the other directories ([`WindowSlot::KernelSync`]). The
    /// directory `inner` shows must be registered too, with `register`.
    pub const fn new(inner: A, window: W) -> Self {
        Self { inner, window, directories: [PhysAddr::new(0); N], len: 0 }
    }

    /// Adds `directory` to the directories kept in sync.
    pub fn register(&mut self, directory: PhysAddr) -> Result<(), TooManySpaces> {
        if self.len == N {
            return Err(TooManySpaces { capacity: N });
        }
        self.directories[self.len] = directory;
        self.len += 1;
        Ok(())
    }

    /// Removes `directory`; false if it was not registered.
    pub fn unregister(&mut self, directory: PhysAddr) -> bool {
        let Some(i) = self.registered().iter().position(|&d| d == directory) else {
            return false;
        };
        self.directories[i] = self.directories[self.len - 1];
        self.len -= 1;
        true
    }

    /// The registered directories, in no particular order.
    pub fn registered(&self) -> &[PhysAddr] {
        &self.directories[..self.len]
    }

    /// The kernel half's directory entries as they are now (768..1023,
    /// the recursive entry excluded), for a new directory to copy.
    pub fn kernel_entries(&mut self) -> impl Iterator<Item = (usize, PageTableEntry)> + '_ {
        let directory = self.inner.directory();
        (KERNEL_PDE..RECURSIVE_PDE).map(move |i| (i, directory[i]))
    }

    /// The wrapped table access.
    pub fn inner(&self) -> &A {
        &self.inner
    }
}

impl<A: TableAccess + fmt::Debug, W: FrameWindow, const N: usize> fmt::Debug
    for SharedKernelHalf<A, W, N>
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKernelHalf")
            .field("inner", &self.inner)
            .field("directories", &self.len)
            .finish_non_exhaustive()
    }
}

// SAFETY: `directory` and `table` are the wrapped access's, so its
// promises hold. `directory_entry_changed(i)` first lets the wrapped
// access drop its stale view, then, for a kernel entry, writes the new
// entry into every registered directory before returning, so when the
// mapper frees an old table no directory points at it any more. (Other
// directories are not loaded in CR3, so the TLB holds nothing of theirs.)
unsafe impl<A: TableAccess, W: FrameWindow, const N: usize> TableAccess
    for SharedKernelHalf<A, W, N>
{
    fn directory(&mut self) -> &mut PageTable {
        self.inner.directory()
    }

    unsafe fn table(&mut self, index: usize) -> &mut PageTable {
        // SAFETY: forwarded contract.
        unsafe { self.inner.table(index) }
    }

    fn directory_entry_changed(&mut self, index: usize) {
        self.inner.directory_entry_changed(index);
        if !(KERNEL_PDE..RECURSIVE_PDE).contains(&index) {
            return;
        }
        let entry = self.inner.directory()[index];
        for &directory in &self.directories[..self.len] {
            // SAFETY: a registered directory is a live page directory (its
            // space unregisters it before freeing it); only its kernel
            // half is written, which belongs to this registry.
            let ptr = unsafe { self.window.show(WindowSlot::KernelSync, directory) };
            // SAFETY: `show` returned the directory's 4 KiB, aligned; the
            // entry is written through a raw pointer, no reference kept.
            unsafe { ptr.cast::<PageTableEntry>().add(index).write_volatile(entry) };
        }
    }
}
