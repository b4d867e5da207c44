//! The cleaned result: a sorted, fixed-capacity list of usable frame ranges.
//!
//! The list is kept canonical — sorted, non-empty, disjoint and never
//! adjacent (touching ranges are one range) — and never holds frame 0, so a
//! null physical address is never handed out. Only [`clean`](super::clean)
//! builds one; afterwards it can only shrink ([`UsableMemory::remove`],
//! [`UsableMemory::take_top`]), so the invariants hold for its whole life.

use crate::memmap::entry::ByteRange;
use crate::memmap::range::FrameRange;
use core::fmt;

/// How many separate ranges a [`UsableMemory`] can hold. A PC's memory map
/// has a few dozen entries at most; each occupied range can split one more.
pub const MAX_RANGES: usize = 128;

/// The usable frames of physical memory as disjoint, sorted ranges.
#[derive(Clone, PartialEq, Eq)]
pub struct UsableMemory {
    ranges: [FrameRange; MAX_RANGES],
    len: usize,
}

/// The ranges would not fit in [`MAX_RANGES`] entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyRanges;

impl fmt::Display for TooManyRanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "usable memory is split into more than {MAX_RANGES} ranges")
    }
}

/// No usable range holds `wanted` contiguous frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoContiguousRange {
    /// How many contiguous frames were asked for.
    pub wanted: u32,
    /// The longest usable range, in frames.
    pub largest: u32,
}

impl fmt::Display for NoContiguousRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no usable range holds {} contiguous frames (the largest holds {})",
            self.wanted, self.largest
        )
    }
}

impl UsableMemory {
    /// No usable memory.
    pub(crate) const fn empty() -> Self {
        Self { ranges: [FrameRange::EMPTY; MAX_RANGES], len: 0 }
    }

    /// Appends `range` above every range held. The caller keeps the list
    /// canonical: `range` is non-empty, starts above the last range's end
    /// (not at it) and does not hold frame 0.
    pub(crate) fn push(&mut self, range: FrameRange) -> Result<(), TooManyRanges> {
        debug_assert!(!range.is_empty() && range.start() > 0);
        debug_assert!(self.ranges().last().is_none_or(|last| last.end() < range.start()));
        let slot = self.ranges.get_mut(self.len).ok_or(TooManyRanges)?;
        *slot = range;
        self.len += 1;
        Ok(())
    }

    /// The ranges, sorted by address, disjoint and not touching.
    pub fn ranges(&self) -> &[FrameRange] {
        &self.ranges[..self.len]
    }

    /// Iterates over the ranges in address order.
    pub fn iter(&self) -> core::slice::Iter<'_, FrameRange> {
        self.ranges().iter()
    }

    /// Whether no usable frame is left.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The number of usable frames.
    pub fn total_frames(&self) -> u32 {
        // At most FRAME_END frames exist, so the sum cannot overflow.
        self.iter().map(FrameRange::len).sum()
    }

    /// Whether frame number `frame` is usable. O(log n).
    pub fn contains(&self, frame: u32) -> bool {
        let ranges = self.ranges();
        // The first range that ends after `frame` is the only candidate.
        let i = ranges.partition_point(|r| r.end() <= frame);
        ranges.get(i).is_some_and(|r| r.contains(frame))
    }

    /// One past the number of the highest usable frame, or 0 if there is
    /// none. Everything that indexes usable frames by number (such as the
    /// frame allocator's bitmap) needs this many entries.
    pub fn end_frame(&self) -> u32 {
        self.ranges().last().map_or(0, FrameRange::end)
    }

    /// Removes every frame touched by `bytes` (rounded outwards), e.g. a
    /// region the kernel claims after cleaning.
    ///
    /// Fails only when the removal would split a range and the list is full;
    /// then `self` is left unchanged. Removing memory that is not usable is
    /// not an error, and neither is removing the last usable frame.
    pub fn remove(&mut self, bytes: ByteRange) -> Result<(), TooManyRanges> {
        let cut = bytes.frames_touched();
        if cut.is_empty() {
            return Ok(());
        }
        // Build the result on the side so a failure leaves `self` as it was.
        let mut out = Self::empty();
        for r in self.iter() {
            let below = FrameRange::new(r.start(), r.end().min(cut.start()));
            let above = FrameRange::new(r.start().max(cut.end()), r.end());
            for piece in [below, above].into_iter().flatten() {
                if !piece.is_empty() {
                    out.push(piece)?;
                }
            }
        }
        *self = out;
        Ok(())
    }

    /// Takes `count` contiguous frames off the top of the highest range that
    /// holds that many, and returns them; they are no longer usable.
    ///
    /// The kernel uses this to carve out storage (the frame allocator's
    /// bitmap) from the end of RAM. It never splits a range, so it cannot
    /// run out of capacity. `count == 0` takes nothing and returns an empty
    /// range at the top of usable memory (or the error, if none is left).
    pub fn take_top(&mut self, count: u32) -> Result<FrameRange, NoContiguousRange> {
        let found = self.ranges().iter().rposition(|r| r.len() >= count);
        let Some(i) = found else {
            let largest = self.iter().map(FrameRange::len).max().unwrap_or(0);
            return Err(NoContiguousRange { wanted: count, largest });
        };
        let r = self.ranges[i];
        let taken = FrameRange::from_u64((r.end() - count).into(), r.end().into());
        if taken.start() == r.start() {
            // The range is used up: close the gap to keep the list canonical.
            self.ranges.copy_within(i + 1..self.len, i);
            self.len -= 1;
        } else {
            self.ranges[i] = FrameRange::from_u64(r.start().into(), taken.start().into());
        }
        Ok(taken)
    }
}

impl<'a> IntoIterator for &'a UsableMemory {
    type Item = &'a FrameRange;
    type IntoIter = core::slice::Iter<'a, FrameRange>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Lists the ranges and the total, one range a line, for the boot log.
impl fmt::Display for UsableMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for r in self.iter() {
            writeln!(f, "  {r} {:>8} KiB", u64::from(r.len()) * 4)?;
        }
        write!(
            f,
            "  {} frames usable ({} KiB)",
            self.total_frames(),
            u64::from(self.total_frames()) * 4
        )
    }
}

impl fmt::Debug for UsableMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
