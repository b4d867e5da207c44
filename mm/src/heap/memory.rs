//! Raw access to the words of the mapped heap: the only place that turns
//! an offset into a pointer and reads or writes through it.
//!
//! Every accessor is an `unsafe fn` whose contract is "the bytes are inside
//! the mapped part of the heap"; callers derive offsets from validated
//! headers, and every offset read back from heap memory (a size, a footer,
//! a link) is bounds-checked before it is followed, so even a corrupted heap
//! is never read or written outside its mapped pages.

use super::Heap;
use super::block::{MIN_BLOCK, NEXT_AT, PREV_AT, PREV_BITS, SIZE_AT, SIZE_MASK, check_word};
use super::error::Corruption;
use super::source::PageSource;

impl<S: PageSource> Heap<S> {
    /// The `u32` at offset `off`.
    ///
    /// # Safety
    ///
    /// `off` is a multiple of 4 and `off + 4 <= self.mapped`.
    #[inline(always)]
    pub(super) unsafe fn rd(&self, off: u32) -> u32 {
        debug_assert!(
            off.is_multiple_of(4) && off as u64 + 4 <= self.mapped as u64,
            "heap read at {off:#x}"
        );
        // SAFETY: by the caller the word lies in the mapped part of the
        // region, which the page source keeps readable; `base` is 4 KiB-aligned
        // so the word is aligned. Only raw pointers are used: no reference to
        // heap memory is ever created, so caller-held pointers stay valid.
        unsafe { self.base.add(off as usize).cast::<u32>().read() }
    }

    /// Writes the `u32` at offset `off`.
    ///
    /// # Safety
    ///
    /// As for [`rd`](Self::rd), and the word belongs to heap metadata or
    /// free memory, never to a live allocation's payload.
    #[inline(always)]
    pub(super) unsafe fn wr(&mut self, off: u32, value: u32) {
        debug_assert!(
            off.is_multiple_of(4) && off as u64 + 4 <= self.mapped as u64,
            "heap write at {off:#x}"
        );
        // SAFETY: as in `rd`; the word is writable mapped memory that no
        // allocation owns (caller's contract).
        unsafe { self.base.add(off as usize).cast::<u32>().write(value) }
    }

    /// Writes a free-list link word at `off`, an offset derived from a link
    /// that release mode does not check: the offset is masked into the
    /// region, so even a corrupted link cannot make the heap write outside
    /// its region (in the kernel, an unmapped page there faults loudly).
    #[inline(always)]
    pub(super) fn wr_link(&mut self, off: u32, value: u32) {
        debug_assert!(
            off.is_multiple_of(4) && off as u64 + 4 <= self.mapped as u64,
            "heap link write at {off:#x}"
        );
        // SAFETY: `link_mask` is the region's power-of-two length minus one,
        // 4-aligned, so the word lies inside the region the page source gave
        // this heap alone (a write to an unmapped part of it faults in the
        // kernel and is caught by a guarded arena on the host).
        unsafe { self.base.add((off & self.link_mask) as usize).cast::<u32>().write(value) }
    }

    /// A pointer to the byte at `off` (for copies, fills and payloads).
    ///
    /// # Safety
    ///
    /// `off <= self.mapped`.
    #[inline(always)]
    pub(super) unsafe fn at(&self, off: u32) -> *mut u8 {
        debug_assert!(off <= self.mapped);
        // SAFETY: by the caller the offset is inside (or one past) the mapped
        // part of the region, a single allocated object.
        unsafe { self.base.add(off as usize) }
    }

    /// The check word a header at offset `off` must start with.
    #[inline(always)]
    pub(super) fn check_word(&self, off: u32) -> u32 {
        check_word(off, self.key)
    }

    /// What is wrong with a header at `off` that starts with `found`.
    #[cold]
    pub(super) fn bad_check(&self, off: u32, found: u32) -> Corruption {
        Corruption::BadCheckWord { found, expected: self.check_word(off) }
    }

    /// The block size recorded in the header at `off`.
    ///
    /// # Safety
    ///
    /// `off + 8 <= self.mapped`, `off` a multiple of 8.
    #[inline(always)]
    pub(super) unsafe fn size_of(&self, off: u32) -> u32 {
        // SAFETY: by the caller.
        unsafe { self.rd(off + SIZE_AT) & SIZE_MASK }
    }

    /// The next-free link of the free block at `off`.
    ///
    /// # Safety
    ///
    /// A minimum block lies at `off`: `off + 16 <= self.mapped`.
    #[inline(always)]
    pub(super) unsafe fn next_link(&self, off: u32) -> u32 {
        // SAFETY: by the caller.
        unsafe { self.rd(off + NEXT_AT) }
    }

    /// The prev-free link of the free block at `off`.
    ///
    /// # Safety
    ///
    /// As for [`next_link`](Self::next_link).
    #[inline(always)]
    pub(super) unsafe fn prev_link(&self, off: u32) -> u32 {
        // SAFETY: by the caller.
        unsafe { self.rd(off + PREV_AT) }
    }

    /// Whether `link` may be followed: `NIL`, or an 8-aligned offset with a
    /// whole minimum block inside the mapped heap.
    #[inline(always)]
    pub(super) fn link_ok(&self, link: u32) -> bool {
        // NIL + 16 wraps to 0 (see `NIL`); no in-heap offset wraps.
        link.is_multiple_of(8) && link.wrapping_add(MIN_BLOCK) <= self.mapped
    }

    /// Whether `size` (a size word masked with `SIZE_MASK`, so a multiple
    /// of 8 below 2^30) can be the size of a block at `off` (below 2^29).
    #[inline(always)]
    pub(super) fn size_ok(&self, off: u32, size: u32) -> bool {
        size >= MIN_BLOCK && off + size <= self.mapped
    }

    /// Sets the previous-block bits of the header at `off` to `bits`;
    /// nothing at the top of the heap, where no header follows (the block
    /// before the top is used or is the top chunk).
    ///
    /// # Safety
    ///
    /// `off == self.mapped`, or a valid header lies at `off` inside the heap.
    #[inline(always)]
    pub(super) unsafe fn set_prev_bits(&mut self, off: u32, bits: u32) {
        if off != self.mapped {
            // SAFETY: by the caller.
            unsafe {
                let word = self.rd(off + SIZE_AT);
                self.wr(off + SIZE_AT, (word & !PREV_BITS) | bits);
            }
        }
    }
}
