//! [`FrameStack`]: the O(1) frame allocator that lives in the frames it manages.
//!
//! The free frames form a stack of 32-bit frame addresses. Its pages are
//! free frames too, chained downwards by a link in their first word:
//!
//! ```text
//!   window --> top page (len entries)    full page              bottom page
//!              +------------------+      +------------------+   +------------------+
//!   word 0     | link ------------+----> | link ------------+-> | link = 0 (none)  |
//!   word 1..   | entry 1 .. len   |      | entry 1 .. 1023  |   | entry 1 .. 1023  |
//!              | (unused above)   |      +------------------+   +------------------+
//!              +------------------+
//! ```
//!
//! Every page but the top one is full. Freeing a frame stores it in the top
//! page; when that is full, the freed frame itself becomes the new top page.
//! Allocating takes the top entry; when the top page has none left, the page
//! itself is handed out and the window moves down to the previous page. So
//! the stack is exactly last-in first-out, each stack page leaves after every
//! frame stored in it, and the allocator uses no memory that could be free.
//! Only those two page changes call [`StackWindow::show`].

use crate::addr::{PAGE_SHIFT, PAGE_SIZE, PhysAddr};
use crate::frame::{Frame, FrameAllocator, FreeError};
use crate::frames::bitmap::{AllocBitmap, BitmapTooSmall};
use crate::frames::window::StackWindow;
use crate::memmap::UsableMemory;
use core::fmt;

/// Frame addresses one stack page holds: 1024 words less the link.
pub const ENTRIES_PER_PAGE: usize = 1023;
/// Index of the link to the previous stack page.
const LINK: usize = 0;
/// The link of the bottom page. Frame 0 is never usable, so no real page has it.
const NO_PAGE: u32 = 0;
/// `just_freed` when no bitmap bit is pending: not 4 KiB-aligned, so no
/// frame address equals it.
const NOTHING_PENDING: u32 = u32::MAX;
/// `len` while there is no stack page at all. Being above `ENTRIES_PER_PAGE`
/// it fails both fast-path tests (`len < ENTRIES_PER_PAGE` to push,
/// `1 <= len <= ENTRIES_PER_PAGE` to pop), so each fast path is one compare.
const EMPTY: usize = ENTRIES_PER_PAGE + 1;

/// Words in a stack page: the link and the entries.
const PAGE_WORDS: u32 = PAGE_SIZE / 4;
const _: () = assert!(ENTRIES_PER_PAGE + 1 == PAGE_WORDS as usize);

/// The physical frame allocator: a stack of free frames kept in free frames.
///
/// Invariants: when `len != EMPTY`, the window shows `top`, a free frame
/// owned by the stack that holds `len` entries. Every frame on the stack
/// (entry or page) is usable and has its bitmap bit clear — except the one
/// named by `just_freed`, which is always the top of the stack.
///
/// Why `just_freed`: a frame freed and allocated again straight away (the
/// common case for a LIFO allocator) would clear and set the same bitmap
/// word back to back, and each read-modify-write waits for the previous one
/// to leave the store buffer. So `free` leaves the bit of the frame it
/// pushes set and notes the frame; if `allocate` pops it next, neither
/// touches the bitmap. The next `free` settles the bit before it pushes.
pub struct FrameStack<W> {
    window: W,
    /// Address of the top stack page (meaningless while `len == EMPTY`).
    top: u32,
    /// Entries in the top page, `0..=ENTRIES_PER_PAGE`, or `EMPTY`.
    len: usize,
    /// Stack pages, top one included. With `len` this gives the free count,
    /// so the fast path updates no counter of its own.
    pages: u32,
    /// The frame freed last, if it is still the top of the stack and its
    /// bitmap bit has not been cleared yet; else `NOTHING_PENDING`.
    just_freed: u32,
    total: u32,
    bitmap: AllocBitmap,
    usable: UsableMemory,
}

impl<W> FrameStack<W> {
    /// How many frames are free (on the stack, stack pages included). O(1).
    pub fn free_count(&self) -> u32 {
        if self.len == EMPTY {
            0
        } else {
            // Each page below the top is full: 1023 entries and itself.
            (self.pages - 1) * PAGE_WORDS + self.len as u32 + 1
        }
    }

    /// How many usable frames the stack manages, free or allocated.
    pub fn total_count(&self) -> u32 {
        self.total
    }

