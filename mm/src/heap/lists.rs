//! The segregated free lists: one doubly linked list per size class, and
//! two levels of bitmaps saying which lists are non-empty.
//!
//! ```text
//!   fl_map  (u32)      bit f set <=> sl_map[f] != 0
//!   sl_map[f] (u32)    bit s set <=> heads[f*16 + s] != NIL
//!   heads[i]           offset of the first free block of class i
//!
//!   heads[i] ---> +--------+ next  +--------+ next
//!                 | block  |------>| block  |------> NIL
//!  HEAD|i <-------|        |<------|        |
//!            prev +--------+  prev +--------+
//! ```
//!
//! Finding a non-empty list at or above a class is two `trailing_zeros`;
//! the hot paths name lists by index (`class::search`, `class::index_of`).
//! Links are `u32` offsets. The first block's prev link is not NIL but the
//! marker `HEAD | i` naming its list head, so unlinking never recomputes a
//! size class. Every link read from memory is bounds-checked before it is
//! followed.

use super::Heap;
use super::block::{DEBUG, NEXT_AT, NIL, PREV_AT, SIZE_AT, SIZE_MASK, USED};
use super::class::{self, Class, FL_COUNT, SL_COUNT};
use super::error::{Corruption, HeapError};
use super::source::PageSource;

/// Flag of a prev link that names a list head instead of a block.
pub(super) const HEAD: u32 = 1 << 31;
/// Number of lists.
const LISTS: usize = FL_COUNT * SL_COUNT;

/// List heads and their occupancy bitmaps.
pub(super) struct FreeLists {
    fl_map: u32,
    sl_map: [u32; FL_COUNT],
    heads: [u32; LISTS],
}

impl FreeLists {
    pub(super) const fn new() -> Self {
        FreeLists { fl_map: 0, sl_map: [0; FL_COUNT], heads: [NIL; LISTS] }
    }

    /// The first block of list `i` (an index from `class::index`).
    #[inline(always)]
    pub(super) fn head_at(&self, i: usize) -> u32 {
        // `i & (LISTS.next_power_of_two() - 1)` would do too; the check is cheap.
        self.heads[i]
    }

    /// The first block of list `class`.
    #[inline(always)]
    pub(super) fn head(&self, class: Class) -> u32 {
        self.heads[class::index(class)]
    }

    /// Sets the first block of list `i` to a block (not NIL); sets the
    /// bitmap bits when the list was empty.
    #[inline(always)]
    fn push_head(&mut self, i: usize, off: u32) -> u32 {
        let old = self.heads[i];
        self.heads[i] = off;
        if old == NIL {
            let (fl, sl) = class::from_index(i);
            self.sl_map[fl] |= 1 << sl;
            self.fl_map |= 1 << fl;
        }
        old
    }

    /// Sets the first block of list `i` to `off`, which may be NIL; clears
    /// the bitmap bits when the list becomes empty.
    #[inline(always)]
    fn pop_to(&mut self, i: usize, off: u32) {
        self.heads[i] = off;
        if off == NIL {
            let (fl, sl) = class::from_index(i);
            self.sl_map[fl] &= !(1 << sl);
            if self.sl_map[fl] == 0 {
                self.fl_map &= !(1 << fl);
            }
        }
    }

    /// The first non-empty list at or above list `i` in size order.
    #[inline(always)]
    pub(super) fn find(&self, i: usize) -> Option<usize> {
        let (fl, sl) = class::from_index(i);
        if fl >= FL_COUNT {
            return None;
        }
        let here = self.sl_map[fl] & (u32::MAX << sl);
        if here != 0 {
            return Some(class::index((fl, here.trailing_zeros() as usize)));
        }
        // `fl + 1 < FL_COUNT < 32`: the shift cannot overflow.
        let above = self.fl_map & (u32::MAX << (fl + 1));
        if above == 0 {
            return None;
        }
        let fl = above.trailing_zeros() as usize;
        Some(class::index((fl, self.sl_map[fl].trailing_zeros() as usize)))
    }

    /// The highest non-empty list.
    pub(super) fn highest(&self) -> Option<Class> {
        if self.fl_map == 0 {
            return None;
        }
        let fl = 31 - self.fl_map.leading_zeros() as usize;
        Some((fl, 31 - self.sl_map[fl].leading_zeros() as usize))
    }

    /// Whether the bitmap bits of `(fl, sl)` say the list is non-empty:
    /// (second-level bit, first-level bit).
    pub(super) fn marked(&self, (fl, sl): Class) -> (bool, bool) {
        (self.sl_map[fl] & (1 << sl) != 0, self.fl_map & (1 << fl) != 0)
    }

    /// Drops a whole list whose head cannot be trusted: its blocks leave
    /// circulation rather than have garbage links followed.
    pub(super) fn drop_list(&mut self, i: usize) {
        self.pop_to(i, NIL);
    }
}

impl<S: PageSource> Heap<S> {
    /// Whether `link` may be followed as a prev link: a head marker of an
    /// existing list, or a block inside the heap.
    #[inline(always)]
    pub(super) fn prev_ok(&self, link: u32) -> bool {
        if link & HEAD != 0 {
            ((link & !HEAD) as usize) < LISTS
        } else {
            self.link_ok(link) && link != NIL
        }
    }

