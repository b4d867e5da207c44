//! Reaching the contents of any frame: how an address space that is not
//! the active one is edited.
//!
//! The kernel's own mapper reaches its tables through the recursive entry,
//! which only ever shows the directory in CR3. A process's directory, its
//! page tables and the pages being filled for it are reached instead
//! through a few fixed one-page windows, one per [`WindowSlot`]: the
//! kernel points a fixmap page at the frame; host tests point into
//! emulated RAM. So a space can be built, changed and torn down without
//! ever loading it.

use crate::addr::PhysAddr;

/// The windows an address space uses, one per kind of frame it touches at
/// once: its directory, one of its page tables, a data page and the page a
/// copy is made from; and the two the reference counts of shared frames
/// are kept in ([`FrameCounts`](super::FrameCounts)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WindowSlot {
    /// The page directory being edited.
    Directory,
    /// A page table of that directory.
    Table,
    /// A page being filled (zeroed, copied into) or read.
    Data,
    /// Another directory whose kernel half is being brought up to date
    /// ([`SharedKernelHalf`](super::SharedKernelHalf)).
    KernelSync,
    /// The shared page a copy-on-write copy is made from (the copy itself
    /// is filled through [`Data`](Self::Data)).
    CopySource,
    /// The directory of the reference-count table.
    CountDirectory,
    /// One chunk of the reference-count table.
    CountChunk,
}

impl WindowSlot {
    /// Every slot, for implementations that keep per-slot state.
    pub const ALL: [WindowSlot; 7] = [
        WindowSlot::Directory,
        WindowSlot::Table,
        WindowSlot::Data,
        WindowSlot::KernelSync,
        WindowSlot::CopySource,
        WindowSlot::CountDirectory,
        WindowSlot::CountChunk,
    ];

    /// The slot's index in [`ALL`](Self::ALL).
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// Shows any frame's 4 KiB through a fixed window per slot.
///
/// # Safety
///
/// An implementor promises that after `show(slot, frame)` returns `ptr`,
/// `ptr` points at frame `frame`'s 4 KiB, 4 KiB-aligned, readable and
/// writable as ordinary memory, until the next `show` of the same slot;
/// that different slots never show through the same memory; and that
/// nothing but the holder of this value uses these windows.
pub unsafe trait FrameWindow {
    /// Points window `slot` at `frame` and returns where its bytes are.
    ///
    /// # Safety
    ///
    /// `frame` is 4 KiB-aligned memory the caller may read and write (a
    /// frame it owns, or a page table or directory it edits), and no
    /// reference into what `slot` showed before is still in use.
    unsafe fn show(&mut self, slot: WindowSlot, frame: PhysAddr) -> *mut u8;
}
