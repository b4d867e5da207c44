//! `realloc`: resize in place whenever the neighbours allow, else move.
//!
//! In order of preference:
//!
//! ```text
//!   shrink:              [ block |tail]      -> tail freed (merged with a free next)
//!   grow into next:      [ block ][ free  ]  -> block takes what it needs of it
//!   at the top chunk:    [ block ][ top ]|   -> the boundary moves, either way;
//!                                               growing maps the pages it lacks
//!   slide down:          [ free ][ block ][ free? ] -> the data moves down into
//!                                               the free space before it
//!   otherwise:           allocate elsewhere, copy, free the old block
//! ```
//!
//! Staying within the space a block and its free neighbours already span
//! keeps the heap small: a buffer growing between small blocks does not
//! leave a hole behind every time it moves. With little RAM it matters
//! more: moving a block elsewhere needs both copies at once.

use core::ptr::{self, NonNull};

use super::Heap;
use super::block::{self, GRAIN, HEADER, MAX_ALIGN, MIN_BLOCK, PAGE, PREV_BITS, SIZE_AT, USED};
use super::error::HeapError;
use super::source::PageSource;
use super::validate::Owned;

impl<S: PageSource> Heap<S> {
    /// Resizes the allocation at `ptr` to `size` bytes, keeping its contents
    /// up to the smaller size; returns the (possibly moved) allocation.
    /// `realloc(null, n)` is `malloc(n)`; `size == 0` is treated as 1: the
    /// block shrinks to the minimum and stays allocated (free it with
    /// [`free`](Self::free)). On any error the old allocation is untouched
    /// and still valid. Only 8-byte alignment is kept when the block moves;
    /// see [`realloc_aligned`](Self::realloc_aligned).
    ///
    /// # Safety
    ///
    /// If `ptr` is an allocation of this heap, nothing uses it through the
    /// old pointer once this returns `Ok` with a different pointer.
    #[inline]
    pub unsafe fn realloc(&mut self, ptr: *mut u8, size: usize) -> Result<NonNull<u8>, HeapError> {
        // SAFETY: the caller's contract is the same.
        unsafe { self.realloc_aligned(ptr, size, GRAIN as usize) }
    }

    /// As [`realloc`](Self::realloc), and the result is aligned to `align`
    /// (a power of two up to 4096) even when the block moves.
    ///
    /// # Safety
    ///
    /// As for [`realloc`](Self::realloc).
    #[inline]
    pub unsafe fn realloc_aligned(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
    ) -> Result<NonNull<u8>, HeapError> {
        if !align.is_power_of_two() || align > MAX_ALIGN {
            return Err(HeapError::BadAlignment { align });
        }
        if ptr.is_null() {
            return self.malloc_aligned(size, align);
        }
        let block = self.owned(ptr)?;
        self.check_canary(block)?;
        let need = block::block_size(size).ok_or(HeapError::TooLarge { size })?;
        if ptr.addr().is_multiple_of(align) && self.resize_in_place(block, need, size)? {
            // SAFETY: `ptr` is not null (checked above).
            return Ok(unsafe { NonNull::new_unchecked(ptr) });
        }
        if let Some(moved) = self.slide_down(block, need, size, align)? {
            return Ok(moved);
        }
        let keep = (self.payload_len(block) as usize).min(size);
        // An allocation that fails changes nothing: the block stays valid.
        let new = self.malloc_aligned(size, align)?;
        // SAFETY: both are live allocations of at least `keep` bytes, distinct
        // blocks, so they do not overlap.
        unsafe { ptr::copy_nonoverlapping(ptr, new.as_ptr(), keep) };
        // SAFETY: `ptr` is a used block of this heap whose contents now live
        // at `new`; the caller stops using `ptr`.
        unsafe { self.free_outlined(ptr)? };
        Ok(new)
    }

    /// Resizes `block` to `need` bytes without moving it, if the next block
    /// or the top of the heap allows. `Ok(false)` if it cannot.
    #[inline]
    fn resize_in_place(&mut self, block: Owned, need: u32, req: usize) -> Result<bool, HeapError> {
        let (off, size) = (block.off, block.size());
        let end = off + size;
        if end == self.top {
            return self.resize_at_top(block, need, req);
        }
        // Not at the top: the next block is used or a listed free block.
        let nsize = self.free_after(end)?;
        if need <= size {
            let (lo, hi) = (off + need, end + nsize);
            if lo < end && hi - lo >= MIN_BLOCK {
                // SAFETY: the next block (if free) was validated by `free_after`.
                unsafe { self.absorb_next(end, nsize) };
                self.poison(lo, end - lo);
                self.set_used(block, need);
                // SAFETY: `lo..hi` is free memory no list holds, between used blocks.
                unsafe { self.write_free(lo, hi - lo) };
            }
            // SAFETY: the block is used and `req` fits its (possibly new) size.
            unsafe { self.arm_canary(off, self.size_of(off), req as u32) };
            return Ok(true);
        }
        if size + nsize < need {
            return Ok(false);
        }
        self.check_poison_taken(end, nsize, need - size)?;
        // SAFETY: validated by `free_after`.
        unsafe { self.absorb_next(end, nsize) };
        self.split_used(block, size + nsize, need, req);
        Ok(true)
    }

