//! Forking a space, and the first write to a page it shares.
//!
//! A fork copies no page. The child gets page tables of its own (they are
//! never shared, so a later fault touches only the faulting space's
//! tables) whose entries point at the parent's frames, each frame one more
//! user in the [`FrameCounts`]:
//!
//! ```text
//!  parent PTE before      parent PTE after           child PTE
//!  frame F, rw-     ──>   frame F, r--, COW    +     frame F, r--, COW     users(F) += 1
//!  frame F, r-- (text)    frame F, r--         +     frame F, r--          users(F) += 1
//!  frame F, r--, COW      frame F, r--, COW    +     frame F, r--, COW     users(F) += 1
//! ```
//!
//! COW is PTE bit 10 ([`PageTableFlags::COPY_ON_WRITE`]): "writable, but
//! shared". The first write to such a page, in either space, faults, and
//! [`AddressSpace::copy_on_write`] resolves it in the faulting space only:
//!
//! ```text
//!  users(F) > 1:  take a frame C, copy F into C, point the PTE at C (rw-),
//!                 users(F) -= 1                               -> Copied
//!  users(F) = 1:  the others have let go: the PTE becomes rw- again,
//!                 no copy                                     -> Reclaimed
//! ```
//!
//! Out of frames during a fork, the child is emptied (its tables and its
//! references given back; its caller then destroys it, directory and all)
//! and the parent's pages whose frames are its own again become writable
//! again: everything the fork took is back.
//! Out of frames during a copy, nothing changed; the caller (the fault
//! handler) ends the process that needed the copy.

use super::address_space::{AddressSpace, SpaceError};
use super::counts::FrameCounts;
use super::window::{FrameWindow, WindowSlot};
use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::frame::{Frame, FrameAllocator, Page};
use crate::layout::KERNEL_PDE;
use crate::paging::{ENTRIES, PageTableEntry, PageTableFlags, Tlb};

/// A shared page's entry: the process may read it; a write faults.
const SHARED: PageTableFlags = PageTableFlags::USER.union(PageTableFlags::COPY_ON_WRITE);
/// A page of the space's own again.
const OWN: PageTableFlags = PageTableFlags::USER.union(PageTableFlags::WRITABLE);

/// What the first write to a copy-on-write page did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyOnWrite {
    /// Others still used the frame: the page now has a copy of its own
    /// (one frame taken).
    Copied,
    /// This space was the frame's last user: the page is writable again,
    /// no frame taken.
    Reclaimed,
}

impl<W: FrameWindow> AddressSpace<W> {
    /// Makes `child`, a new space with nothing mapped yet (fresh from
    /// [`new`](Self::new)), a fork of this one: page tables of its own,
    /// mapping every user page of this space to the same frame. Writable
    /// pages become read-only and copy-on-write in both; read-only ones
    /// stay read-only and are simply shared. Each frame gains a user in
    /// `counts`.
    ///
    /// Costs the child's tables (and maybe a frame or two of the count
    /// table), no page. `tlb` must flush this space's translations if it
    /// is loaded (its entries lose WRITABLE). All or nothing: out of
    /// frames, `child` is empty again (destroy it to give its directory
    /// back), this space's pages are writable again where no one else
    /// shares them, and the error is [`SpaceError::OutOfFrames`].
    ///
    /// The child is filled in place rather than returned, so a kernel
    /// with small stacks moves no space around by value.
    ///
    /// # Panics
    ///
    /// If `child` has anything mapped.
    pub fn fork_into(
        &mut self,
        child: &mut Self,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        tlb: &mut impl Tlb,
    ) -> Result<(), SpaceError> {
        assert_eq!(child.frames.total(), 1, "space: fork_into needs a new, empty child space");
        let shared = self.share_with(child, frames, counts, tlb);
        if shared.is_err() {
            child.unmap_all(frames, counts);
            self.settle(counts, tlb);
        }
        shared
    }

    /// Maps every user page of `self` into `child` (see [`fork_into`](Self::fork_into)).
    fn share_with(
        &mut self,
        child: &mut Self,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        tlb: &mut impl Tlb,
    ) -> Result<(), SpaceError> {
        self.each_mapped(|this, page, entry| {
            let flags = entry.flags();
            let writable =
                flags.intersects(PageTableFlags::WRITABLE | PageTableFlags::COPY_ON_WRITE);
            let child_flags = if writable { SHARED } else { PageTableFlags::USER };
            let token =
                counts.share(&frame_of(entry), frames).map_err(|_| SpaceError::OutOfFrames)?;
            // SAFETY: `token` is the child's reference to a frame this space
            // maps too. Neither mapping lets the frame be written: the
            // child's is read-only, and this space's is made read-only below
            // if it was not, before any user code runs again.
            let mapped = unsafe { child.map_entry(page, token, child_flags, frames) };
            if let Err((error, token)) = mapped {
                counts.release(token, frames);
                return Err(error);
            }
            if flags.contains(PageTableFlags::WRITABLE) {
                // SAFETY: the kernel holds no reference into user pages
                // across calls; the page keeps its frame, only loses WRITABLE.
                let flush = unsafe { this.mapper.update_flags(page, SHARED) };
                flush.expect("the page was just looked up").flush(tlb);
            }
            Ok(())
        })
    }

