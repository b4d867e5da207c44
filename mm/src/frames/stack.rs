//! [`FrameStack`]: the frame allocator that lives in the frames it manages.
//!
//! Free frames are of two kinds. *Untouched* ones, never handed out since
//! boot, lie below a [`Watermark`] and are not listed anywhere. *Freed* ones
//! are kept on a stack of 32-bit frame addresses whose pages are free frames
//! too, chained downwards by a link in their first word:
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
//! page; when that is full (or there is none), the freed frame itself becomes
//! the new top page. Popping takes the top entry; when the top page has none
//! left, the page itself goes and the window moves down to the previous
//! page. So the stack is exactly last-in first-out, each stack page leaves
//! after every frame stored in it, and the allocator uses no memory that
//! could be free. Only those two page changes call [`StackWindow::show`].
//!
//! This file holds the type and the stack's mechanics; `allocate.rs` decides
//! where each frame comes from and checks what it pops.

use crate::addr::{PAGE_SIZE, PhysAddr};
use crate::frames::allocate::Place;
use crate::frames::bitmap::{AllocBitmap, BitmapTooSmall};
use crate::frames::watermark::Watermark;
use crate::frames::window::StackWindow;
use crate::memmap::{FrameRange, UsableMemory};
use core::fmt;

/// Frame addresses one stack page holds: 1024 words less the link.
pub const ENTRIES_PER_PAGE: usize = 1023;
/// Index of the link to the previous stack page.
pub(super) const LINK: usize = 0;
/// The link of the bottom page. Frame 0 is never usable, so no real page has it.
const NO_PAGE: u32 = 0;
/// `just_freed` when no bitmap bit is pending: not 4 KiB-aligned, so no
/// frame address equals it.
pub(super) const NOTHING_PENDING: u32 = u32::MAX;
/// `len` while there is no stack page at all. Being above `ENTRIES_PER_PAGE`
/// it fails both fast-path tests (`len < ENTRIES_PER_PAGE` to push,
/// `1 <= len <= ENTRIES_PER_PAGE` to pop), so each fast path is one compare.
pub(super) const EMPTY: usize = ENTRIES_PER_PAGE + 1;

/// Words in a stack page: the link and the entries.
const PAGE_WORDS: u32 = PAGE_SIZE / 4;
const _: () = assert!(ENTRIES_PER_PAGE + 1 == PAGE_WORDS as usize);

/// The physical frame allocator: untouched memory below a watermark, and a
/// stack of freed frames kept in free frames.
///
/// Invariants: when `len != EMPTY`, the window shows `top`, a free frame
/// owned by the stack that holds `len` entries. Every frame on the stack
/// (entry or page) is usable, at or above the watermark, and has its bitmap
/// bit clear — except the one named by `just_freed`, which is always the top
/// of the stack. Every usable frame below the watermark is free and has its
/// bit clear.
///
/// Why `just_freed`: a frame freed and allocated again straight away (the
/// common case for a LIFO allocator) would clear and set the same bitmap
/// word back to back, and each read-modify-write waits for the previous one
/// to leave the store buffer. So `free` leaves the bit of the frame it
/// pushes set and notes the frame; if `allocate` pops it next, neither
/// touches the bitmap. The next `free` settles the bit before it pushes.
pub struct FrameStack<W> {
    pub(super) window: W,
    /// Address of the top stack page (meaningless while `len == EMPTY`).
    pub(super) top: u32,
    /// Entries in the top page, `0..=ENTRIES_PER_PAGE`, or `EMPTY`.
    pub(super) len: usize,
    /// Stack pages, top one included. With `len` this gives the stack's
    /// count, so the fast path updates no counter of its own.
    pub(super) pages: u32,
    /// Where the untouched memory ends.
    pub(super) untouched: Watermark,
    /// The frame freed last, if it is still the top of the stack and its
    /// bitmap bit has not been cleared yet; else `NOTHING_PENDING`.
    pub(super) just_freed: u32,
    /// Usable frames managed, free or allocated.
    pub(super) total: u32,
    /// One bit per frame: allocated out?
    pub(super) bitmap: AllocBitmap,
    /// What was usable at boot: for the checks and the error path.
    pub(super) usable: UsableMemory,
    /// The largest range of `usable`, where most frames are: checking it
    /// first spares the popped frame's check a search of the ranges.
    pub(super) largest: FrameRange,
}

impl<W> FrameStack<W> {
    /// How many frames are free: untouched, or freed and on the stack
    /// (stack pages included). O(1).
    pub fn free_count(&self) -> u32 {
        self.stacked_count() + self.untouched.count()
    }

