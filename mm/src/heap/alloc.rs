//! Allocation: `malloc`, `calloc` and `malloc_aligned`.
//!
//! A request becomes a block size. The free lists give the first block of
//! the first non-empty class at or above it (constant time: no list is
//! walked; below 256 bytes every class is one size, so that block fits
//! exactly); the top chunk (`top.rs`) is carved only when no listed block
//! fits, and grows when too small. The block found is split: the front is
//! handed out, a remainder of at least 16 bytes goes back on a free list,
//! or stays the top chunk.

use core::ptr::NonNull;

use super::Heap;
use super::block::{
    self, DEBUG, HEADER, MAX_ALIGN, MAX_REGION, MIN_BLOCK, NIL, PREV_BITS, SIZE_AT, SIZE_MASK, USED,
};
use super::class;
use super::error::{Corruption, HeapError};
use super::source::PageSource;

impl<S: PageSource> Heap<S> {
    /// Allocates at least `size` bytes, 8-byte aligned. `size == 0` is
    /// treated as 1, so success always yields a distinct pointer that can be
    /// freed. Constant time, unless nothing fits: then the list of the
    /// request's own class is walked for a block behind its first one (see
    /// `take_fit_in_own_class`) and, if still nothing fits, the heap grows
    /// by one `map` call. Errors:
    /// `TooLarge` if `size` bytes could never fit the region, `OutOfMemory`
    /// if the region is full or the page source has no frames or refuses
    /// (the heap unchanged; its `cause` says which),
    /// `Corrupted`/`UseAfterFree` if the free block chosen is damaged (it is
    /// then taken out of circulation). Never panics. Always inlined into its
    /// caller, like [`free`](Self::free).
    #[inline(always)]
    pub fn malloc(&mut self, size: usize) -> Result<NonNull<u8>, HeapError> {
        let need = block::block_size(size).ok_or(HeapError::TooLarge { size })?;
        let (off, word) = self.take_free(need, size)?;
        // SAFETY: `take_free` returns an unlisted free block of at least `need` bytes.
        unsafe { Ok(self.carve(off, word, need, size)) }
    }

    /// Allocates `count * size` bytes, zeroed. `CallocOverflow` if the
    /// product overflows; otherwise as [`malloc`](Self::malloc).
    pub fn calloc(&mut self, count: usize, size: usize) -> Result<NonNull<u8>, HeapError> {
        let total = count.checked_mul(size).ok_or(HeapError::CallocOverflow { count, size })?;
        let ptr = self.malloc(total)?;
        // SAFETY: `ptr` is a fresh allocation of at least `total` bytes.
        unsafe { ptr.as_ptr().write_bytes(0, total) };
        Ok(ptr)
    }

    /// Allocates at least `size` bytes aligned to `align`, a power of two up
    /// to 4096 (`BadAlignment` otherwise). Freed with [`free`](Self::free)
    /// like any other block; a gap in front of the block is split off as a
    /// free block of its own. Constant time unless the heap grows.
    pub fn malloc_aligned(&mut self, size: usize, align: usize) -> Result<NonNull<u8>, HeapError> {
        if !align.is_power_of_two() || align > MAX_ALIGN {
            return Err(HeapError::BadAlignment { align });
        }
        if align <= block::GRAIN as usize {
            return self.malloc(size);
        }
        let need = block::block_size(size).ok_or(HeapError::TooLarge { size })?;
        // Room to slide the payload up to the alignment, leaving either no
        // gap or a gap that is a whole free block.
        let search = need as u64 + align as u64 + MIN_BLOCK as u64;
        if search > MAX_REGION as u64 {
            return Err(HeapError::TooLarge { size });
        }
        let (off, word) = self.take_free(search as u32, size)?;
        let align = align as u32;
        // The base is 4 KiB-aligned, so aligning offsets aligns addresses.
        let payload = off + HEADER;
        let mut gap = payload.next_multiple_of(align) - payload;
        if gap != 0 && gap < MIN_BLOCK {
            gap += align;
        }
        let (off, word) = if gap == 0 {
            (off, word)
        } else {
            let rest = off + gap;
            // SAFETY: the block at `off` is unlisted and free with room for
            // `gap + need` bytes. The aligned block gets its header first, then
            // the gap in front becomes a free block of its own, which also
            // sets the aligned block's previous-block bits.
            unsafe {
                self.wr(rest, self.check_word(rest));
                self.wr(rest + SIZE_AT, (word & SIZE_MASK) - gap);
                self.write_free(off, gap);
                (rest, self.rd(rest + SIZE_AT))
            }
        };
        // SAFETY: the block at `off` is unlisted, free, and at least `need` bytes.
        unsafe { Ok(self.carve(off, word, need, size)) }
    }

