//! Validation before anything is written: is a pointer handed back the
//! payload of a used block of this heap, and can its neighbours be merged?
//!
//! The fast path checks only what it must: the pointer's range and
//! alignment, the block's check word and state, and its size against the heap
//! top (so the neighbour's header is inside the heap). A neighbour is
//! merged only after its own check word, state and size (and, for the previous
//! block, its footer) check out. Anything else is classified precisely by
//! walking the heap, on the error path only (`walk`).

use super::Heap;
use super::block::{
    CACHED, HEADER, MIN_BLOCK, PREV_FREE, PREV_MIN, QUARANTINED, SIZE_AT, SIZE_MASK, USED,
};
use super::error::{Corruption, HeapError};
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
    /// Validates that `ptr` is the payload of a used block of this heap.
    #[inline(always)]
    pub(super) fn owned(&self, ptr: *mut u8) -> Result<Owned, HeapError> {
        let addr = ptr.addr();
        let rel = addr.wrapping_sub(self.base.addr());
        if rel >= self.mapped as usize {
            return Err(self.outside(addr));
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
        let (check, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        if check != self.check_word(off) {
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

    /// Says why a pointer at or above the mapped top is not the heap's: above
    /// the top but inside the region, or outside the region altogether.
    #[cold]
    #[inline(never)]
    fn outside(&self, addr: usize) -> HeapError {
        let region = self.source.region();
        let base = region.base.as_ptr().addr();
        if addr.wrapping_sub(base) < region.len {
            HeapError::AboveTop { addr, top: base + self.mapped as usize }
        } else {
            HeapError::OutsideHeap { addr }
        }
    }

    /// If the block at `next` is free, its size, after checking its header
    /// and links; if `next` is the top chunk, its size (0 if it is empty),
    /// after checking its header. `None` if the block at `next` is used.
    #[inline(always)]
    pub(super) fn free_after(&self, next: u32) -> Result<Option<u32>, HeapError> {
        if next == self.top {
            self.top_ok()?;
            return Ok(Some(self.top_size()));
        }
        // SAFETY: `next` is the end of a validated block below the top, so a
        // header lies there: blocks tile the heap and the smallest is 16 bytes.
        let (check, word) = unsafe { (self.rd(next), self.rd(next + SIZE_AT)) };
        let corrupt = |what| Err(HeapError::Corrupted { addr: self.addr(next), what });
        let check_ok = check == self.check_word(next);
        if word & USED != 0 && check_ok {
            return Ok(None);
        }
        if !check_ok {
            return corrupt(self.bad_check(next, check));
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
        let (check, word) = unsafe { (self.rd(prev), self.rd(prev + SIZE_AT)) };
        if check != self.check_word(prev) {
            return corrupt(prev, self.bad_check(prev, check));
        }
        if word & USED != 0 || word & SIZE_MASK != size {
            let what = Corruption::FooterMismatch { footer: size, size: word & SIZE_MASK };
            return corrupt(prev, what);
        }
        // SAFETY: a valid free header of `size` bytes lies at `prev`.
        unsafe { self.check_links(prev)? };
        Ok(Some(size))
    }
}