    /// Resizes `block`, which ends at the top chunk, by moving the boundary
    /// between them; maps the pages it lacks. `Ok(false)` if the pages
    /// cannot be had.
    #[inline(always)]
    fn resize_at_top(&mut self, block: Owned, need: u32, req: usize) -> Result<bool, HeapError> {
        let (off, size) = (block.off, block.size());
        let end = off + size;
        self.top_ok()?;
        let had_top = end != self.mapped;
        if need > size && had_top {
            // Debug mode: what the block takes of the top chunk, and the
            // bytes where the new top header goes, must still be poison.
            self.check_top_taken(end + HEADER, off + need + MIN_BLOCK)?;
        }
        let avail = self.mapped - off;
        if need > avail && self.extend((need - avail).next_multiple_of(PAGE), req).is_err() {
            return Ok(false);
        }
        let avail = self.mapped - off;
        let keep = if avail - need >= MIN_BLOCK { need } else { avail };
        if had_top && keep != size {
            // SAFETY: the old top chunk's header ends up inside the block or
            // inside the new top chunk.
            unsafe { self.erase(end) };
        }
        // SAFETY: `off + keep..mapped` is free memory no list holds, after the
        // used block, empty or at least 16 bytes. Only a shrink can leave
        // whole free pages to give back.
        unsafe {
            if keep < size {
                self.poison(off + keep, size - keep);
                self.set_used(block, keep);
                self.set_top(off + keep);
            } else if keep > size {
                self.set_used(block, keep);
                self.place_top(off + keep);
            }
        }
        // SAFETY: the block is used and `req` fits its size.
        unsafe { self.arm_canary(off, keep, req as u32) };
        Ok(true)
    }

    /// When the block cannot grow where it is: moves the data down into the
    /// free block just before it (merging the free block after it too) if
    /// together they are big enough and the new start has the alignment.
    /// Copying down keeps the heap small: a buffer growing between small
    /// blocks moves into the space it and its free neighbours span instead
    /// of to a fresh place above everything.
    fn slide_down(
        &mut self,
        block: Owned,
        need: u32,
        req: usize,
        align: usize,
    ) -> Result<Option<NonNull<u8>>, HeapError> {
        let psize = self.free_before(block)?;
        if psize == 0 {
            return Ok(None);
        }
        let (off, size) = (block.off, block.size());
        let (lo, end) = (off - psize, off + size);
        let next = self.free_after(end)?;
        let total = psize + size + next;
        if total < need || !((lo + HEADER) as usize).is_multiple_of(align) {
            return Ok(None);
        }
        self.check_poison_taken(lo, psize, psize)?;
        let keep = self.payload_len(block).min(req as u32);
        // SAFETY: both neighbours were validated; the previous block is
        // unlinked and becomes the front of the moved block, and the top
        // chunk, if it follows, is detached into it.
        unsafe {
            if end == self.top {
                if end != self.mapped {
                    self.erase(end);
                }
                self.top = self.mapped;
                // Poisoned below up to the top, fresh part included.
                self.fresh = self.mapped;
            } else {
                self.absorb_next(end, next);
            }
            self.unlink(lo);
            self.wr(off, 0);
            ptr::copy(self.at(off + HEADER), self.at(lo + HEADER), keep as usize);
            self.wr(lo + SIZE_AT, size | USED);
        }
        let moved = Owned { off: lo, word: size | USED };
        self.poison(lo + HEADER + keep, total - HEADER - keep);
        self.split_used(moved, total, need, req);
        // SAFETY: the payload lies inside the mapped heap, past a non-null base.
        Ok(Some(unsafe { NonNull::new_unchecked(self.at(lo + HEADER)) }))
    }

    /// Unlinks the free block at `end` (if `next` says there is one) and
    /// erases its header, which ends up inside another block.
    ///
    /// # Safety
    ///
    /// `next` came from `free_after(end)` and nothing changed since.
    unsafe fn absorb_next(&mut self, end: u32, next: u32) {
        if next != 0 {
            // SAFETY: by the caller.
            unsafe {
                self.unlink(end);
                self.erase(end);
            }
            self.poison(end, MIN_BLOCK);
        }
    }

    /// The used `block` now spans `total` bytes; keeps `need` of them and
    /// frees a remainder of at least 16 bytes (or keeps it all).
    #[inline]
    fn split_used(&mut self, block: Owned, total: u32, need: u32, req: usize) {
        let off = block.off;
        let keep = if total - need >= MIN_BLOCK { need } else { total };
        self.set_used(block, keep);
        // SAFETY: `off + keep .. off + total` is free memory inside the heap
        // that no list holds (unlinked or freshly mapped), after a used block.
        unsafe {
            if keep < total {
                self.release(off + keep, off + total);
            } else {
                self.set_prev_bits(off + total, 0);
            }
            self.arm_canary(off, keep, req as u32);
        }
    }

    /// Sets the size of the used `block` to `size`, keeping the counters.
    fn set_used(&mut self, block: Owned, size: u32) {
        // SAFETY: `block` is a validated used block; its header is inside the heap.
        unsafe { self.wr(block.off + SIZE_AT, size | USED | (block.word & PREV_BITS)) };
        self.used_bytes = self.used_bytes - block.size() + size;
    }
}
