//! A run of consecutive frames, named by frame numbers.
//!
//! Frame numbers rather than addresses, because a range that ends exactly at
//! 4 GiB ends at frame `0x10_0000`: a number that fits a `u32`, where the
//! byte address `0x1_0000_0000` does not.

use crate::addr::{PAGE_SHIFT, PhysAddr};
use core::fmt;
use core::ops::Range;

/// One past the last frame number of the 32-bit physical address space
/// (4 GiB / 4 KiB).
pub const FRAME_END: u32 = 1 << (32 - PAGE_SHIFT);

/// The frames numbered `start..end` (half-open). Never reaches past
/// [`FRAME_END`]; `start <= end` always.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameRange {
    start: u32,
    end: u32,
}

impl FrameRange {
    /// The empty range at frame 0.
    pub const EMPTY: Self = Self { start: 0, end: 0 };

    /// The frames `start..end`, or `None` if `start > end` or `end` lies
    /// beyond the 32-bit physical address space.
    pub const fn new(start: u32, end: u32) -> Option<Self> {
        if start <= end && end <= FRAME_END { Some(Self { start, end }) } else { None }
    }

    /// Internal constructor for values already known to be in bounds.
    pub(crate) const fn from_u64(start: u64, end: u64) -> Self {
        debug_assert!(start <= end && end <= FRAME_END as u64);
        Self { start: start as u32, end: end as u32 }
    }

    /// Number of the first frame.
    pub const fn start(&self) -> u32 {
        self.start
    }

    /// One past the number of the last frame.
    pub const fn end(&self) -> u32 {
        self.end
    }

    /// How many frames the range holds.
    pub const fn len(&self) -> u32 {
        self.end - self.start
    }

    /// Whether the range holds no frame.
    pub const fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Whether frame number `frame` lies in the range.
    pub const fn contains(&self, frame: u32) -> bool {
        self.start <= frame && frame < self.end
    }

    /// Address of the first byte (always fits 32 bits unless the range is
    /// empty at `FRAME_END`, which never comes out of `clean`).
    pub const fn start_addr(&self) -> u64 {
        (self.start as u64) << PAGE_SHIFT
    }

    /// One past the last byte. May be exactly 4 GiB, hence `u64`.
    pub const fn end_addr(&self) -> u64 {
        (self.end as u64) << PAGE_SHIFT
    }

    /// The first frame's address as a [`PhysAddr`], or `None` for a range
    /// starting at 4 GiB.
    pub const fn start_phys(&self) -> Option<PhysAddr> {
        match PhysAddr::try_new(self.start_addr()) {
            Ok(a) => Some(a),
            Err(_) => None,
        }
    }

    /// The frame numbers, for iteration.
    pub const fn numbers(&self) -> Range<u32> {
        self.start..self.end
    }
}

impl fmt::Debug for FrameRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FrameRange({:#x}..{:#x})", self.start, self.end)
    }
}

/// Shows the byte addresses, `[0x00100000, 0x07fe0000)`, as a boot log wants.
impl fmt::Display for FrameRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:#010x}, {:#010x})", self.start_addr(), self.end_addr())
    }
}
