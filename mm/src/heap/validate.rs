//! Validation before anything is written: is a pointer handed back the
//! payload of a used block of this heap, and can its neighbours be merged?
//!
//! The fast path checks only what it must, each as one compare: the
//! pointer's range and alignment, the block's check word and state, and its
//! size against the heap top (so the neighbour's header is inside the
//! heap). A neighbour is merged only after its own check word, state and
//! size (and, for the previous block, its footer) check out; a used
//! neighbour is never written, so its header is not checked. When anything
//! fails, a cold path works out exactly what is wrong, walking the heap if
//! it must (`walk`).

use super::Heap;
use super::block::{
    HEADER, MIN_BLOCK, PREV_BITS, PREV_FREE, PREV_MIN, QUARANTINED, SIZE_AT, SIZE_MASK, STATE, USED,
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
        let rel = ptr.addr().wrapping_sub(self.base.addr());
        if rel >= self.mapped as usize || rel < HEADER as usize || !rel.is_multiple_of(8) {
            return Err(self.refuse(ptr));
        }
        let off = rel as u32 - HEADER;
        // SAFETY: `off + 8 <= rel < mapped` and `off` is 8-aligned.
        let (check, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        let size = word & SIZE_MASK;
        if check != self.check_word(off)
            || word & STATE != USED
            || size < MIN_BLOCK
            || off + size > self.top
        {
            return Err(self.refuse(ptr));
        }
        Ok(Owned { off, word })
    }

    /// Says exactly why `ptr` is not a used block's payload (`owned`
    /// refused it).
    #[cold]
    #[inline(never)]
    fn refuse(&self, ptr: *mut u8) -> HeapError {
        let addr = ptr.addr();
        let rel = addr.wrapping_sub(self.base.addr());
        if rel >= self.mapped as usize {
            return self.outside(addr);
        }
        let rel = rel as u32;
        if !rel.is_multiple_of(8) {
            return HeapError::Misaligned { addr };
        }
        if rel < HEADER {
            return self.classify(rel);
        }
        let off = rel - HEADER;
        // SAFETY: `off + 8 <= rel < mapped` and `off` is 8-aligned.
        let (check, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        if check != self.check_word(off) {
            return self.classify(rel);
        }
        if word & USED == 0 {
            return HeapError::DoubleFree { addr };
        }
        if word & QUARANTINED != 0 {
            return HeapError::Quarantined { addr };
        }
        // A reserved bit is set, or the size runs past the heap's top or
        // into the top chunk.
        let what = Corruption::BadSize { size: word & !PREV_BITS };
        HeapError::Corrupted { addr: self.addr(off), what }
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

    /// The size of the free block at `next`, the end of a validated block:
    /// the top chunk's (0 if there is none) when `next` is the top, after
    /// checking its header; a listed free block's after checking its header
    /// and links; 0 if the block at `next` is used.
    #[inline(always)]
    pub(super) fn free_after(&self, next: u32) -> Result<u32, HeapError> {
        if next == self.top {
            self.top_ok()?;
            return Ok(self.top_size());
        }
        // SAFETY: `next` is the end of a validated block, which ends at or
        // below the top (`owned`); below it, a header lies at `next`.
        let word = unsafe { self.rd(next + SIZE_AT) };
        if word & USED != 0 {
            return Ok(0);
        }
        // SAFETY: as above.
        let check = unsafe { self.rd(next) };
        let size = word & SIZE_MASK;
        if check != self.check_word(next) || !self.size_ok(next, size) || next + size > self.top {
            return Err(self.bad_free_header(next, check, word));
        }
        // SAFETY: a valid free header of `size` bytes lies at `next`.
        unsafe { self.check_links(next)? };
        Ok(size)
    }

    /// What is wrong with the free-looking header at `at` (`check`, `word`).
    #[cold]
    #[inline(never)]
    fn bad_free_header(&self, at: u32, check: u32, word: u32) -> HeapError {
        let what = if check != self.check_word(at) {
            self.bad_check(at, check)
        } else {
            Corruption::BadSize { size: word & SIZE_MASK }
        };
        HeapError::Corrupted { addr: self.addr(at), what }
    }

    /// If the block before `block` is free, its size (0 if not), after
    /// checking its footer, header and links.
    #[inline(always)]
    pub(super) fn free_before(&self, block: Owned) -> Result<u32, HeapError> {
        if block.word & PREV_FREE == 0 {
            return Ok(0);
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
        if size < MIN_BLOCK || !size.is_multiple_of(8) || size > off {
            let what = Corruption::BadSize { size };
            return Err(HeapError::Corrupted { addr: self.addr(off), what });
        }
        let prev = off - size;
        // SAFETY: `prev + 16 <= off`: a whole minimum block lies at `prev`.
        let (check, word) = unsafe { (self.rd(prev), self.rd(prev + SIZE_AT)) };
        if check != self.check_word(prev) || word & (USED | SIZE_MASK) != size {
            return Err(self.bad_prev(prev, size, check, word));
        }
        // SAFETY: a valid free header of `size` bytes lies at `prev`.
        unsafe { self.check_links(prev)? };
        Ok(size)
    }

    /// What is wrong with the previous block at `prev`, whose footer said `size`.
    #[cold]
    #[inline(never)]
    fn bad_prev(&self, prev: u32, size: u32, check: u32, word: u32) -> HeapError {
        let what = if check != self.check_word(prev) {
            self.bad_check(prev, check)
        } else {
            Corruption::FooterMismatch { footer: size, size: word & SIZE_MASK }
        };
        HeapError::Corrupted { addr: self.addr(prev), what }
    }
}
