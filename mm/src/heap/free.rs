//! Freeing: validate the pointer, merge with free neighbours in constant
//! time, and give whole free pages at the top back.
//!
//! Every check happens before the first write. A pointer that is not the
//! payload of a used block is rejected with the reason: outside the heap,
//! misaligned, a double free, or (found by walking the heap, only on this
//! error path) an interior pointer or one into a free block.

use super::Heap;
use super::block::{self, DEBUG, HEADER, MAGIC, MIN_BLOCK, PAGE, CACHED, PREV_FREE, PREV_MIN, QUARANTINED, SIZE_AT, SIZE_MASK, USED};
use super::class;
use super::error::{Corruption, HeapError};
use super::grow::TRIM_SLACK;
use super::source::PageSource;

/// A used block that a caller handed back, validated.
#[derive(Clone, Copy)]
pub(super) struct Owned {
    /// Offset of its header.
    pub off: u32,
    /// Its size word.
    pub word: u32,
}

impl Owned {
    #[inline(always)]
    pub fn size(self) -> u32 {
        self.word & SIZE_MASK
    }
}

impl<S: PageSource> Heap<S> {
    /// Frees the allocation at `ptr`; null is a no-op. Constant time (plus
    /// unmapping, when whole pages at the top become free).
    ///
    /// Errors, each returned before anything is written: `OutsideHeap`,
    /// `Misaligned`, `Interior`, `DoubleFree`, `InFreeBlock`, `Quarantined`,
    /// `Corrupted` (this block's or a neighbour's header), `Overflow` (debug
    /// canary).
    ///
    /// # Safety
    ///
    /// If `ptr` is an allocation of this heap, nothing uses its memory
    /// after this call. (Any other value is detected and rejected.)
    #[inline]
    pub unsafe fn free(&mut self, ptr: *mut u8) -> Result<(), HeapError> {
        if ptr.is_null() {
            return Ok(());
        }
        let block = self.owned(ptr)?;
        self.check_canary(block)?;
        let next = self.free_after(block.off + block.size())?;
        // Only a block that would not merge is cached: caching never keeps
        // free neighbours apart.
        if next.is_some() || block.word & PREV_FREE != 0 || !self.cache_push(block) {
            let prev = self.free_before(block)?;
            self.used_bytes -= block.size();
            self.live -= 1;
            // SAFETY: both neighbours and their links were validated, and
            // nothing was written since.
            unsafe { self.merge_free(block, prev, next) };
        }
        if self.live == 0 && self.mapped != 0 {
            // The heap holds nothing: give it all back at once.
            self.empty()?;
        }
        Ok(())
    }

    /// Frees the validated used `block` into the free lists, merging it
    /// with its free neighbours (validated first: an error writes nothing).
    #[inline(always)]
    pub(super) fn free_owned(&mut self, block: Owned) -> Result<(), HeapError> {
        let next = self.free_after(block.off + block.size())?;
        let prev = self.free_before(block)?;
        self.used_bytes -= block.size();
        self.live -= 1;
        // SAFETY: both neighbours and their links were validated, and nothing
        // was written since.
        unsafe { self.merge_free(block, prev, next) };
        Ok(())
    }

    /// Turns `block` into a free block merged with its free neighbours
    /// (`prev` and `next` are their sizes), touching as little as it can:
    /// a previous block whose size class does not change keeps its list
    /// place, a next block's list place is taken over when the class stays,
    /// and the block after the merge is only updated when its bits change.
    ///
    /// # Safety
    ///
    /// `prev` and `next` came from `free_before(block)` and
    /// `free_after(end of block)`, and nothing changed since.
    #[inline(always)]
    unsafe fn merge_free(&mut self, block: Owned, prev: Option<u32>, next: Option<u32>) {
        let (off, end) = (block.off, block.off + block.size());
        let lo = off - prev.unwrap_or(0);
        let hi = end + next.unwrap_or(0);
        if hi == self.mapped && (lo == 0 || hi > (lo + TRIM_SLACK).next_multiple_of(PAGE)) {
            // Whole pages at the top become free: the general path trims.
            // SAFETY: as the caller promised.
            unsafe {
                self.absorb_neighbours(block, lo, hi);
                self.poison_freed(block, lo, hi);
                self.release(lo, hi);
            }
            return;
        }
        let size = hi - lo;
        // SAFETY: every offset written is inside `lo..hi` or is the header
        // after it, all inside the heap; list operations use checked links.
        unsafe {
            // Neighbours leave their lists first, while their links are intact.
            if next.is_some() {
                self.unlink(end);
            }
            if prev.is_some() {
                self.unlink(lo);
            }
            self.poison_freed(block, lo, hi);
            if next.is_some() {
                self.erase(end);
            }
            if prev.is_some() {
                self.erase(off);
            }
            self.wr(lo, MAGIC);
            self.wr(lo + SIZE_AT, size);
            if size > MIN_BLOCK {
                self.wr(hi - 4, size);
            }
            self.insert(lo, class::of(size));
            // The block after the merge says "previous free" already if it
            // followed the free next block, unless that one was 16 bytes.
            if next.is_none() || next == Some(MIN_BLOCK) {
                self.set_prev_bits(hi, block::prev_bits_for(size));
            }
        }
    }

