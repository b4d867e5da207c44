//! Walking the heap block by block from offset 0, for `check` and for the
//! error path of `free`, where it says exactly what a bad pointer is.
//!
//! A walk is linear in the number of blocks, so nothing on a fast path
//! uses it. Every header is validated before its size is followed, so a
//! walk stops at the first corruption and reports it.

use super::Heap;
use super::block::{HEADER, SIZE_AT, SIZE_MASK, USED};
use super::error::{Corruption, HeapError};
use super::source::PageSource;

/// One block met on a walk.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seen {
    pub off: u32,
    pub word: u32,
}

impl Seen {
    pub fn size(self) -> u32 {
        self.word & SIZE_MASK
    }
    pub fn used(self) -> bool {
        self.word & USED != 0
    }
}

/// A cursor over the blocks of a heap.
pub(super) struct Walk {
    off: u32,
}

impl Walk {
    pub fn new() -> Self {
        Walk { off: 0 }
    }

    /// The next block, `None` at the top, or the corruption that stops the walk.
    pub fn next<S: PageSource>(&mut self, heap: &Heap<S>) -> Option<Result<Seen, HeapError>> {
        let off = self.off;
        if off >= heap.mapped {
            return None;
        }
        let corrupt = |what| Some(Err(HeapError::Corrupted { addr: heap.addr(off), what }));
        // `off` is a multiple of 8 below the top, and the top is a multiple
        // of 4 KiB, so a whole header lies at `off`.
        // SAFETY: as just said.
        let (check, word) = unsafe { (heap.rd(off), heap.rd(off + SIZE_AT)) };
        if check != heap.check_word(off) {
            return corrupt(heap.bad_check(off, check));
        }
        let size = word & SIZE_MASK;
        if !heap.size_ok(off, size) {
            return corrupt(Corruption::BadSize { size });
        }
        self.off = off + size;
        Some(Ok(Seen { off, word }))
    }
}

impl<S: PageSource> Heap<S> {
    /// Says what the pointer at offset `rel` (8-aligned, inside the heap,
    /// not the payload of a valid used block) is, by finding its block.
    #[cold]
    #[inline(never)]
    pub(super) fn classify(&self, rel: u32) -> HeapError {
        let addr = self.addr(rel);
        let mut walk = Walk::new();
        while let Some(seen) = walk.next(self) {
            let seen = match seen {
                Ok(seen) => seen,
                Err(corruption) => return corruption,
            };
            if rel >= seen.off + seen.size() {
                continue;
            }
            let block = self.addr(seen.off + HEADER);
            return if !seen.used() {
                HeapError::InFreeBlock { addr, block: self.addr(seen.off) }
            } else {
                let offset = rel as isize - (seen.off + HEADER) as isize;
                HeapError::Interior { addr, block, offset }
            };
        }
        HeapError::OutsideHeap { addr }
    }
}