    /// Puts the free block at `off` at the head of list `i`.
    ///
    /// # Safety
    ///
    /// A free block whose size belongs to list `i`, with a valid header, lies at `off`.
    #[inline(always)]
    pub(super) unsafe fn insert(&mut self, off: u32, i: usize) {
        let old = self.lists.push_head(i, off);
        // SAFETY: the block at `off` is at least a minimum block (caller), so
        // both link words are inside it; `old` is NIL or a listed free block.
        unsafe {
            self.wr(off + NEXT_AT, old);
            self.wr(off + PREV_AT, HEAD | i as u32);
        }
        if old != NIL {
            self.wr_link(old + PREV_AT, off);
        }
    }

    /// Debug mode: checks, without writing, that the free block at `off`
    /// can be unlinked: its links are NIL, a list head, or blocks inside the
    /// heap that point back at it. Release mode trusts the links of a block
    /// whose header checked out (writes through them are masked into the
    /// region, see `wr_link`) and leaves the rest to `check`: the fast path
    /// keeps to the check word and state checks.
    ///
    /// # Safety
    ///
    /// A header of a free block lies at `off` inside the heap.
    #[inline(always)]
    pub(super) unsafe fn check_links(&self, off: u32) -> Result<(), HeapError> {
        if !DEBUG {
            return Ok(());
        }
        // SAFETY: by the caller the block is at least a minimum block.
        let (next, prev) = unsafe { (self.next_link(off), self.prev_link(off)) };
        if !self.link_ok(next) {
            return Err(self.bad_link(off, next));
        }
        if !self.prev_ok(prev) {
            return Err(self.bad_link(off, prev));
        }
        // SAFETY: `link_ok` checked a minimum block lies at each non-NIL link.
        if next != NIL && unsafe { self.prev_link(next) } != off {
            return Err(self.bad_link(off, next));
        }
        let back = if prev & HEAD != 0 {
            self.lists.head_at((prev & !HEAD) as usize)
        } else {
            // SAFETY: as above.
            unsafe { self.next_link(prev) }
        };
        if back != off {
            return Err(self.bad_link(off, prev));
        }
        Ok(())
    }

    #[cold]
    fn bad_link(&self, off: u32, link: u32) -> HeapError {
        HeapError::Corrupted { addr: self.addr(off), what: Corruption::BadLink { link } }
    }

    /// Takes the free block at `off` out of its list.
    ///
    /// # Safety
    ///
    /// `check_links(off)` succeeded and nothing changed the lists since.
    #[inline(always)]
    pub(super) unsafe fn unlink(&mut self, off: u32) {
        // SAFETY: the links were checked (caller): `next` is NIL or a listed
        // block, `prev` a head marker or a listed block.
        unsafe {
            let next = self.next_link(off);
            let prev = self.prev_link(off);
            if next != NIL {
                self.wr_link(next + PREV_AT, prev);
            }
            if prev & HEAD == 0 {
                self.wr_link(prev + NEXT_AT, next);
            } else {
                // A marker naming no list is garbage that release mode did
                // not check: nothing is written for it.
                let i = (prev & !HEAD) as usize;
                if i < LISTS {
                    self.lists.pop_to(i, next);
                }
            }
        }
    }

    /// Validates the head of list `i` for a request of `need` bytes, takes
    /// it off the list and returns `(offset, size word)`. A head with a
    /// broken header or links is reported and its whole list dropped from
    /// circulation rather than followed.
    #[inline(always)]
    pub(super) fn pop_head(&mut self, i: usize, need: u32) -> Result<(u32, u32), HeapError> {
        let off = self.lists.head_at(i);
        // SAFETY: heads are only ever set to blocks inside the heap or to
        // links that passed `link_ok`, and this list is non-empty.
        let (check, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        let size = word & SIZE_MASK;
        if check != self.check_word(off)
            || word & USED != 0
            || !self.size_ok(off, size)
            || size < need
        {
            return Err(self.drop_corrupt_list(i, off, check, word));
        }
        // The next block becomes the head: its link must be sound, and this
        // block must say it is the head of this list.
        // SAFETY: the header is valid and the block lies inside the heap.
        let (next, prev) = unsafe { (self.next_link(off), self.prev_link(off)) };
        let sound = self.link_ok(next) && prev == HEAD | i as u32;
        let checked = if sound {
            // SAFETY: the header at `off` was read above: its check word
            // checks out, the used bit is clear and the size is inside the heap.
            unsafe { self.check_links(off) }
        } else {
            Err(self.bad_link(off, if self.link_ok(next) { prev } else { next }))
        };
        if let Err(e) = checked {
            self.lists.drop_list(i);
            return Err(e);
        }
        self.check_poison_taken(off, size, need)?;
        // The block is the head of list `i` (checked above): no need for
        // the general `unlink`.
        if next != NIL {
            self.wr_link(next + PREV_AT, HEAD | i as u32);
        }
        self.lists.pop_to(i, next);
        Ok((off, word))
    }

    #[cold]
    pub(super) fn drop_corrupt_list(
        &mut self,
        i: usize,
        off: u32,
        check: u32,
        word: u32,
    ) -> HeapError {
        self.lists.drop_list(i);
        let what = if check != self.check_word(off) {
            self.bad_check(off, check)
        } else if word & USED != 0 {
            Corruption::ListEntryUsed
        } else {
            Corruption::BadSize { size: word & SIZE_MASK }
        };
        HeapError::Corrupted { addr: self.addr(off), what }
    }
}