    /// The usable memory this stack manages.
    pub fn usable(&self) -> &UsableMemory {
        &self.usable
    }
}

impl<W: StackWindow> FrameStack<W> {
    /// A stack holding every frame of `usable`, all free, using `window` to
    /// reach its pages and `bitmap` (at least [`bitmap_words`] words, any
    /// contents) to track allocated frames.
    ///
    /// Frames are pushed in ascending address order, so the highest frames
    /// are handed out first and low memory (which old DMA devices need) last.
    /// Writes only into the frames that become stack pages (one in 1024),
    /// never into anything else. O(number of usable frames).
    ///
    /// Fails if `bitmap` is too short for `usable`; nothing has been written
    /// to physical memory then.
    ///
    /// [`bitmap_words`]: crate::frames::bitmap_words
    ///
    /// # Safety
    ///
    /// Every frame in `usable` must be RAM that nothing else uses or will use
    /// except through frames this stack hands out: from now on the stack
    /// owns them, writes into them and gives them away. In particular the
    /// kernel image, boot data, page tables and the bitmap storage itself must
    /// already have been removed from `usable`.
    pub unsafe fn new(
        window: W,
        usable: UsableMemory,
        bitmap: &'static mut [u32],
    ) -> Result<Self, BitmapTooSmall> {
        let bitmap = AllocBitmap::new(bitmap, &usable)?;
        let total = usable.total_frames();
        let mut stack = Self {
            window,
            top: NO_PAGE,
            len: EMPTY,
            pages: 0,
            just_freed: NOTHING_PENDING,
            total,
            bitmap,
            usable,
        };
        for i in 0..stack.usable.ranges().len() {
            let range = stack.usable.ranges()[i];
            for number in range.numbers() {
                // The caller handed these frames over; they are free and usable.
                stack.push(number << PAGE_SHIFT);
            }
        }
        debug_assert_eq!(stack.free_count(), total);
        Ok(stack)
    }

    /// The window, for tests that look at emulated memory mid-run.
    #[cfg(test)]
    pub(crate) fn window_mut(&mut self) -> &mut W {
        &mut self.window
    }

    /// Puts the free, usable frame at `addr` on the stack.
    #[inline]
    fn push(&mut self, addr: u32) {
        if self.len < ENTRIES_PER_PAGE {
            self.len += 1;
            // SAFETY: `len` was below ENTRIES_PER_PAGE, so not EMPTY: the
            // window shows the top page, which the stack owns.
            let page = unsafe { self.window.page() };
            page[self.len] = addr;
        } else {
            self.push_page(addr);
        }
    }

    /// Slow path of `push`: the top page is full or there is none, so the
    /// frame at `addr` becomes the new top page.
    #[cold]
    #[inline(never)]
    fn push_page(&mut self, addr: u32) {
        let below = if self.len == EMPTY { NO_PAGE } else { self.top };
        // SAFETY: `addr` is a free frame being given to the stack, so the
        // stack owns it and nothing else touches it.
        unsafe { self.window.show(PhysAddr::new(addr)) };
        // SAFETY: just shown, and owned by the stack.
        let page = unsafe { self.window.page() };
        page[LINK] = below;
        self.top = addr;
        self.len = 0;
        self.pages += 1;
    }

    /// Takes the top free frame off the stack, or `None` if it is empty.
    #[inline]
    fn pop(&mut self) -> Option<u32> {
        // One compare for 1 <= len <= ENTRIES_PER_PAGE (0 wraps to usize::MAX).
        // Only the slow path yields an `Option`, so the fast path has no
        // `Some`/`None` test left after inlining.
        let addr = if self.len.wrapping_sub(1) < ENTRIES_PER_PAGE {
            // SAFETY: `len` is not EMPTY, so the window shows the top page,
            // which the stack owns.
            let page = unsafe { self.window.page() };
            let addr = page[self.len];
            self.len -= 1;
            addr
        } else {
            self.pop_page()?
        };
        Some(addr)
    }

