//! The top chunk (dlmalloc's "wilderness"): the free block that ends at the
//! heap's mapped top. It is kept off the free lists, so the work at the top
//! of the heap, where a growing buffer or a heap filled in order spends its
//! time, is a boundary that moves rather than list operations.
//!
//! ```text
//!   0                                     top                     mapped
//!   [used][free][used] ........... [used][ check | size  (free)   ]|
//!                                        ^ malloc carves here when no listed block fits or
//!                                          this fits tighter, and maps pages when too small
//!                                        ^ a free of the block just below merges into it
//!                                        ^ realloc of that block moves the boundary
//!                                        whole free pages at its end are unmapped at once
//! ```
//!
//! Invariants (`check` verifies them): `top..mapped` is empty or at least
//! 16 bytes; if not empty it starts with a header: its check word, `size` (no flag
//! bits: free, and its predecessor is used) and has no links and no footer;
//! no list holds it; no other free block ends at `mapped`. Its position
//! comes from the `Heap`, never from heap memory, but its header is still
//! checked before it is merged or handed out, so a write over it is
//! reported like any other corrupted header.

use super::Heap;
use super::block::{DEBUG, HEADER, MIN_BLOCK, PAGE, QUARANTINED, SIZE_AT, USED};
use super::error::{Corruption, HeapError};
use super::grow::TRIM_SLACK;
use super::source::PageSource;

/// Where the free range `lo..` at the top is cut when trimming with
/// `slack` bytes kept: the first page boundary at or above `lo + slack`,
/// one page higher if that would leave a sliver below 16 bytes; 0 when
/// everything is free.
#[inline(always)]
pub(super) fn trim_cut(lo: u32, slack: u32) -> u32 {
    if lo == 0 {
        return 0;
    }
    let cut = (lo + slack).next_multiple_of(PAGE);
    if cut - lo < MIN_BLOCK && cut != lo { cut + PAGE } else { cut }
}

impl<S: PageSource> Heap<S> {
    /// Bytes in the top chunk (0: none).
    #[inline(always)]
    pub(super) fn top_size(&self) -> u32 {
        self.mapped - self.top
    }

    /// Checks the top chunk's header before it is merged or handed out.
    #[inline(always)]
    pub(super) fn top_ok(&self) -> Result<(), HeapError> {
        let (top, size) = (self.top, self.top_size());
        if size == 0 {
            return Ok(());
        }
        // SAFETY: a non-empty top chunk is at least 16 bytes inside the heap.
        let (check, word) = unsafe { (self.rd(top), self.rd(top + SIZE_AT)) };
        if check == self.check_word(top) && word == size {
            Ok(())
        } else {
            Err(self.bad_top(check))
        }
    }

    #[cold]
    fn bad_top(&self, check: u32) -> HeapError {
        let what = if check != self.check_word(self.top) {
            self.bad_check(self.top, check)
        } else {
            Corruption::Top { why: "its size word does not match the heap's top" }
        };
        HeapError::Corrupted { addr: self.addr(self.top), what }
    }

    /// Makes `lo..mapped` the top chunk as it is (no trimming).
    ///
    /// # Safety
    ///
    /// `lo..mapped` is free memory that no list holds, empty or at least
    /// 16 bytes, and the block before `lo` (if any) is used.
    #[inline(always)]
    pub(super) unsafe fn place_top(&mut self, lo: u32) {
        self.top = lo;
        if lo != self.mapped {
            // SAFETY: by the caller, a header fits at `lo` in free memory.
            unsafe {
                self.wr(lo, self.check_word(lo));
                self.wr(lo + SIZE_AT, self.mapped - lo);
            }
            // A merged free block's links lie there.
            self.poison(lo + HEADER, MIN_BLOCK - HEADER);
        }
        if DEBUG {
            self.fresh = self.fresh.max((lo + MIN_BLOCK).min(self.mapped));
        }
    }

