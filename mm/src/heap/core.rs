//! The [`Heap`] itself: its state, construction, and statistics.
//!
//! All state lives in this struct (free-list heads and bitmaps included,
//! about 3 KiB), none in the heap memory, so a `Heap` can be built in a
//! `const` context and put in a `static` before any page is mapped. The
//! operations live in the files named after them.

use core::fmt;
use core::ptr;

use super::block::{CHECK_LOW, MAX_REGION, NIL, PAGE, check_key};
use super::lists::FreeLists;
use super::source::PageSource;

/// The kmalloc heap over the region of one [`PageSource`].
///
/// Allocations are at least 8-byte aligned and from 1 byte up to the
/// region's size; the heap grows by mapping pages when no free block fits
/// and gives whole free pages at its top back at once (0 bytes mapped when
/// nothing is live). It never allocates, never locks and never panics on
/// bad input: errors are [`HeapError`](super::HeapError) values. Not
/// thread-safe by itself: the kernel wraps it in an interrupt-saving lock.
pub struct Heap<S: PageSource> {
    pub(super) source: S,
    /// Start of the region; null until the first page is mapped.
    pub(super) base: *mut u8,
    /// Usable length of the region in bytes: a power of two (0 until the
    /// first mapping).
    pub(super) limit: u32,
    /// The key of every header's check word (`block::check_word`), from
    /// the page source's per-boot secret when the region is first used.
    pub(super) key: u32,
    /// `limit - 1` without the low two bits: masking a link offset with it
    /// keeps a write through a corrupted link inside the region.
    pub(super) link_mask: u32,
    /// Bytes mapped: the blocks tile `0..mapped`.
    pub(super) mapped: u32,
    /// Start of the top chunk, the free block `top..mapped` that no list
    /// holds (`top == mapped`: no top chunk). See `top.rs`.
    pub(super) top: u32,
    /// Debug mode: the top chunk's bytes from here to `mapped` have not
    /// been handed out since they were mapped, so they hold no poison and
    /// are not checked for it (at least `top + 16`, or `mapped`).
    pub(super) fresh: u32,
    pub(super) lists: FreeLists,
    /// Bytes in used blocks, headers included (quarantined blocks excluded).
    pub(super) used_bytes: u32,
    pub(super) live: u32,
    pub(super) quarantined: u32,
    pub(super) quarantined_bytes: u32,
    pub(super) peak_mapped: u32,
    pub(super) pages_grown: u64,
    pub(super) pages_returned: u64,
}

// SAFETY: the raw `base` pointer refers to the region that the page source
// gives this heap alone (the `PageSource` contract), so moving the heap to
// another thread moves sole ownership of that memory with it.
unsafe impl<S: PageSource + Send> Send for Heap<S> {}

/// A snapshot of the heap's counters; see [`Heap::stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HeapStats {
    /// Bytes of the region currently mapped.
    pub mapped_bytes: usize,
    /// The most bytes that were ever mapped at once.
    pub peak_mapped_bytes: usize,
    /// Bytes in used blocks, headers and rounding included.
    pub used_bytes: usize,
    /// Bytes in free blocks (mapped minus used minus quarantined).
    pub free_bytes: usize,
    /// Size of the largest free block, header included: a request of up to
    /// `largest_free - 8` bytes (less in debug mode) fits without growing.
    pub largest_free: usize,
    /// Allocations handed out and not freed.
    pub live_allocations: usize,
    /// Blocks taken out of circulation after corruption was found.
    pub quarantined_blocks: usize,
    /// Pages mapped since the heap was created (cumulative).
    pub pages_grown: u64,
    /// Pages given back since the heap was created (cumulative).
    pub pages_returned: u64,
}

impl<S: PageSource> Heap<S> {
    /// An empty heap over `source`'s region: nothing is mapped until the
    /// first allocation. Never fails, never touches the source.
    pub const fn new(source: S) -> Self {
        Heap {
            source,
            base: ptr::null_mut(),
            limit: 0,
            key: CHECK_LOW,
            link_mask: 0,
            mapped: 0,
            top: 0,
            fresh: 0,
            lists: FreeLists::new(),
            used_bytes: 0,
            live: 0,
            quarantined: 0,
            quarantined_bytes: 0,
            peak_mapped: 0,
            pages_grown: 0,
            pages_returned: 0,
        }
    }

    /// The page source (for its own counters and settings).
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The page source, mutably (e.g. to change a test frame budget).
    pub fn source_mut(&mut self) -> &mut S {
        &mut self.source
    }

    /// Counters and sizes. Constant time except `largest_free`, which looks
    /// at the top chunk and the blocks of the highest non-empty free list only.
    pub fn stats(&self) -> HeapStats {
        HeapStats {
            mapped_bytes: self.mapped as usize,
            peak_mapped_bytes: self.peak_mapped as usize,
            used_bytes: self.used_bytes as usize,
            free_bytes: (self.mapped - self.used_bytes - self.quarantined_bytes) as usize,
            largest_free: self.largest_free() as usize,
            live_allocations: self.live as usize,
            quarantined_blocks: self.quarantined as usize,
            pages_grown: self.pages_grown,
            pages_returned: self.pages_returned,
        }
    }

    /// Learns the region from the source the first time it is needed.
    pub(super) fn init_region(&mut self) {
        if self.base.is_null() {
            let region = self.source.region();
            self.key = check_key(self.source.boot_secret());
            self.base = region.base.as_ptr();
            // A power of two, so that a mask keeps any offset inside the region.
            let len = region.len.min(MAX_REGION as usize) as u32;
            self.limit = if len < PAGE { 0 } else { 1 << (31 - len.leading_zeros()) };
            self.link_mask = self.limit.wrapping_sub(1) & !3;
        }
    }

    /// The absolute address of offset `off` (for error reports).
    #[inline]
    pub(super) fn addr(&self, off: u32) -> usize {
        self.base.addr() + off as usize
    }

    /// The largest free block: the top chunk or the biggest block in the
    /// highest non-empty list.
    fn largest_free(&self) -> u32 {
        let mut best = self.top_size();
        let Some(class) = self.lists.highest() else { return best };
        let mut off = self.lists.head(class);
        // Bounded by the number of free blocks even if a link were broken.
        let mut budget = self.mapped / super::block::MIN_BLOCK;
        while off != NIL && budget > 0 && self.link_ok(off) {
            // SAFETY: `link_ok` checked that a whole minimum block lies at `off`
            // inside the mapped heap.
            let size = unsafe { self.size_of(off) };
            best = best.max(size);
            // SAFETY: as above.
            off = unsafe { self.next_link(off) };
            budget -= 1;
        }
        best
    }
}

impl<S: PageSource> fmt::Debug for Heap<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heap")
            .field("base", &self.base)
            .field("mapped", &self.mapped)
            .field("top", &self.top)
            .field("used_bytes", &self.used_bytes)
            .field("live", &self.live)
            .finish_non_exhaustive()
    }
}