    /// Validates that `ptr` is the payload of a used block of this heap.
    #[inline(always)]
    pub(super) fn owned(&self, ptr: *mut u8) -> Result<Owned, HeapError> {
        let addr = ptr.addr();
        let rel = addr.wrapping_sub(self.base.addr());
        if rel >= self.mapped as usize {
            return Err(HeapError::OutsideHeap { addr });
        }
        let rel = rel as u32;
        if !rel.is_multiple_of(8) {
            return Err(HeapError::Misaligned { addr });
        }
        if rel < HEADER {
            return Err(self.classify(rel));
        }
        let off = rel - HEADER;
        // SAFETY: `off + 8 <= rel < mapped` and `off` is 8-aligned.
        let (magic, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        if magic != MAGIC {
            return Err(self.classify(rel));
        }
        if word & (USED | CACHED | QUARANTINED) != USED {
            // Free, or freed into the cache: a double free; or quarantined.
            return Err(if word & QUARANTINED != 0 {
                HeapError::Quarantined { addr }
            } else {
                HeapError::DoubleFree { addr }
            });
        }
        if !self.size_ok(off, word & SIZE_MASK) {
            let what = Corruption::BadSize { size: word & SIZE_MASK };
            return Err(HeapError::Corrupted { addr: self.addr(off), what });
        }
        Ok(Owned { off, word })
    }

    /// If the block at `next` (or the top) is free, its size, after checking
    /// its header and links.
    #[inline(always)]
    pub(super) fn free_after(&self, next: u32) -> Result<Option<u32>, HeapError> {
        if next == self.mapped {
            return Ok(None);
        }
        // SAFETY: `next` is the end of a validated block below the top, so a
        // header lies there: blocks tile the heap and the smallest is 16 bytes.
        let (magic, word) = unsafe { (self.rd(next), self.rd(next + SIZE_AT)) };
        let corrupt = |what| Err(HeapError::Corrupted { addr: self.addr(next), what });
        if word & USED != 0 && magic == MAGIC {
            return Ok(None);
        }
        if magic != MAGIC {
            return corrupt(Corruption::BadMagic { found: magic });
        }
        let size = word & SIZE_MASK;
        if !self.size_ok(next, size) {
            return corrupt(Corruption::BadSize { size });
        }
        // SAFETY: a valid free header of `size` bytes lies at `next`.
        unsafe { self.check_links(next)? };
        Ok(Some(size))
    }

    /// If the block before `block` is free, its size, after checking its
    /// footer, header and links.
    #[inline(always)]
    pub(super) fn free_before(&self, block: Owned) -> Result<Option<u32>, HeapError> {
        if block.word & PREV_FREE == 0 {
            return Ok(None);
        }
        let off = block.off;
        let size = if block.word & PREV_MIN != 0 {
            MIN_BLOCK
        } else if off >= MIN_BLOCK {
            // SAFETY: `off - 4` is inside the heap and 4-aligned.
            unsafe { self.rd(off - 4) }
        } else {
            0
        };
        let corrupt = |at, what| Err(HeapError::Corrupted { addr: self.addr(at), what });
        if size < MIN_BLOCK || size % 8 != 0 || size > off {
            return corrupt(off, Corruption::BadSize { size });
        }
        let prev = off - size;
        // SAFETY: `prev + 16 <= off`: a whole minimum block lies at `prev`.
        let (magic, word) = unsafe { (self.rd(prev), self.rd(prev + SIZE_AT)) };
        if magic != MAGIC {
            return corrupt(prev, Corruption::BadMagic { found: magic });
        }
        if word & USED != 0 || word & SIZE_MASK != size {
            let what = Corruption::FooterMismatch { footer: size, size: word & SIZE_MASK };
            return corrupt(prev, what);
        }
        // SAFETY: a valid free header of `size` bytes lies at `prev`.
        unsafe { self.check_links(prev)? };
        Ok(Some(size))
    }

    /// Unlinks the free neighbours inside `lo..hi` and erases the headers
    /// and footers that end up inside the merged block, so a stale header
    /// can never pass for a live one.
    ///
    /// # Safety
    ///
    /// `lo..hi` is `block` merged with the free neighbours that
    /// `free_before` and `free_after` validated, and nothing changed since.
    #[inline(always)]
    pub(super) unsafe fn absorb_neighbours(&mut self, block: Owned, lo: u32, hi: u32) {
        let end = block.off + block.size();
        // SAFETY: each neighbour is a validated free block with checked links;
        // unlinking one keeps the other's links valid.
        unsafe {
            if hi != end {
                self.unlink(end);
                self.erase(end);
            }
            if lo != block.off {
                self.unlink(lo);
                self.erase(block.off);
            }
        }
    }

    /// Makes the header at `off`, now inside a bigger block, no header: a
    /// stale magic must never pass for a live block.
    ///
    /// # Safety
    ///
    /// `off` is 8-aligned inside the heap, in free memory.
    #[inline(always)]
    pub(super) unsafe fn erase(&mut self, off: u32) {
        if DEBUG {
            self.poison(off, HEADER);
        } else {
            // SAFETY: by the caller.
            unsafe { self.wr(off, 0) };
        }
    }

    /// Turns `lo..hi` into a free block, after giving whole pages at its
    /// end back if it reaches the top of the heap.
    ///
    /// # Safety
    ///
    /// `lo..hi` is free memory inside the heap that no list holds; the block
    /// before it is used (or absent); the block after it is used (or `hi` is
    /// the top).
    #[inline(always)]
    pub(super) unsafe fn release(&mut self, lo: u32, hi: u32) {
        // Only when whole pages become free at the top is there work to do.
        let trim = hi == self.mapped && (lo == 0 || hi > (lo + TRIM_SLACK).next_multiple_of(PAGE));
        let hi = if trim { self.trim_top(lo, TRIM_SLACK) } else { hi };
        if lo < hi {
            // SAFETY: by the caller; trimming kept `lo..hi` mapped and at
            // least a minimum block.
            unsafe { self.write_free(lo, hi - lo) };
        }
    }
}
