//! Growing and shrinking the heap at its top.
//!
//! ```text
//!   region base                                      mapped           limit
//!   |<-------------- blocks tile 0..mapped --------->|<--- unmapped --->|
//!   [used][free][used]..........[used][free top block]
//!                                     ^ grow: map pages here, merge them
//!                                       into the free top block (if any)
//!                                     ^ shrink: when the top block is free,
//!                                       unmap the whole pages it covers
//! ```
//!
//! Growth maps exactly the pages a request still lacks after the free top
//! block, all at once (all-or-nothing: the page source maps everything or
//! nothing, and the heap changes nothing before it has said yes). Shrinking
//! never leaves a free sliver below 16 bytes; when the whole heap is free
//! it goes back to 0 bytes mapped.

use super::Heap;
use super::block::{MAGIC, MIN_BLOCK, PAGE, PREV_FREE, PREV_MIN, SIZE_AT, SIZE_MASK, USED};
use super::cache::Cache;
use super::error::{Corruption, HeapError};
use super::lists::FreeLists;
use super::source::PageSource;

/// Free bytes kept mapped above the last used block when trimming (0: give
/// every whole free page back at once). See docs/kmalloc.md for the
/// measurement behind the choice.
pub(super) const TRIM_SLACK: u32 = 0;

impl<S: PageSource> Heap<S> {
    /// Grows the heap until a free block of at least `need` bytes ends at
    /// its top, and returns that block `(offset, size word)`, unlisted.
    /// `OutOfMemory` (with the heap unchanged) if the region is full or the
    /// source refuses.
    #[cold]
    #[inline(never)]
    pub(super) fn grow(&mut self, need: u32, req: usize) -> Result<(u32, u32), HeapError> {
        self.init_region();
        let (start, have) = self.top_free()?;
        if have < need {
            let bytes = (need - have).next_multiple_of(PAGE);
            let old_top = self.mapped;
            self.extend(bytes, req)?;
            if have > MIN_BLOCK {
                // The old top block's footer ends up inside the new block.
                self.poison(old_top - 4, 4);
            }
        }
        if have > 0 {
            // SAFETY: `top_free` checked the top block's header and links.
            unsafe { self.unlink(start) };
        }
        let size = self.mapped - start;
        // SAFETY: `start..mapped` is mapped free memory no list holds; the block
        // before it is used (a free top block's predecessor always is).
        unsafe {
            self.wr(start, MAGIC);
            self.wr(start + SIZE_AT, size);
        }
        // An unlisted free block, but a free block: the top says so.
        self.end_prev = super::block::prev_bits_for(size);
        Ok((start, size))
    }

    /// Maps `bytes` (a multiple of 4 KiB) more at the top. Changes nothing
    /// on failure.
    pub(super) fn extend(&mut self, bytes: u32, req: usize) -> Result<(), HeapError> {
        self.init_region();
        if bytes > self.limit - self.mapped {
            return Err(HeapError::OutOfMemory { size: req });
        }
        let pages = (bytes / PAGE) as usize;
        self.source
            .map(self.mapped as usize, pages)
            .map_err(|_| HeapError::OutOfMemory { size: req })?;
        let old_top = self.mapped;
        self.mapped += bytes;
        self.peak_mapped = self.peak_mapped.max(self.mapped);
        self.pages_grown += pages as u64;
        self.poison(old_top, bytes);
        Ok(())
    }

    /// The free block at the top, validated: `(offset, size)`, or
    /// `(mapped, 0)` when the last block is used or the heap is empty.
    pub(super) fn top_free(&self) -> Result<(u32, u32), HeapError> {
        let top = self.mapped;
        if self.end_prev & PREV_FREE == 0 {
            return Ok((top, 0));
        }
        let size = if self.end_prev & PREV_MIN != 0 {
            MIN_BLOCK
        } else if top >= MIN_BLOCK {
            // SAFETY: `top - 4` is a mapped word.
            unsafe { self.rd(top - 4) }
        } else {
            0
        };
        let corrupt = |at, what| Err(HeapError::Corrupted { addr: self.addr(at), what });
        if size < MIN_BLOCK || size % 8 != 0 || size > top {
            return corrupt(top - 4, Corruption::BadSize { size });
        }
        let start = top - size;
        // SAFETY: a whole minimum block lies at `start` inside the heap.
        let (magic, word) = unsafe { (self.rd(start), self.rd(start + SIZE_AT)) };
        if magic != MAGIC {
            return corrupt(start, Corruption::BadMagic { found: magic });
        }
        if word & USED != 0 || word & SIZE_MASK != size {
            return corrupt(start, Corruption::FooterMismatch { footer: size, size: word & SIZE_MASK });
        }
        // SAFETY: a valid free header of `size` bytes lies at `start`.
        unsafe { self.check_links(start)? };
        Ok((start, size))
    }

    /// The free range `lo..mapped` is about to become the top block: unmaps
    /// the whole pages of it above `lo + slack` and returns the new top.
    /// Never leaves a block below 16 bytes; if `lo == 0` everything goes.
    #[cold]
    pub(super) fn trim_top(&mut self, lo: u32, slack: u32) -> u32 {
        let cut = if lo == 0 {
            0
        } else {
            let cut = (lo + slack).next_multiple_of(PAGE);
            if cut > lo && cut - lo < MIN_BLOCK { cut + PAGE } else { cut }
        };
        if cut >= self.mapped {
            return self.mapped;
        }
        let pages = ((self.mapped - cut) / PAGE) as usize;
        // SAFETY: the pages `cut..mapped` were mapped by `extend` and are
        // free memory (caller): no allocation lies in them.
        unsafe { self.source.unmap(cut as usize, pages) };
        self.mapped = cut;
        self.pages_returned += pages as u64;
        if cut == lo {
            // The block before `lo` is used (or there is none).
            self.end_prev = 0;
        }
        cut
    }

    /// Called when no allocation is live: every block is free or cached, so
    /// the heap resets to empty and unmaps everything in one go instead of
    /// merging the cached blocks one by one. With quarantined blocks (which
    /// must stay) it merges the cache back instead.
    #[cold]
    pub(super) fn empty(&mut self) -> Result<(), HeapError> {
        if self.quarantined != 0 {
            return self.flush_cache();
        }
        let pages = (self.mapped / PAGE) as usize;
        // SAFETY: every page is mapped and holds no live allocation (`live == 0`).
        unsafe { self.source.unmap(0, pages) };
        self.pages_returned += pages as u64;
        self.mapped = 0;
        self.end_prev = 0;
        self.used_bytes = 0;
        self.lists = FreeLists::new();
        self.cache = Cache::new();
        Ok(())
    }

    /// Merges the small-block cache back and gives every whole free page at
    /// the top of the heap back now, with no slack. Returns the number of
    /// pages unmapped.
    pub fn trim(&mut self) -> Result<usize, HeapError> {
        self.flush_cache()?;
        let (start, size) = self.top_free()?;
        if size == 0 {
            return Ok(0);
        }
        let before = self.pages_returned;
        // SAFETY: `top_free` validated the block and its links.
        unsafe { self.unlink(start) };
        let hi = self.trim_top(start, 0);
        if start < hi {
            // SAFETY: `start..hi` is still mapped free memory, no list holds
            // it, at least 16 bytes; the block before it is used.
            unsafe { self.write_free(start, hi - start) };
        }
        Ok((self.pages_returned - before) as usize)
    }
}