    /// As [`place_top`](Self::place_top), after giving back the whole free
    /// pages of `lo..mapped` (see [`trim_cut`]).
    ///
    /// # Safety
    ///
    /// As for `place_top`.
    #[inline(always)]
    pub(super) unsafe fn set_top(&mut self, lo: u32) {
        let cut = trim_cut(lo, TRIM_SLACK);
        if cut < self.mapped {
            self.unmap_above(cut);
        }
        // SAFETY: by the caller; the cut leaves `lo..mapped` empty or >= 16 bytes.
        unsafe { self.place_top(lo) };
    }

    /// Takes `need` bytes (or all of it) from the top chunk: returns it as
    /// an unlisted free block `(offset, size word)` reaching `mapped`, which
    /// `carve` splits (the rest becomes the top chunk again). Grows the
    /// heap if the top chunk is too small and nothing else fits.
    #[inline(always)]
    pub(super) fn take_top(&mut self, need: u32, req: usize) -> Result<(u32, u32), HeapError> {
        if self.top_size() < need {
            return self.refill(need, req);
        }
        self.detach_top(need)
    }

    /// Validates the top chunk (of at least `need` bytes) and detaches it.
    /// A damaged top chunk is reported and dropped from circulation.
    #[inline(always)]
    pub(super) fn detach_top(&mut self, need: u32) -> Result<(u32, u32), HeapError> {
        let (off, size) = (self.top, self.top_size());
        if let Err(e) = self.top_ok() {
            self.top = self.mapped;
            return Err(e);
        }
        let take = if size - need >= MIN_BLOCK { need } else { size };
        self.check_top_taken(off + HEADER, off + take)?;
        self.top = self.mapped;
        Ok((off, size))
    }

    /// Nothing the constant-time search finds fits and the top chunk is too
    /// small: looks behind the first block of the request's own class
    /// (`take_fit_in_own_class`: the heap never grows while a free block
    /// would serve), then grows the top chunk.
    #[cold]
    #[inline(never)]
    fn refill(&mut self, need: u32, req: usize) -> Result<(u32, u32), HeapError> {
        if let Some(found) = self.take_fit_in_own_class(need)? {
            return Ok(found);
        }
        self.grow_top(need, req)?;
        self.detach_top(need)
    }

    /// Maps the pages the top chunk lacks for `need` bytes, all at once.
    /// `TooLarge` if `need` exceeds the whole region; `OutOfMemory` (the
    /// heap unchanged) if the region is full or the source refuses.
    fn grow_top(&mut self, need: u32, req: usize) -> Result<(), HeapError> {
        self.init_region();
        if need > self.limit {
            return Err(HeapError::TooLarge { size: req });
        }
        self.top_ok()?;
        let bytes = (need - self.top_size()).next_multiple_of(PAGE);
        self.extend(bytes, req)?;
        // SAFETY: the old top chunk (if any) and the fresh pages above it are
        // free memory no list holds; the block before `top` is used.
        unsafe { self.place_top(self.top) };
        Ok(())
    }

    /// Debug mode: the bytes `from..to` of the top chunk about to be handed
    /// out are still poison (up to `fresh`: the bytes above it were never
    /// handed out since they were mapped); if not, the top chunk is
    /// quarantined.
    #[inline(always)]
    pub(super) fn check_top_taken(&mut self, from: u32, to: u32) -> Result<(), HeapError> {
        if !DEBUG {
            return Ok(());
        }
        let top = self.top;
        self.check_free_interior(top, from, to.min(self.fresh)).inspect_err(|_| {
            let size = self.top_size();
            // SAFETY: the top chunk's header was validated; it leaves
            // circulation as a used block, and its predecessor is used.
            unsafe { self.wr(top + SIZE_AT, size | USED | QUARANTINED) };
            self.top = self.mapped;
            self.fresh = self.mapped;
            self.quarantined += 1;
            self.quarantined_bytes += size;
        })
    }

    /// Unmaps the pages `cut..mapped`, all free memory.
    #[cold]
    pub(super) fn unmap_above(&mut self, cut: u32) {
        let pages = ((self.mapped - cut) / PAGE) as usize;
        // SAFETY: the pages `cut..mapped` were mapped by `extend` and hold
        // no allocation (callers unmap free memory only).
        unsafe { self.source.unmap(cut as usize, pages) };
        self.mapped = cut;
        self.fresh = self.fresh.min(cut);
        self.pages_returned += pages as u64;
    }
}
