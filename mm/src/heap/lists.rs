//! The segregated free lists: one doubly linked list per size class, and
//! two levels of bitmaps saying which lists are non-empty.
//!
//! ```text
//!   fl_map  (u32)      bit f set <=> sl_map[f] != 0
//!   sl_map[f] (u32)    bit s set <=> heads[f][s] != NIL
//!   heads[f][s]        offset of the first free block of class (f, s)
//!
//!   heads[f][s] --> +--------+ next  +--------+ next
//!                   | block  |------>| block  |------> NIL
//!             NIL <-|        |<------|        |
//!              prev +--------+  prev +--------+
//! ```
//!
//! Finding a non-empty list at or above a class is two `trailing_zeros`.
//! Links are `u32` offsets; a link read from memory is bounds-checked
//! before it is followed.

use super::Heap;
use super::block::{MAGIC, NEXT_AT, NIL, PREV_AT, SIZE_AT};
use super::class::{self, Class, FL_COUNT, SL_COUNT};
use super::error::{Corruption, HeapError};
use super::source::PageSource;

/// List heads and their occupancy bitmaps.
pub(super) struct FreeLists {
    fl_map: u32,
    sl_map: [u32; FL_COUNT],
    heads: [[u32; SL_COUNT]; FL_COUNT],
}

impl FreeLists {
    pub(super) const fn new() -> Self {
        FreeLists { fl_map: 0, sl_map: [0; FL_COUNT], heads: [[NIL; SL_COUNT]; FL_COUNT] }
    }

    #[inline(always)]
    pub(super) fn head(&self, (fl, sl): Class) -> u32 {
        self.heads[fl][sl]
    }

    /// Sets the head of a list and keeps both bitmaps in step.
    #[inline(always)]
    pub(super) fn set_head(&mut self, (fl, sl): Class, off: u32) {
        self.heads[fl][sl] = off;
        if off == NIL {
            self.sl_map[fl] &= !(1 << sl);
            if self.sl_map[fl] == 0 {
                self.fl_map &= !(1 << fl);
            }
        } else {
            self.sl_map[fl] |= 1 << sl;
            self.fl_map |= 1 << fl;
        }
    }

    /// The first non-empty list at or above `(fl, sl)` in size order.
    #[inline(always)]
    pub(super) fn find(&self, (fl, sl): Class) -> Option<Class> {
        if fl >= FL_COUNT {
            return None;
        }
        let here = self.sl_map[fl] & (u32::MAX << sl);
        if here != 0 {
            return Some((fl, here.trailing_zeros() as usize));
        }
        // `fl + 1 <= FL_COUNT <= 32`; a shift by 32 would overflow, so use u64.
        let above = (self.fl_map as u64 & (u64::MAX << (fl + 1))) as u32;
        if above == 0 {
            return None;
        }
        let fl = above.trailing_zeros() as usize;
        Some((fl, self.sl_map[fl].trailing_zeros() as usize))
    }

    /// The highest non-empty list.
    pub(super) fn highest(&self) -> Option<Class> {
        if self.fl_map == 0 {
            return None;
        }
        let fl = 31 - self.fl_map.leading_zeros() as usize;
        Some((fl, 31 - self.sl_map[fl].leading_zeros() as usize))
    }

    /// Whether the bitmap bits of `(fl, sl)` say the list is non-empty.
    pub(super) fn marked(&self, (fl, sl): Class) -> (bool, bool) {
        (self.sl_map[fl] & (1 << sl) != 0, self.fl_map & (1 << fl) != 0)
    }

    /// Drops a whole list whose head cannot be trusted: its blocks leave
    /// circulation rather than have garbage links followed.
    pub(super) fn drop_list(&mut self, class: Class) {
        self.set_head(class, NIL);
    }
}

impl<S: PageSource> Heap<S> {
    /// Puts the free block at `off` of `size` bytes at the head of its list.
    ///
    /// # Safety
    ///
    /// A free block of `size` bytes with a valid header lies at `off`.
    #[inline(always)]
    pub(super) unsafe fn insert(&mut self, off: u32, size: u32) {
        let class = class::of(size);
        let head = self.lists.head(class);
        // SAFETY: the block at `off` is at least a minimum block (caller), so
        // both link words are inside it; `head` is NIL or a listed free block.
        unsafe {
            self.wr(off + NEXT_AT, head);
            self.wr(off + PREV_AT, NIL);
            if head != NIL {
                self.wr(head + PREV_AT, off);
            }
        }
        self.lists.set_head(class, off);
    }

    /// Checks, without writing, that the free block at `off` can be unlinked:
    /// its links point at listed blocks (or NIL) that point back at it.
    ///
    /// # Safety
    ///
    /// A header of a free block of `size` bytes lies at `off` inside the heap.
    pub(super) unsafe fn check_links(&self, off: u32, size: u32) -> Result<(), HeapError> {
        // SAFETY: by the caller the block is at least a minimum block.
        let (next, prev) = unsafe { (self.next_link(off), self.prev_link(off)) };
        let bad = |link| HeapError::Corrupted { addr: self.addr(off), what: Corruption::BadLink { link } };
        if !self.link_ok(next) || !self.link_ok(prev) {
            return Err(bad(if self.link_ok(next) { prev } else { next }));
        }
        // SAFETY: `link_ok` checked a minimum block lies at each non-NIL link.
        if next != NIL && unsafe { self.prev_link(next) } != off {
            return Err(bad(next));
        }
        let back = if prev == NIL {
            self.lists.head(class::of(size))
        } else {
            // SAFETY: as above.
            unsafe { self.next_link(prev) }
        };
        if back != off { Err(bad(prev)) } else { Ok(()) }
    }

    /// Takes the free block at `off` of `size` bytes out of its list.
    ///
    /// # Safety
    ///
    /// `check_links(off, size)` succeeded and nothing changed the lists since.
    #[inline(always)]
    pub(super) unsafe fn unlink(&mut self, off: u32, size: u32) {
        // SAFETY: the links were checked (caller), so each lies on a listed block.
        unsafe {
            let next = self.next_link(off);
            let prev = self.prev_link(off);
            if next != NIL {
                self.wr(next + PREV_AT, prev);
            }
            if prev != NIL {
                self.wr(prev + NEXT_AT, next);
            } else {
                self.lists.set_head(class::of(size), next);
            }
        }
    }

    /// Validates the head of list `class` for a request of `need` bytes and
    /// returns `(offset, size word)`. A head with a broken header or broken
    /// links is reported and its whole list dropped from circulation.
    #[inline(always)]
    pub(super) fn checked_head(&mut self, class: Class, need: u32) -> Result<(u32, u32), HeapError> {
        let off = self.lists.head(class);
        // SAFETY: heads are only ever set to blocks inside the heap or to
        // links that passed `link_ok`, and this list is non-empty.
        let (magic, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        let size = word & super::block::SIZE_MASK;
        let what = if magic != MAGIC {
            Corruption::BadMagic { found: magic }
        } else if word & super::block::USED != 0 {
            Corruption::ListEntryUsed
        } else if !self.size_ok(off, size) || size < need {
            Corruption::BadSize { size }
        } else {
            // SAFETY: the header is valid and the block lies inside the heap.
            match unsafe { self.check_links(off, size) } {
                Ok(()) => return Ok((off, word)),
                Err(e) => {
                    self.lists.drop_list(class);
                    return Err(e);
                }
            }
        };
        self.lists.drop_list(class);
        Err(HeapError::Corrupted { addr: self.addr(off), what })
    }
}
