//! The small-block cache: recently freed small blocks wait in one LIFO
//! list per exact size, still marked used, so the next request of that
//! size takes one back in a few instructions, without splitting, merging
//! or touching a neighbour (the idea of glibc's tcache).
//!
//! ```text
//!   heads[size / 8] --> [hdr: check | USED|CACHED size][next] --> ... --> NIL
//!   counts[size / 8] <= CAP
//! ```
//!
//! Only a block with no free neighbour is cached (one that would merge is
//! freed normally), so caching never keeps free memory apart. A cached
//! block keeps its header and is `USED | CACHED`: a neighbour never merges
//! with it, a second free of it is a double free. The cache gives its
//! blocks back to the free lists (merging as a plain free would) before
//! the heap grows and on `trim`, so it never makes the heap map a page it
//! would not otherwise map; when the last live allocation is freed the
//! whole heap, cache included, resets to 0 bytes mapped at once. The cache
//! holds at most `MAX_BLOCKS` blocks, which bounds the work of one flush.
//! In debug mode a cached block is poisoned past its link, and checked
//! when it is handed out again.

use super::Heap;
use super::block::{CACHED, DEBUG, HEADER, NEXT_AT, NIL, QUARANTINED, SIZE_AT, SIZE_MASK, USED};
use super::error::{Corruption, HeapError};
use super::source::PageSource;
use super::validate::Owned;

/// The largest block size cached. See docs/measurements.md for the measurement.
pub(super) const CACHE_MAX: u32 = 1024;
/// Blocks cached per size at most.
pub(super) const CAP: u16 = 256;
/// Blocks cached at most (all sizes together): bounds the work of a flush.
pub(super) const MAX_BLOCKS: u32 = 4096;
const SIZES: usize = (CACHE_MAX / 8) as usize + 1;

/// The cache lists: one head and count per block size (in units of 8).
pub(super) struct Cache {
    heads: [u32; SIZES],
    counts: [u16; SIZES],
    /// Blocks in all lists.
    pub(super) blocks: u32,
    /// Bytes in all lists.
    pub(super) bytes: u32,
}

impl Cache {
    pub(super) const fn new() -> Self {
        Cache { heads: [NIL; SIZES], counts: [0; SIZES], blocks: 0, bytes: 0 }
    }

    /// The first cached block of `size` bytes (a multiple of 8 up to `CACHE_MAX`).
    pub(super) fn head(&self, size: u32) -> u32 {
        self.heads[(size / 8) as usize]
    }

    /// How many blocks of `size` bytes are cached.
    pub(super) fn count(&self, size: u32) -> u16 {
        self.counts[(size / 8) as usize]
    }
}

impl<S: PageSource> Heap<S> {
    /// Caches the validated used `block` if it is small and its list has
    /// room; returns whether it did.
    #[inline(always)]
    pub(super) fn cache_push(&mut self, block: Owned) -> bool {
        let size = block.size();
        let i = (size / 8) as usize;
        if size > CACHE_MAX || self.cache.counts[i] >= CAP || self.cache.blocks >= MAX_BLOCKS {
            return false;
        }
        let off = block.off;
        let head = self.cache.heads[i];
        // SAFETY: `block` is a validated used block of at least 16 bytes.
        unsafe {
            self.wr(off + SIZE_AT, block.word | CACHED);
            self.wr(off + NEXT_AT, head);
        }
        if DEBUG {
            self.poison(off + NEXT_AT + 4, size - NEXT_AT - 4);
        }
        self.cache.heads[i] = off;
        self.cache.counts[i] += 1;
        self.cache.blocks += 1;
        self.cache.bytes += size;
        self.used_bytes -= size;
        self.live -= 1;
        true
    }