    /// Slow path of `pop`: the top page has no entries left (or there is no
    /// page), so the page itself is handed out and the window moves down.
    #[cold]
    #[inline(never)]
    fn pop_page(&mut self) -> Option<u32> {
        if self.len == EMPTY {
            return None;
        }
        let page = self.top;
        self.pages -= 1;
        // SAFETY: `len` is 0, not EMPTY: the window shows the stack's top page.
        let below = unsafe { self.window.page() }[LINK];
        if below == NO_PAGE {
            self.len = EMPTY;
        } else {
            if below % PAGE_SIZE != 0
                || !self.usable.contains(below >> PAGE_SHIFT)
                || self.bitmap.is_allocated(below >> PAGE_SHIFT)
            {
                corrupted("stack page link", page, below);
            }
            // SAFETY: `below` is the next stack page: a free frame the stack
            // owns (just checked to be usable and not allocated out).
            unsafe { self.window.show(PhysAddr::new(below)) };
            self.top = below;
            self.len = ENTRIES_PER_PAGE;
        }
        Some(page)
    }

    /// Why `frame`, which is not allocated out, cannot be freed: it is free
    /// already, or it was never usable. Only here, off the fast path, are the
    /// usable ranges searched.
    #[cold]
    #[inline(never)]
    fn refusal(&self, frame: &Frame) -> FreeError {
        if self.usable.contains(frame.number()) {
            FreeError::DoubleFree(frame.start())
        } else {
            FreeError::NotUsable(frame.start())
        }
    }
}

/// Reports a stack whose contents were overwritten. Only a write into a
/// free frame (a use after free, or a stray DMA) can cause it; handing out
/// the value would give someone a frame that may be in use, so stop here.
#[cold]
#[inline(never)]
fn corrupted(what: &str, page: u32, value: u32) -> ! {
    panic!(
        "frame stack corrupted: {what} in stack page {page:#010x} holds {value:#010x}, \
         expected a free, usable, 4 KiB-aligned frame (was a free frame written to?)"
    )
}

// SAFETY: the stack only ever holds frames of `usable`, which the caller of
// `new` handed over, or frames that `free` accepted because their bitmap bit
// was set and they were not the pending `just_freed` (so this stack had
// handed them out and not taken them back). `allocate` hands out only popped
// frames and marks each allocated: either its bit was clear and is now set,
// or it is the pending frame, whose bit was never cleared. Anything else
// panics. So a frame is never handed out twice without a free in between.
unsafe impl<W: StackWindow> FrameAllocator for FrameStack<W> {
    /// The most recently freed frame (the stack is LIFO), or `None` when no
    /// frame is free. O(1); remaps the window once every 1024 calls at most.
    ///
    /// Panics only if the stack itself was overwritten (an entry that is
    /// misaligned, beyond usable memory or already allocated): a broken
    /// invariant, reported with the address, never an out-of-memory.
    #[inline]
    fn allocate(&mut self) -> Option<Frame> {
        let addr = self.pop()?;
        if addr == self.just_freed {
            // Its bit was never cleared, so it is already marked allocated.
            self.just_freed = NOTHING_PENDING;
        } else if self.just_freed != NOTHING_PENDING
            || addr % PAGE_SIZE != 0
            || !self.bitmap.mark_allocated(addr >> PAGE_SHIFT)
        {
            // The frame freed last was the top, or the entry is no free frame.
            corrupted("an entry", self.top, addr);
        }
        Some(Frame::containing(PhysAddr::new(addr)))
    }

    /// Puts `frame` back on the stack. O(1); remaps the window once every
    /// 1024 calls at most. A frame that is already free
    /// ([`FreeError::DoubleFree`]) or that is not usable RAM managed here
    /// ([`FreeError::NotUsable`]) is refused and the stack is left as it was.
    #[inline]
    fn free(&mut self, frame: Frame) -> Result<(), FreeError> {
        let addr = frame.start().as_u32();
        // Free already: on the stack with its bit clear, or the pending one.
        if addr == self.just_freed || !self.bitmap.is_allocated(frame.number()) {
            return Err(self.refusal(&frame));
        }
        if self.just_freed != NOTHING_PENDING {
            // It stops being the top now: settle its bit.
            self.bitmap.clear(self.just_freed >> PAGE_SHIFT);
        }
        self.push(addr);
        self.just_freed = addr;
        Ok(())
    }
}

impl<W> fmt::Debug for FrameStack<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameStack")
            .field("free", &self.free_count())
            .field("total", &self.total)
            .field("top_page", &format_args!("{:#010x}", self.top))
            .field("top_entries", &self.len)
            .finish_non_exhaustive()
    }
}
