//! Allocating and freeing: where a frame comes from, and what is checked.
//!
//! ```text
//!   allocate:  1. the stack of freed frames, if it holds any (last freed, first out)
//!              2. else the highest untouched frame, by lowering the watermark
//!              3. else None
//!              (the stack's last page waits until 2 is used up: see below)
//!   free:      refused unless the bitmap says "allocated out"; then pushed
//! ```
//!
//! Freed frames go first because they are the ones most likely still in the
//! cache, and because it keeps the stack small and untouched memory whole.
//! One exception: the stack's last frame, its bottom page, is handed out
//! only when no untouched frame is left. Handing it out would empty the
//! stack, and the next free would have to make a new stack page and move
//! the window; right after boot, when the stack is nearly empty, an
//! allocate/free pair would then remap every time.
//!
//! Everything the stack pops was written into a free frame, so anything
//! that writes into a free frame by mistake (a use after free, a stray DMA)
//! can change it. Each popped value is therefore checked before it is
//! handed out or followed: a 4 KiB-aligned, usable frame, handed out before
//! (at or above the watermark) and not allocated out now. A value that fails
//! stops the kernel with the stack page, the index and why: handing it out
//! would give away frame 0, a reserved frame or a frame in use.

use crate::addr::{PAGE_SHIFT, PAGE_SIZE, PhysAddr};
use crate::frame::{Frame, FrameAllocator, FreeError};
use crate::frames::stack::{ENTRIES_PER_PAGE, FrameStack, LINK, NOTHING_PENDING};
use crate::frames::window::StackWindow;

/// Where a bad value was read from, for the report.
#[derive(Clone, Copy, Debug)]
pub(super) enum Place {
    /// Entry `index` (1..=1023) of the stack page at `page`.
    Entry { page: u32, index: usize },
    /// The link (word 0) of the stack page at `page`, with how many stack
    /// pages the count says lie below it.
    Link { page: u32, pages_below: u32 },
}

impl<W: StackWindow> FrameStack<W> {
    /// Takes an untouched frame: the highest one left below the watermark.
    #[inline]
    fn take_untouched(&mut self) -> Option<u32> {
        let number = self.untouched.take(&self.usable)?;
        // Untouched frames are never allocated out, so the bit is clear.
        self.bitmap.mark_allocated(number);
        Some(number << PAGE_SHIFT)
    }

    /// `allocate` when the top stack page has no entry left: the page
    /// itself, or an untouched frame. Kept out of line so that `allocate`'s
    /// fast path stays small enough to inline.
    #[inline(never)]
    fn allocate_slow(&mut self) -> Option<u32> {
        if self.len == 0 && (self.pages > 1 || self.untouched.is_empty()) {
            Some(self.pop_page_itself())
        } else {
            // No stack, or only its last page, kept while untouched memory
            // lasts (a free then needs no new page, so no remap).
            self.take_untouched()
        }
    }

    /// Hands out the top stack page itself: it has no entries left.
    #[cold]
    #[inline(never)]
    fn pop_page_itself(&mut self) -> u32 {
        let page = self.pop_page();
        if page == self.just_freed {
            self.just_freed = NOTHING_PENDING;
        } else {
            // Checked when it became the top page (a link or a freed frame).
            let fresh = self.bitmap.mark_allocated(page >> PAGE_SHIFT);
            debug_assert!(fresh && self.just_freed == NOTHING_PENDING);
        }
        page
    }

    /// Whether `addr` names a frame the stack may hold: 4 KiB-aligned,
    /// usable, handed out before and not allocated out now.
    pub(super) fn may_hold(&self, addr: u32) -> bool {
        let number = addr >> PAGE_SHIFT;
        addr.is_multiple_of(PAGE_SIZE)
            && !self.untouched.is_untouched(number)
            && self.usable.contains(number)
            && !self.bitmap.is_allocated(number)
    }

    /// `may_hold(addr)`, and if so marks the frame allocated: the same
    /// checks with one bitmap access, and the usable ranges searched only
    /// for a frame outside the largest one, for the fast path.
    #[inline]
    fn claim(&mut self, addr: u32) -> bool {
        let number = addr >> PAGE_SHIFT;
        addr.is_multiple_of(PAGE_SIZE)
            && !self.untouched.is_untouched(number)
            && (self.largest.contains(number) || self.usable.contains(number))
            && self.bitmap.mark_allocated(number)
    }