    /// Takes the first cached block of exactly `need` bytes, if any, and
    /// returns its payload. A damaged entry is reported and its list dropped
    /// (or, debug mode, a block written after free is quarantined).
    #[inline(always)]
    pub(super) fn cache_pop(
        &mut self,
        need: u32,
        req: usize,
    ) -> Option<Result<*mut u8, HeapError>> {
        let i = (need / 8) as usize;
        let off = self.cache.heads[i];
        if off == NIL {
            return None;
        }
        let word = match self.cached_entry(off, need) {
            Ok(word) => word,
            Err(e) => {
                self.drop_cache_list(i);
                return Some(Err(e));
            }
        };
        // SAFETY: `cached_entry` checked a valid cached block lies at `off`.
        let next = unsafe { self.rd(off + NEXT_AT) };
        self.cache.heads[i] = next;
        self.cache.counts[i] -= 1;
        self.cache.blocks -= 1;
        self.cache.bytes -= need;
        if DEBUG {
            let end = off + need;
            if let Err(e) = self.check_free_interior(off, off + NEXT_AT + 4, end) {
                // SAFETY: the block is valid and off every list.
                unsafe { self.wr(off + SIZE_AT, (word & !CACHED) | QUARANTINED) };
                self.quarantined += 1;
                self.quarantined_bytes += need;
                return Some(Err(e));
            }
        }
        // SAFETY: the block is valid, off the cache, and `need` bytes long.
        unsafe {
            self.wr(off + SIZE_AT, word & !CACHED);
            self.arm_canary(off, need, req as u32);
        }
        self.used_bytes += need;
        self.live += 1;
        // SAFETY: the payload lies inside the mapped heap.
        Some(Ok(unsafe { self.at(off + HEADER) }))
    }

    /// Validates the cached block at `off` of list `size`; returns its size word.
    #[inline(always)]
    pub(super) fn cached_entry(&self, off: u32, size: u32) -> Result<u32, HeapError> {
        // Cache heads and links are checked with `link_ok` before they are stored.
        // SAFETY: a minimum block lies at `off` inside the heap.
        let (check, word) = unsafe { (self.rd(off), self.rd(off + SIZE_AT)) };
        // SAFETY: as above.
        let next = unsafe { self.rd(off + NEXT_AT) };
        let what = if check != self.check_word(off) {
            self.bad_check(off, check)
        } else if word & (USED | CACHED | QUARANTINED) != USED | CACHED || word & SIZE_MASK != size
        {
            Corruption::BadSize { size: word }
        } else if !self.link_ok(next) {
            Corruption::BadLink { link: next }
        } else {
            return Ok(word);
        };
        Err(HeapError::Corrupted { addr: self.addr(off), what })
    }

    #[cold]
    fn drop_cache_list(&mut self, i: usize) {
        self.cache.blocks -= self.cache.counts[i] as u32;
        self.cache.bytes -= self.cache.counts[i] as u32 * i as u32 * 8;
        self.cache.counts[i] = 0;
        self.cache.heads[i] = NIL;
    }

    /// Gives every cached block back to the free lists, merging each with
    /// its free neighbours as a plain free does. Linear in the cached
    /// blocks; each block is flushed at most once per time it was cached.
    #[cold]
    #[inline(never)]
    pub(super) fn flush_cache(&mut self) -> Result<(), HeapError> {
        for i in 0..SIZES {
            while self.cache.heads[i] != NIL {
                let off = self.cache.heads[i];
                let size = i as u32 * 8;
                let word = match self.cached_entry(off, size) {
                    Ok(word) => word,
                    Err(e) => {
                        self.drop_cache_list(i);
                        return Err(e);
                    }
                };
                // SAFETY: `cached_entry` validated the block and its link.
                unsafe {
                    self.cache.heads[i] = self.rd(off + NEXT_AT);
                    self.wr(off + SIZE_AT, word & !CACHED);
                }
                self.cache.counts[i] -= 1;
                self.cache.blocks -= 1;
                self.cache.bytes -= size;
                self.used_bytes += size;
                self.live += 1;
                self.free_owned(Owned { off, word: word & !CACHED })?;
            }
        }
        Ok(())
    }
}