    /// How many usable frames the allocator manages, free or allocated.
    pub fn total_count(&self) -> u32 {
        self.total
    }

    /// The usable memory this allocator manages.
    pub fn usable(&self) -> &UsableMemory {
        &self.usable
    }

    /// Frames on the stack, its pages included.
    fn stacked_count(&self) -> u32 {
        if self.len == EMPTY {
            0
        } else {
            // Each page below the top is full: 1023 entries and itself.
            (self.pages - 1) * PAGE_WORDS + self.len as u32 + 1
        }
    }
}

impl<W: StackWindow> FrameStack<W> {
    /// An allocator for every frame of `usable`, all free, using `window` to
    /// reach its stack pages and `bitmap` (at least [`bitmap_words`] words,
    /// any contents) to track allocated frames.
    ///
    /// O(1) apart from clearing the bitmap (1 bit per frame): it writes into
    /// no frame at all, because every frame starts out untouched, below the
    /// watermark. The highest frames are handed out first and low memory
    /// (which old DMA devices need) last.
    ///
    /// Fails if `bitmap` is too short for `usable`; nothing has been written
    /// then.
    ///
    /// [`bitmap_words`]: crate::frames::bitmap_words
    ///
    /// # Safety
    ///
    /// Every frame in `usable` must be RAM that nothing else uses or will use
    /// except through frames this allocator hands out: from now on it owns
    /// them, writes into them and gives them away. In particular the kernel
    /// image, boot data, page tables and the bitmap storage itself must
    /// already have been removed from `usable`.
    pub unsafe fn new(
        window: W,
        usable: UsableMemory,
        bitmap: &'static mut [u32],
    ) -> Result<Self, BitmapTooSmall> {
        let bitmap = AllocBitmap::new(bitmap, &usable)?;
        Ok(Self {
            window,
            top: NO_PAGE,
            len: EMPTY,
            pages: 0,
            untouched: Watermark::new(&usable),
            just_freed: NOTHING_PENDING,
            total: usable.total_frames(),
            bitmap,
            largest: usable.iter().copied().max_by_key(FrameRange::len).unwrap_or_default(),
            usable,
        })
    }

    /// The window, for tests that look at emulated memory mid-run.
    #[cfg(test)]
    pub(crate) fn window_mut(&mut self) -> &mut W {
        &mut self.window
    }

    /// Puts the free, usable frame at `addr` on the stack.
    #[inline]
    pub(super) fn push(&mut self, addr: u32) {
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

    /// Takes entry `len` off the top page. The caller has checked
    /// `1 <= len <= ENTRIES_PER_PAGE`; the value is unchecked.
    #[inline]
    pub(super) fn pop_entry(&mut self) -> u32 {
        // SAFETY: `len` is not EMPTY, so the window shows the top page,
        // which the stack owns.
        let addr = unsafe { self.window.page() }[self.len];
        self.len -= 1;
        addr
    }

    /// Takes the top page itself off the stack once it has no entries left
    /// (`len == 0`), and moves the window down to the page its link names.
    /// A link that names no frame the stack could own stops the kernel.
    #[cold]
    #[inline(never)]
    pub(super) fn pop_page(&mut self) -> u32 {
        debug_assert_eq!(self.len, 0);
        let page = self.top;
        // SAFETY: `len` is 0, not EMPTY: the window shows the stack's top page.
        let below = unsafe { self.window.page() }[LINK];
        // Only the bottom page has no page below, and `pages` says which
        // that is: a link zeroed or written into the bottom page is caught
        // too, not just one naming a frame the stack cannot hold.
        let bottom = self.pages == 1;
        if bottom != (below == NO_PAGE) || !(bottom || self.may_hold(below)) {
            self.corrupted(Place::Link { page, pages_below: self.pages - 1 }, below);
        }
        if below == NO_PAGE {
            self.len = EMPTY;
        } else {
            // SAFETY: `below` is the next stack page: a free frame the stack
            // owns (just checked).
            unsafe { self.window.show(PhysAddr::new(below)) };
            self.top = below;
            self.len = ENTRIES_PER_PAGE;
        }
        self.pages -= 1;
        page
    }
}

impl<W> fmt::Debug for FrameStack<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FrameStack")
            .field("free", &self.free_count())
            .field("total", &self.total)
            .field("untouched", &self.untouched.count())
            .field("top_page", &format_args!("{:#010x}", self.top))
            .field("top_entries", &self.len)
            .finish_non_exhaustive()
    }
}
