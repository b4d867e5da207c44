//! What can go wrong in the range allocator and the mapping helpers.
//!
//! One enum per operation. Where a refused operation was handed an owned
//! token (a `VRange`, a `MappedRange`), the error carries it back, so the
//! caller still holds it and nothing is lost or half-done.

#![forbid(unsafe_code)]

use super::map::MappedRange;
use super::range::VRange;
use crate::addr::{PhysAddr, VirtAddr};
use crate::frame::Page;
use core::fmt;

/// Why [`VRangeAllocator::allocate`](super::VRangeAllocator::allocate) refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// Zero pages were asked for.
    ZeroPages,
    /// No free span has `pages` pages (the region is full or fragmented).
    NoSpace {
        /// Pages asked for.
        pages: u32,
        /// The largest free span, in pages.
        largest_free: u32,
    },
}

impl fmt::Display for AllocError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllocError::ZeroPages => f.write_str("a virtual range of zero pages was asked for"),
            AllocError::NoSpace { pages, largest_free } => write!(
                f,
                "no free virtual range of {pages} pages (largest free range: {largest_free} pages)"
            ),
        }
    }
}

/// Why a range cannot be freed; nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeRefusal {
    /// The range is not entirely inside the allocator's region.
    OutsideRegion,
    /// Part of the range is free already (a double free, or a range this
    /// allocator never handed out); `free_start`/`free_pages` is the free
    /// span it overlaps.
    Overlaps {
        /// First byte of the overlapped free span.
        free_start: VirtAddr,
        /// Its length in pages.
        free_pages: u32,
    },
    /// Freeing would need a new slot in the free-span table and all are
    /// taken; try again after other frees, or raise `N`.
    TableFull,
}

/// A refused [`VRangeAllocator::free`](super::VRangeAllocator::free): the range comes back, with why.
#[derive(Debug, PartialEq, Eq)]
pub struct FreeRangeError {
    /// The range that was not freed.
    pub range: VRange,
    /// Why.
    pub reason: FreeRefusal,
}

impl fmt::Display for FreeRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            FreeRefusal::OutsideRegion => {
                write!(f, "cannot free {:?}: outside the virtual range region", self.range)
            }
            FreeRefusal::Overlaps { free_start, free_pages } => write!(
                f,
                "cannot free {:?}: it overlaps the free range at {free_start} ({free_pages} pages)",
                self.range
            ),
            FreeRefusal::TableFull => {
                write!(f, "cannot free {:?}: the free-range table is full", self.range)
            }
        }
    }
}

/// Why a mapping helper failed; everything it did has been undone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapRangeError {
    /// No virtual range of that size (or zero pages were asked for).
    Range(AllocError),
    /// The frame allocator ran out (for the memory or for a page table).
    OutOfFrames,
    /// A page of the fresh range was mapped already: something maps into
    /// the range region without going through the range allocator.
    AlreadyMapped {
        /// The page.
        page: Page,
        /// What it was mapped to.
        existing: PhysAddr,
    },
    /// The range reaches the recursive window (only with a custom region).
    RecursiveWindow(Page),
    /// The device-frame iterator ended before the length it announced.
    ShortIterator {
        /// What `len()` said.
        expected: u32,
        /// How many frames it gave.
        got: u32,
    },
}

impl fmt::Display for MapRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapRangeError::Range(e) => write!(f, "{e}"),
            MapRangeError::OutOfFrames => f.write_str("out of physical frames"),
            MapRangeError::AlreadyMapped { page, existing } => write!(
                f,
                "{page:?} of a fresh virtual range is already mapped to {existing}: \
                 something maps into the range region behind the range allocator"
            ),
            MapRangeError::RecursiveWindow(page) => {
                write!(f, "{page:?} is in the recursive page-table window")
            }
            MapRangeError::ShortIterator { expected, got } => {
                write!(f, "device frame iterator promised {expected} frames and gave {got}")
            }
        }
    }
}

/// Why [`RangeMapper::unmap`](super::RangeMapper::unmap) refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnmapRangeRefusal {
    /// A page of the range is not mapped (someone unmapped it directly).
    NotMapped(Page),
    /// The range allocator would not take the range back.
    Range(FreeRefusal),
}

/// A refused [`RangeMapper::unmap`](super::RangeMapper::unmap): the mapped range comes back, with why.
#[derive(Debug, PartialEq, Eq)]
pub struct UnmapRangeError {
    /// The range, still mapped.
    pub mapped: MappedRange,
    /// Why.
    pub reason: UnmapRangeRefusal,
}

impl fmt::Display for UnmapRangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reason {
            UnmapRangeRefusal::NotMapped(page) => {
                write!(f, "cannot unmap {:?}: {page:?} is not mapped", self.mapped.range())
            }
            UnmapRangeRefusal::Range(why) => {
                write!(
                    f,
                    "cannot unmap {:?}: range allocator refuses it ({why:?})",
                    self.mapped.range()
                )
            }
        }
    }
}