    /// After a failed fork: every copy-on-write page whose frame has no
    /// other user is made writable again, as it was before.
    fn settle(&mut self, counts: &mut FrameCounts<impl FrameWindow>, tlb: &mut impl Tlb) {
        let settled: Result<(), SpaceError> = self.each_mapped(|this, page, entry| {
            if entry.flags().contains(PageTableFlags::COPY_ON_WRITE)
                && counts.users(&frame_of(entry)) == 1
            {
                // SAFETY: as in `share_with`; the page gains WRITABLE, and
                // it is the frame's only mapping.
                let flush = unsafe { this.mapper.update_flags(page, OWN) };
                flush.expect("the page was just looked up").flush(tlb);
            }
            Ok(())
        });
        debug_assert!(settled.is_ok());
    }

    /// Resolves a write fault on the copy-on-write page `page` of this
    /// space (see the module's drawing), touching only this space's
    /// tables. `tlb` must flush this space's translations if it is loaded.
    ///
    /// Errors, with nothing changed: [`SpaceError::NotMapped`],
    /// [`SpaceError::NotCopyOnWrite`] (the page is not shared: the write
    /// was not allowed), [`SpaceError::OutOfFrames`] (a copy was needed and
    /// no frame is left).
    pub fn copy_on_write(
        &mut self,
        page: Page,
        frames: &mut impl FrameAllocator,
        counts: &mut FrameCounts<impl FrameWindow>,
        tlb: &mut impl Tlb,
    ) -> Result<CopyOnWrite, SpaceError> {
        Self::check_user(page)?;
        let entry = self.mapper.lookup(page).ok_or(SpaceError::NotMapped(page))?;
        if !entry.flags().contains(PageTableFlags::COPY_ON_WRITE) {
            return Err(SpaceError::NotCopyOnWrite(page));
        }
        let shared = frame_of(entry);
        if counts.users(&shared) == 1 {
            // SAFETY: this space is the frame's only user: it may write it.
            let flush = unsafe { self.mapper.update_flags(page, OWN) };
            flush.expect("the page was just looked up").flush(tlb);
            return Ok(CopyOnWrite::Reclaimed);
        }
        let copy = frames.allocate().ok_or(SpaceError::OutOfFrames)?;
        self.copy_frame(&shared, &copy);
        // SAFETY: `copy` was just allocated and filled: ours alone. The
        // page stops showing the shared frame, which nothing in the kernel
        // holds a reference into.
        let (old, flush) = match unsafe { self.mapper.replace(page, copy, OWN) } {
            Ok(replaced) => replaced,
            Err((e, _)) => panic!("space: replacing {page:?}, just looked up, failed: {e}"),
        };
        flush.flush(tlb);
        counts.release(old, frames);
        Ok(CopyOnWrite::Copied)
    }

    /// How many of this space's pages another space maps too.
    pub fn shared_pages(&mut self, counts: &mut FrameCounts<impl FrameWindow>) -> u32 {
        let mut shared = 0;
        let counted: Result<(), SpaceError> = self.each_mapped(|_, _, entry| {
            if counts.users(&frame_of(entry)) > 1 {
                shared += 1;
            }
            Ok(())
        });
        debug_assert!(counted.is_ok());
        shared
    }

    /// Calls `f` with every mapped user page and its entry, in address
    /// order, a 4 MiB without a table skipped at once; stops at the first
    /// error. `f` may change entries' flags and frames, not map or unmap.
    fn each_mapped<E>(
        &mut self,
        mut f: impl FnMut(&mut Self, Page, PageTableEntry) -> Result<(), E>,
    ) -> Result<(), E> {
        for dir in 0..KERNEL_PDE {
            if self.mapper.present_entries(dir) == 0 {
                continue;
            }
            for slot in 0..ENTRIES as u32 {
                let addr = ((dir as u32) << 22) | (slot * PAGE_SIZE);
                let page = Page::containing(VirtAddr::new(addr));
                if let Some(entry) = self.mapper.lookup(page) {
                    f(self, page, entry)?;
                }
            }
        }
        Ok(())
    }

    /// Copies frame `from`'s 4 KiB into frame `to`, through two windows.
    fn copy_frame(&mut self, from: &Frame, to: &Frame) {
        // SAFETY: the copy slots are not ones the mapper's tables use, so no
        // entry changes (the contract of `tables_mut`).
        let window = unsafe { self.mapper.tables_mut() }.window();
        // SAFETY: `from` is mapped by this space (it may read it); no view
        // of the slot is held.
        let src = unsafe { window.show(WindowSlot::CopySource, from.start()) };
        // SAFETY: `to` is a fresh frame of this space's; different slots
        // never show through the same memory.
        let dst = unsafe { window.show(WindowSlot::Data, to.start()) };
        // SAFETY: both are 4 KiB windows onto different frames.
        unsafe { core::ptr::copy_nonoverlapping(src, dst, PAGE_SIZE as usize) };
    }
}

/// The frame a present entry maps, as a value to look up or share (not a
/// token anyone gives back: the entry keeps its own).
fn frame_of(entry: PageTableEntry) -> Frame {
    Frame::containing(entry.addr())
}
