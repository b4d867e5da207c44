//! Page-granular allocation of kernel virtual address space.
//!
//! Allocating address space is a separate step from allocating frames,
//! so a driver can bring its own (device) frames and
//! only needs somewhere to map them. This runs before the heap exists, so
//! it keeps its free space in a fixed array of at most `N` (default 64)
//! sorted, non-adjacent free spans, and allocates first-fit:
//!
//! ```text
//!  region:  |####|......|##|..........|####|......|     # allocated
//!  free[]:       [s0,n0]    [s1,  n1]      [s2,n2]      . free
//! ```
//!
//! Allocation only shrinks or removes a span, so it never needs a slot.
//! Freeing merges with both neighbours when they touch; a free that
//! touches neither needs a new slot, and when all `N` are taken it is
//! refused with [`FreeRefusal::TableFull`] and nothing changes (the caller
//! keeps the range; address space is leaked, not corrupted).

#![forbid(unsafe_code)]

use super::error::{AllocError, FreeRangeError, FreeRefusal};
use super::range::VRange;
use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::frame::Page;
use crate::layout::{VRANGE_END, VRANGE_START};

const _: () = assert!(VRANGE_START.is_aligned(PAGE_SIZE) && VRANGE_END.is_aligned(PAGE_SIZE));
const _: () = assert!(VRANGE_START.as_u32() < VRANGE_END.as_u32());

/// Free pages `start..start + pages` (page numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Span {
    start: u32,
    pages: u32,
}

impl Span {
    const fn end(self) -> u32 {
        self.start + self.pages
    }
}

/// Where a free lands: what it merges with, or where it is inserted.
enum Placement {
    Between(usize),
    AfterPrev(usize),
    BeforeNext(usize),
    Insert(usize),
}

/// Hands out page-granular ranges of one virtual region.
#[derive(Debug)]
pub struct VRangeAllocator<const N: usize = 64> {
    region: Span,
    free: [Span; N],
    len: usize,
}

impl VRangeAllocator {
    /// An allocator for the kernel's range region
    /// (`layout::VRANGE_START..VRANGE_END`), all free.
    pub const fn new() -> Self {
        Self::with_region(Page::containing(VRANGE_START), Page::containing(VRANGE_END))
    }
}

impl Default for VRangeAllocator {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> VRangeAllocator<N> {
    /// An allocator for pages `start..end`, all free. Panics (at compile
    /// time in a `const`) if the region is empty or `N` is 0.
    pub const fn with_region(start: Page, end: Page) -> Self {
        let (start, end) = (start.start().as_u32() / PAGE_SIZE, end.start().as_u32() / PAGE_SIZE);
        assert!(start < end, "empty virtual range region");
        assert!(N > 0, "a free-span table needs at least one slot");
        let region = Span { start, pages: end - start };
        let mut free = [Span { start: 0, pages: 0 }; N];
        free[0] = region;
        Self { region, free, len: 1 }
    }

    /// A range of `pages` pages, the lowest that fits (first fit). O(N).
    pub fn allocate(&mut self, pages: u32) -> Result<VRange, AllocError> {
        if pages == 0 {
            return Err(AllocError::ZeroPages);
        }
        let Some(i) = self.spans().iter().position(|s| s.pages >= pages) else {
            let largest_free = self.spans().iter().map(|s| s.pages).max().unwrap_or(0);
            return Err(AllocError::NoSpace { pages, largest_free });
        };
        let start = self.free[i].start;
        if self.free[i].pages == pages {
            self.remove(i);
        } else {
            self.free[i] = Span { start: start + pages, pages: self.free[i].pages - pages };
        }
        let range =
            VRange::from_raw_parts(Page::containing(VirtAddr::new(start * PAGE_SIZE)), pages);
        // The region ends at or below 4 GiB - 4 KiB (a `Page` bound), so
        // any span inside it is a valid range.
        Ok(range.expect("free spans lie inside the region"))
    }

    /// Gives `range` back, merging it with free neighbours. O(N).
    ///
    /// Refuses, changing nothing, a range outside the region, one that
    /// overlaps free space, or one that would need a slot when the table
    /// is full. The allocator only tracks free space, so freeing part of
    /// an allocation (or two neighbouring ones at once) is accepted.
    pub fn free(&mut self, range: VRange) -> Result<(), FreeRangeError> {
        let placement = match self.place(&range) {
            Ok(p) => p,
            Err(reason) => return Err(FreeRangeError { range, reason }),
        };
        let span = Span { start: range.first_number(), pages: range.pages() };
        match placement {
            Placement::Between(prev) => {
                self.free[prev].pages += span.pages + self.free[prev + 1].pages;
                self.remove(prev + 1);
            }
            Placement::AfterPrev(prev) => self.free[prev].pages += span.pages,
            Placement::BeforeNext(next) => {
                self.free[next] =
                    Span { start: span.start, pages: span.pages + self.free[next].pages }
            }
            Placement::Insert(at) => {
                self.free.copy_within(at..self.len, at + 1);
                self.free[at] = span;
                self.len += 1;
            }
        }
        Ok(())
    }

    /// Whether [`free`](Self::free) would accept `range`, without freeing it.
    pub fn check_free(&self, range: &VRange) -> Result<(), FreeRefusal> {
        self.place(range).map(|_| ())
    }

    /// Free pages in total.
    pub fn free_pages(&self) -> u32 {
        self.spans().iter().map(|s| s.pages).sum()
    }

    /// The free spans in address order, as (first byte, pages).
    pub fn free_spans(&self) -> impl Iterator<Item = (VirtAddr, u32)> + '_ {
        self.spans().iter().map(|s| (VirtAddr::new(s.start * PAGE_SIZE), s.pages))
    }

    /// The region managed, as (first byte, one past the last byte).
    pub fn region(&self) -> (VirtAddr, VirtAddr) {
        (VirtAddr::new(self.region.start * PAGE_SIZE), VirtAddr::new(self.region.end() * PAGE_SIZE))
    }

    fn spans(&self) -> &[Span] {
        &self.free[..self.len]
    }

    fn remove(&mut self, i: usize) {
        self.free.copy_within(i + 1..self.len, i);
        self.len -= 1;
    }

    /// Where `range` would go if freed, or why it cannot be.
    fn place(&self, range: &VRange) -> Result<Placement, FreeRefusal> {
        let span = Span { start: range.first_number(), pages: range.pages() };
        if span.start < self.region.start || span.end() > self.region.end() {
            return Err(FreeRefusal::OutsideRegion);
        }
        let overlap = |s: Span| FreeRefusal::Overlaps {
            free_start: VirtAddr::new(s.start * PAGE_SIZE),
            free_pages: s.pages,
        };
        // First free span at or after the range's start.
        let at = self.spans().partition_point(|s| s.start < span.start);
        let prev = at.checked_sub(1).map(|i| self.free[i]);
        let next = self.spans().get(at).copied();
        if let Some(p) = prev.filter(|p| p.end() > span.start) {
            return Err(overlap(p));
        }
        if let Some(n) = next.filter(|n| n.start < span.end()) {
            return Err(overlap(n));
        }
        let touches_prev = prev.is_some_and(|p| p.end() == span.start);
        let touches_next = next.is_some_and(|n| n.start == span.end());
        match (touches_prev, touches_next) {
            (true, true) => Ok(Placement::Between(at - 1)),
            (true, false) => Ok(Placement::AfterPrev(at - 1)),
            (false, true) => Ok(Placement::BeforeNext(at)),
            (false, false) if self.len < N => Ok(Placement::Insert(at)),
            (false, false) => Err(FreeRefusal::TableFull),
        }
    }
}
