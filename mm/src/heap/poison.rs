//! Debug mode (feature `heap-debug`): poison in free memory, canaries after
//! every request. Without the feature every function here is an empty
//! inline call, so release code pays nothing.
//!
//! ```text
//!   used block (debug)                        free block (debug)
//!   | hdr 8 | payload: req bytes | FD FD .. | req u32 |   | hdr | links | DD DD DD .. DD | footer |
//!                                 ^ canary, >= 1 byte      ^ poison: all but header, links, footer
//! ```
//!
//! Freed memory is filled with `0xDD`; when it is handed out again the
//! bytes handed out are checked, so a write after free is reported with its
//! address. Every used block stores its request size in its last word, and
//! the bytes between the request and that word are `0xFD`; a write past the
//! end of an allocation is reported by `free`, `realloc` and `check`.
//!
//! Memory that was never handed out since its page was mapped (the top
//! chunk from `Heap::fresh` up) holds no poison and is not checked: no
//! pointer into it can be stale, and a buffer growing at the top would
//! otherwise fill and check every new page twice. Pages given back are not
//! filled either (in the kernel they are unmapped: a stale write faults).
//! Checks compare 64 bytes at a time. Cost: 5 more bytes per block before
//! rounding (usually one more 8-byte grain), and filling and checking
//! freed bytes, O(size) per free and per reuse.

use super::Heap;
use super::block::{CANARY, DEBUG, HEADER, MIN_BLOCK, POISON, QUARANTINED, SIZE_AT, USED};
use super::error::{Corruption, HeapError};
use super::source::PageSource;
use super::validate::Owned;

impl<S: PageSource> Heap<S> {
    /// Debug mode: fills `len` bytes at `off` with poison, except what
    /// lies above the mapped top (pages just given back).
    #[inline(always)]
    pub(super) fn poison(&mut self, off: u32, len: u32) {
        if DEBUG {
            let end = (off + len).min(self.mapped);
            if off < end {
                // SAFETY: callers pass free memory; the part inside the
                // mapped heap is filled.
                unsafe { self.at(off).write_bytes(POISON, (end - off) as usize) };
            }
        }
    }

    /// Debug mode: the first byte in `from..to` that differs from `value`.
    /// Compares 64 bytes at a time without an early exit inside them (so
    /// the compiler can use vector registers where the target has them),
    /// and bytes only at the two ends and inside the chunk that differs.
    fn first_unlike(&self, from: u32, to: u32, value: u8) -> Option<(u32, u8)> {
        const W: u32 = size_of::<usize>() as u32;
        const CHUNK: u32 = 64;
        let splat = usize::from_ne_bytes([value; size_of::<usize>()]);
        let bytes = |from: u32, to: u32| {
            (from..to).find_map(|off| {
                // SAFETY: callers pass ranges inside the mapped heap.
                let byte = unsafe { self.at(off).read() };
                (byte != value).then_some((off, byte))
            })
        };
        let body = from.next_multiple_of(W).min(to);
        if let Some(found) = bytes(from, body) {
            return Some(found);
        }
        let mut off = body;
        while off + CHUNK <= to {
            let words = self.at_words(off);
            let differ = (0..(CHUNK / W) as usize)
                // SAFETY: the aligned words of `off..off + CHUNK`, inside the range.
                .fold(0, |acc, i| acc | (unsafe { words.add(i).read() } ^ splat));
            if differ != 0 {
                return bytes(off, off + CHUNK);
            }
            off += CHUNK;
        }
        while off + W <= to {
            // SAFETY: an aligned word inside the range.
            if unsafe { self.at_words(off).read() } != splat {
                return bytes(off, off + W);
            }
            off += W;
        }
        bytes(off, to)
    }

    /// Debug mode: the word-aligned bytes at `off` as words.
    fn at_words(&self, off: u32) -> *const usize {
        debug_assert!(off.is_multiple_of(size_of::<usize>() as u32));
        // SAFETY: callers pass an offset inside the mapped heap; the base is
        // page-aligned, so an aligned offset is an aligned address.
        unsafe { self.at(off).cast::<usize>() }
    }