    /// Finds a free block of at least `need` bytes, takes it off its list
    /// (or detaches the top chunk) and returns `(offset, size word)`; grows
    /// the heap if nothing is free. `req` is the caller's request, for the
    /// error. Listed blocks come first, the top chunk only when none fits:
    /// small requests then fill the holes below instead of landing right
    /// behind a block at the top that may want to grow (a buffer grown by
    /// `realloc` between small allocations stays in place).
    #[inline(always)]
    pub(super) fn take_free(&mut self, need: u32, req: usize) -> Result<(u32, u32), HeapError> {
        match self.find_class(need) {
            Some(i) => self.pop_head(i, need),
            _ => self.take_top(need, req),
        }
    }

    /// The list whose first block serves `need` bytes, if any.
    #[inline(always)]
    pub(super) fn find_class(&self, need: u32) -> Option<usize> {
        let (own, search) = class::search(need);
        if own != search {
            // `need` lies inside its class (which spans sizes), and the
            // search starts above it. The first block of its own class is
            // worth one look: taking it keeps the best fit (and a smaller
            // heap) in constant time.
            let head = self.lists.head_at(own);
            // SAFETY: a list head is a block inside the heap (see `pop_head`).
            if head != NIL && unsafe { self.size_of(head) } >= need {
                return Some(own);
            }
        }
        self.lists.find(search)
    }

