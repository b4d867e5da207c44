//! Freeing: a validated block merges with its free neighbours in constant
//! time (boundary tags) and goes on the free list of its size. A block
//! just below the top chunk merges into it without touching a list, and
//! whole free pages at the top go back to the source; when nothing is live
//! any more, everything is one top chunk and every page goes back.
//!
//! ```text
//!   before:  [used][ free P ][ block ][ free N ][used]
//!   after:   [used][        one free block     ][used]   P's header stays,
//!                                                        block's and N's are erased
//!   at the top:  [used][ block ][ top chunk ]|  ->  [used][ top chunk      ]|
//! ```
//!
//! Every check (see `validate`) happens before the first write.

use super::Heap;
use super::block::{self, DEBUG, HEADER, MIN_BLOCK, SIZE_AT};
use super::class;
use super::error::HeapError;
use super::source::PageSource;
use super::validate::Owned;

impl<S: PageSource> Heap<S> {
    /// Frees the allocation at `ptr`; null is a no-op. Constant time (plus
    /// one `unmap` call when whole pages at the top become free, or when
    /// the last live allocation goes and the heap returns to 0 bytes).
    ///
    /// Errors, each returned before anything is written: `OutsideHeap`,
    /// `AboveTop`, `Misaligned`, `Interior`, `DoubleFree`, `InFreeBlock`,
    /// `Quarantined`, `Corrupted` (this block's, a neighbour's or the top
    /// chunk's header), `Overflow` (debug canary).
    ///
    /// Always inlined into its caller (the kernel's `kfree`), like
    /// `malloc`: a call, six saved registers and the 32-byte `Result`
    /// returned through memory were about 20 instructions per operation
    /// (docs/measurements.md).
    ///
    /// # Safety
    ///
    /// If `ptr` is an allocation of this heap, nothing uses its memory
    /// after this call. (Any other value is detected and rejected.)
    #[inline(always)]
    pub unsafe fn free(&mut self, ptr: *mut u8) -> Result<(), HeapError> {
        if ptr.is_null() {
            return Ok(());
        }
        let block = self.owned(ptr)?;
        self.check_canary(block)?;
        // When nothing is live any more, the block merges with everything
        // into one top chunk from offset 0, and every page goes back.
        self.free_owned(block)
    }

    /// [`free`](Self::free), not inlined: for the callers off the hot path
    /// (realloc when it moves a block), which need no copy of their own.
    ///
    /// # Safety
    ///
    /// As for `free`.
    #[inline(never)]
    pub(super) unsafe fn free_outlined(&mut self, ptr: *mut u8) -> Result<(), HeapError> {
        // SAFETY: by the caller.
        unsafe { self.free(ptr) }
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
    /// (`prev` and `next` are their sizes, 0 for a used one; `next` is the
    /// top chunk's if the block ends at it); the block after the merge is
    /// only updated when its previous-block bits change.
    ///
    /// # Safety
    ///
    /// `prev` and `next` came from `free_before(block)` and
    /// `free_after(end of block)`, and nothing changed since.
    #[inline(always)]
    unsafe fn merge_free(&mut self, block: Owned, prev: u32, next: u32) {
        let (off, end) = (block.off, block.off + block.size());
        let lo = off - prev;
        let hi = end + next;
        let size = hi - lo;
        // SAFETY: every offset written is inside `lo..hi` or is the header
        // after it, all inside the heap; list operations use checked links.
        unsafe {
            // The previous block leaves its list first, while its links are intact.
            if prev != 0 {
                self.unlink(lo);
                self.erase(off);
            }
            if end == self.top {
                // Into the top chunk: no list operation for it.
                if end != hi {
                    self.erase(end);
                }
                // Pages given back need no poison: trim first.
                self.set_top(lo);
                self.poison_freed(block, lo, hi);
                return;
            }
            if next != 0 {
                self.unlink(end);
                self.erase(end);
            }
            self.poison_freed(block, lo, hi);
            // The check word at `lo` is there: the block's own or the previous
            // block's, both validated.
            self.wr(lo + SIZE_AT, size);
            if size > MIN_BLOCK {
                self.wr(hi - 4, size);
            }
            self.insert(lo, class::index_of(size));
            // The block after the merge says "previous free" already if it
            // followed the free next block, unless that one was 16 bytes.
            if next == 0 || next == MIN_BLOCK {
                self.set_prev_bits(hi, block::prev_bits_for(size));
            }
        }
    }

    /// Makes the header at `off`, now inside a bigger block, no header: a
    /// stale check word must never pass for a live block.
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

    /// Turns `lo..hi` into a free block, or into the top chunk (giving
    /// its whole free pages back) if it reaches the top of the heap.
    ///
    /// # Safety
    ///
    /// `lo..hi` is free memory inside the heap, at least 16 bytes, that no
    /// list holds; the block before it is used (or absent); the block after
    /// it is used (or `hi` is the top).
    #[inline(always)]
    pub(super) unsafe fn release(&mut self, lo: u32, hi: u32) {
        // SAFETY: by the caller.
        unsafe {
            if hi == self.mapped {
                self.set_top(lo);
            } else {
                self.write_free(lo, hi - lo);
            }
        }
    }
}