    /// Debug mode: checks that the part of the free block at `off` (`size`
    /// bytes) that the next `take` bytes hand out is still poison (the
    /// header, links and footer excepted). A block found written is
    /// quarantined, and the write reported.
    #[inline(always)]
    pub(super) fn check_poison_taken(
        &mut self,
        off: u32,
        size: u32,
        take: u32,
    ) -> Result<(), HeapError> {
        if !DEBUG {
            return Ok(());
        }
        let end = if size - take.min(size) >= MIN_BLOCK { off + take } else { off + size - 4 };
        self.check_free_interior(off, off + MIN_BLOCK, end).inspect_err(|_| {
            // SAFETY: the caller validated the block's header and links.
            unsafe { self.quarantine_free(off, size) }
        })
    }

    /// Debug mode: `from..to` inside the free block at `off` is poison.
    pub(super) fn check_free_interior(
        &self,
        off: u32,
        from: u32,
        to: u32,
    ) -> Result<(), HeapError> {
        match self.first_unlike(from, to, POISON) {
            None => Ok(()),
            Some((at, found)) => Err(HeapError::UseAfterFree {
                block: self.addr(off + HEADER),
                at: self.addr(at),
                found,
            }),
        }
    }

    /// Takes the listed free block at `off` out of circulation for good.
    ///
    /// # Safety
    ///
    /// A valid free block of `size` bytes with checked links lies at `off`.
    pub(super) unsafe fn quarantine_free(&mut self, off: u32, size: u32) {
        // SAFETY: by the caller.
        unsafe {
            self.unlink(off);
            self.wr(off + SIZE_AT, size | USED | QUARANTINED);
            self.set_prev_bits(off + size, 0);
        }
        self.quarantined += 1;
        self.quarantined_bytes += size;
    }

    /// Debug mode: writes the canary and the request size of a used block.
    ///
    /// # Safety
    ///
    /// A used block of `size` bytes lies at `off`, and `req` bytes plus
    /// the trailer fit in it.
    #[inline(always)]
    pub(super) unsafe fn arm_canary(&mut self, off: u32, size: u32, req: u32) {
        if DEBUG {
            let req = req.max(1);
            let from = off + HEADER + req;
            let to = off + size - 4;
            // SAFETY: `from..to` and the last word lie inside the block (caller).
            unsafe {
                self.at(from).write_bytes(CANARY, (to - from) as usize);
                self.wr(to, req);
            }
        }
    }

    /// Debug mode: the bytes the caller asked for, from the trailer;
    /// otherwise the whole payload.
    #[inline(always)]
    pub(super) fn payload_len(&self, block: Owned) -> u32 {
        if DEBUG {
            // SAFETY: `block` is a validated used block; its last word is inside it.
            unsafe { self.rd(block.off + block.size() - 4) }
        } else {
            block.size() - HEADER
        }
    }

    /// Debug mode: checks the canary of a used block.
    #[inline(always)]
    pub(super) fn check_canary(&self, block: Owned) -> Result<(), HeapError> {
        if !DEBUG {
            return Ok(());
        }
        let size = block.size();
        let req = self.payload_len(block);
        if req == 0 || req > size - HEADER - 5 {
            let what = Corruption::Trailer { size: req };
            return Err(HeapError::Corrupted { addr: self.addr(block.off + size - 4), what });
        }
        let from = block.off + HEADER + req;
        match self.first_unlike(from, block.off + size - 4, CANARY) {
            None => Ok(()),
            Some((at, found)) => Err(HeapError::Overflow {
                block: self.addr(block.off + HEADER),
                size: req as usize,
                at: self.addr(at),
                found,
            }),
        }
    }

    /// Debug mode: poisons what freeing `block` into `lo..hi` turns into the
    /// inside of a free block: the block past its header (which stays, or
    /// is erased when a previous block merges), the header and links of a
    /// merged next block, the footer of a merged previous block.
    #[inline(always)]
    pub(super) fn poison_freed(&mut self, block: Owned, lo: u32, hi: u32) {
        if DEBUG {
            let end = block.off + block.size();
            self.poison(block.off + HEADER, block.size() - HEADER);
            if hi != end {
                self.poison(end, MIN_BLOCK);
            }
            if lo != block.off && block.off - lo > MIN_BLOCK {
                self.poison(block.off - 4, 4);
            }
        }
    }
}