    /// Stops the kernel: the stack holds `value` at `place`, which no free
    /// frame could have put there. Says which check it fails.
    #[cold]
    #[inline(never)]
    pub(super) fn corrupted(&self, place: Place, value: u32) -> ! {
        match place {
            Place::Entry { page, index } => panic!(
                "frame stack corrupted: entry {index} of stack page {page:#010x} holds \
                 {value:#010x}: {}; was a free frame written to?",
                self.why_not_stackable(value)
            ),
            Place::Link { page, pages_below: 0 } => panic!(
                "frame stack corrupted: the link (word {LINK}) of the bottom stack page \
                 {page:#010x} holds {value:#010x}: the bottom page links to no \
                 page; was a free frame written to?"
            ),
            Place::Link { page, pages_below } => panic!(
                "frame stack corrupted: the link (word {LINK}) of stack page {page:#010x} \
                 holds {value:#010x}: {}, and {pages_below} stack pages are counted \
                 below; was a free frame written to?",
                self.why_not_stackable(value)
            ),
        }
    }

    /// Which of the checks on a popped value `value` fails.
    fn why_not_stackable(&self, value: u32) -> &'static str {
        let number = value >> PAGE_SHIFT;
        if !value.is_multiple_of(PAGE_SIZE) {
            "not 4 KiB-aligned"
        } else if !self.usable.contains(number) {
            "not usable RAM (frame 0, reserved, the kernel's, or beyond RAM)"
        } else if self.untouched.is_untouched(number) {
            "a frame never handed out, which cannot have been freed"
        } else if self.bitmap.is_allocated(number) {
            "a frame allocated out"
        } else {
            "not the frame freed last, which should be on top"
        }
    }

    /// Why `frame`, which is not allocated out, cannot be freed: it is free
    /// already (on the stack or untouched), or it was never usable. Only
    /// here, off the fast path, are the usable ranges searched.
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

// SAFETY: the stack only ever holds frames that `free` accepted because
// their bitmap bit was set and they were not the pending `just_freed` (so
// this allocator had handed them out and not taken them back), and the
// watermark hands out each usable frame of `new`'s caller once. `allocate`
// hands out only those and marks each allocated: a popped frame passes
// `claim` (usable, handed out before, bit clear, now set) or is the pending
// frame, whose bit was never cleared; anything else panics. An untouched
// frame is never on the stack (`claim` refuses it). So a frame is never
// handed out twice without a free in between.
unsafe impl<W: StackWindow> FrameAllocator for FrameStack<W> {
    /// The most recently freed frame (the stack is LIFO), else the highest
    /// untouched frame, or `None` when no frame is free; the stack's last
    /// page is handed out only once no untouched frame is left. O(1);
    /// remaps the window once every 1024 calls at most.
    ///
    /// Panics only if the stack itself was overwritten (an entry or link
    /// that is misaligned, not usable RAM, never handed out or already
    /// allocated), naming the stack page and index: a broken invariant,
    /// never an out-of-memory.
    // Always inlined: what is left after the slow paths went out of line is
    // a few compares, and a call would cost as much as the work.
    #[inline(always)]
    fn allocate(&mut self) -> Option<Frame> {
        // One compare for 1 <= len <= ENTRIES_PER_PAGE (0 wraps to usize::MAX).
        let addr = if self.len.wrapping_sub(1) < ENTRIES_PER_PAGE {
            let addr = self.pop_entry();
            if addr == self.just_freed {
                // Its bit was never cleared, so it is already marked allocated.
                self.just_freed = NOTHING_PENDING;
            } else if self.just_freed != NOTHING_PENDING || !self.claim(addr) {
                // The frame freed last was the top, or the entry is no free frame.
                self.corrupted(Place::Entry { page: self.top, index: self.len + 1 }, addr);
            }
            addr
        } else {
            self.allocate_slow()?
        };
        Some(Frame::containing(PhysAddr::new(addr)))
    }

    /// Puts `frame` back on the stack. O(1); remaps the window once every
    /// 1024 calls at most. A frame that is already free
    /// ([`FreeError::DoubleFree`]) or that is not usable RAM managed here
    /// ([`FreeError::NotUsable`]) is refused and nothing changes.
    #[inline]
    fn free(&mut self, frame: Frame) -> Result<(), FreeError> {
        let addr = frame.start().as_u32();
        // Free already: on the stack with its bit clear, the pending one, or
        // untouched (never allocated, so its bit is clear).
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