    /// Walks the list of `need`'s own size class, past the first block
    /// `find_class` looked at, for a block of at least `need` bytes; takes
    /// it off the list and returns `(offset, size word)`. Only on the way
    /// to growing the heap (`refill`), so the hot path stays constant-time
    /// while `HeapStats::largest_free` keeps its promise: a block that fits
    /// is used before a page is mapped or an allocation fails. Linear in
    /// that one list; a damaged entry is reported and its list dropped, as
    /// `pop_head` does.
    #[cold]
    #[inline(never)]
    pub(super) fn take_fit_in_own_class(
        &mut self,
        need: u32,
    ) -> Result<Option<(u32, u32)>, HeapError> {
        let (own, search) = class::search(need);
        if own == search {
            // `need` is its class's lower bound: `find_class` saw every block.
            return Ok(None);
        }
        let mut off = self.lists.head_at(own);
        // Bounded by the number of blocks that fit in the heap even if a
        // link were broken into a cycle.
        let mut budget = self.mapped / MIN_BLOCK;
        while off != NIL && budget > 0 {
            if !self.link_ok(off) {
                self.lists.drop_list(own);
                return Err(HeapError::Corrupted {
                    addr: self.addr(0),
                    what: Corruption::BadLink { link: off },
                });
            }
            // SAFETY: `link_ok` checked that a minimum block lies at `off`.
            let (check, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
            let size = word & SIZE_MASK;
            if check != self.check_word(off) || word & USED != 0 || !self.size_ok(off, size) {
                return Err(self.drop_corrupt_list(own, off, check, word));
            }
            if size >= need {
                // SAFETY: a valid free header lies at `off`.
                unsafe { self.check_links(off)? };
                self.check_poison_taken(off, size, need)?;
                // SAFETY: its links were checked (debug) or are trusted as
                // in every unlink (release: writes masked into the region).
                unsafe { self.unlink(off) };
                return Ok(Some((off, word)));
            }
            // SAFETY: as above.
            off = unsafe { self.next_link(off) };
            budget -= 1;
        }
        Ok(None)
    }

    /// Hands out the front `need` bytes of the unlisted free block at `off`
    /// (size word `word`) and returns the payload; a remainder of at least
    /// 16 bytes becomes a free block, or the top chunk if it reaches the top.
    ///
    /// # Safety
    ///
    /// The block at `off` is free, off every list (a detached top chunk
    /// included), valid, and at least `need` bytes; `req` bytes fit in `need`.
    #[inline(always)]
    pub(super) unsafe fn carve(
        &mut self,
        off: u32,
        word: u32,
        need: u32,
        req: usize,
    ) -> NonNull<u8> {
        let size = word & SIZE_MASK;
        let rest = size - need;
        let taken = if rest >= MIN_BLOCK {
            // SAFETY: the remainder lies inside the block (caller); it is
            // free memory and becomes a free block whose previous block (the
            // one handed out) is used. The block after it already follows a
            // free block: only a 16-byte remainder changes what it must say.
            unsafe {
                if off + size == self.mapped {
                    self.place_top(off + need);
                } else {
                    self.place_free(off + need, rest);
                    if rest == MIN_BLOCK {
                        self.set_prev_bits(off + size, block::prev_bits_for(rest));
                    }
                }
            }
            need
        } else {
            // SAFETY: the header after the block is valid or is the top.
            unsafe { self.set_prev_bits(off + size, 0) };
            if DEBUG && off + size == self.mapped {
                // All of a detached top chunk goes: nothing fresh is left.
                self.fresh = self.mapped;
            }
            size
        };
        // SAFETY: the header at `off` is this block's.
        unsafe { self.wr(off + SIZE_AT, taken | USED | (word & PREV_BITS)) };
        self.used_bytes += taken;
        self.live += 1;
        // SAFETY: the block is used now, `req` fits (caller).
        unsafe { self.arm_canary(off, taken, req as u32) };
        // SAFETY: the payload starts inside the mapped heap, past a non-null base.
        unsafe { NonNull::new_unchecked(self.at(off + HEADER)) }
    }

    /// Makes `off..off+size` a free block: header, footer, list, and the
    /// previous-block bits of the block after it. A free block's own
    /// previous-block bits are always clear: its predecessor is used, or
    /// the two would have been merged.
    ///
    /// # Safety
    ///
    /// The range is free memory inside the heap, not on any list, at least
    /// 16 bytes; the blocks before and after it are used (or absent).
    #[inline(always)]
    pub(super) unsafe fn write_free(&mut self, off: u32, size: u32) {
        // SAFETY: by the caller.
        unsafe {
            self.place_free(off, size);
            self.set_prev_bits(off + size, block::prev_bits_for(size));
        }
    }

    /// As [`write_free`](Self::write_free) but leaves the block after it
    /// alone (for callers that know its previous-block bits are right).
    ///
    /// # Safety
    ///
    /// As for `write_free`.
    #[inline(always)]
    pub(super) unsafe fn place_free(&mut self, off: u32, size: u32) {
        if DEBUG && off + size > self.fresh {
            // Cut from the top chunk's fresh part, which holds no poison yet.
            let from = self.fresh.max(off + MIN_BLOCK);
            self.poison(from, (off + size).saturating_sub(from + 4));
        }
        // SAFETY: the range is the caller's free memory inside the heap.
        unsafe {
            self.wr(off, self.check_word(off));
            self.wr(off + SIZE_AT, size);
            if size > MIN_BLOCK {
                self.wr(off + size - 4, size);
            }
            self.insert(off, class::index_of(size));
        }
    }
}
