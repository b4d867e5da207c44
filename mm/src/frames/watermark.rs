//! [`Watermark`]: untouched memory, handed out from the top down without
//! ever being listed.
//!
//! At boot every usable frame is free. Listing them all on the frame stack
//! would cost one write per frame (786,000 of them for 3 GiB), so the
//! allocator does not: the frames nobody has been given yet are described by
//! a single frame number, the watermark. Every usable frame below it is
//! *untouched* (free, never handed out, never written by the allocator);
//! every usable frame at or above it has been handed out at least once and
//! is now either allocated or back on the frame stack.
//!
//! ```text
//!   usable ranges:  [## A ##]     [######## B ########]       [#### C ####]
//!                                 ^floor          ^mark
//!                   '------ untouched ----------' '-- handed out before ---'
//! ```
//!
//! Handing out an untouched frame lowers the mark by one; when it reaches
//! the start of its range (`floor`), it jumps to the top of the next range
//! down. So untouched memory goes from the highest frames to the lowest,
//! keeping low memory (which old ISA DMA needs) for last, and it is O(1)
//! with no memory of its own, whatever the amount of RAM.
#![forbid(unsafe_code)]

use crate::memmap::UsableMemory;

/// The boundary between untouched usable frames (below) and frames handed
/// out at least once (at or above).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Watermark {
    /// Every usable frame numbered below `mark` is untouched.
    mark: u32,
    /// Start of the usable range the next untouched frame comes from; equal
    /// to `mark` when that range is used up.
    floor: u32,
    /// Index of that range among the usable ranges.
    range: usize,
    /// Untouched frames in the ranges below it: all of their frames.
    below: u32,
}

impl Watermark {
    /// Every frame of `usable` untouched: the mark above the highest one.
    pub(crate) fn new(usable: &UsableMemory) -> Self {
        match usable.ranges().split_last() {
            Some((top, lower)) => Self {
                mark: top.end(),
                floor: top.start(),
                range: lower.len(),
                below: lower.iter().map(|r| r.len()).sum(),
            },
            None => Self { mark: 0, floor: 0, range: 0, below: 0 },
        }
    }

    /// The highest untouched frame's number, which from now on counts as
    /// handed out; `None` when no untouched frame is left. `usable` must be
    /// the memory this watermark was made for. O(1).
    #[inline]
    pub(crate) fn take(&mut self, usable: &UsableMemory) -> Option<u32> {
        if self.mark > self.floor {
            self.mark -= 1;
            Some(self.mark)
        } else {
            self.take_from_range_below(usable)
        }
    }

    /// Slow path of `take`: the current range is used up, so move to the
    /// top of the next range down.
    #[cold]
    #[inline(never)]
    fn take_from_range_below(&mut self, usable: &UsableMemory) -> Option<u32> {
        if self.range == 0 {
            return None;
        }
        self.range -= 1;
        let next = usable.ranges()[self.range];
        self.below -= next.len();
        self.floor = next.start();
        // Ranges are never empty, so `end - 1` is a frame of `next`.
        self.mark = next.end() - 1;
        Some(self.mark)
    }

    /// How many untouched frames are left. O(1).
    pub(crate) fn count(&self) -> u32 {
        self.mark - self.floor + self.below
    }

    /// Whether no untouched frame is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// Whether usable frame `number` is untouched (never handed out).
    #[inline]
    pub(crate) fn is_untouched(&self, number: u32) -> bool {
        number < self.mark
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::memmap::{ByteRange, MapEntry, MapKind, clean};
    use std::vec::Vec;

    /// Usable frames 1..0x9f, 0x100..0x300 and 0x340..0x400.
    fn three_ranges() -> UsableMemory {
        let map = [
            MapEntry::new(0, 0x9f000, MapKind::Usable),
            MapEntry::new(0x100000, 0x300000, MapKind::Usable),
        ];
        clean(map, &[ByteRange::new(0x300000, 0x40000)]).unwrap()
    }

    #[test]
    fn hands_out_every_usable_frame_once_from_the_top_down() {
        let usable = three_ranges();
        let mut w = Watermark::new(&usable);
        assert_eq!(w.count(), usable.total_frames());
        assert!(!w.is_empty());
        let mut expected: Vec<u32> = usable.iter().flat_map(|r| r.numbers()).collect();
        expected.reverse();
        let mut got = Vec::new();
        while let Some(n) = w.take(&usable) {
            assert!(!w.is_untouched(n), "frame {n:#x} handed out but still untouched");
            got.push(n);
            assert_eq!(w.count() as usize, expected.len() - got.len());
        }
        assert_eq!(got, expected);
        assert!(w.is_empty());
        assert_eq!((w.count(), w.take(&usable), w.take(&usable)), (0, None, None));
    }

    #[test]
    fn untouched_means_usable_and_below_the_mark() {
        let usable = three_ranges();
        let mut w = Watermark::new(&usable);
        assert!(w.is_untouched(0x3ff) && w.is_untouched(1));
        // The whole top range and one frame of the middle one.
        for _ in 0..0xc0 + 1 {
            w.take(&usable);
        }
        assert!(!w.is_untouched(0x340) && !w.is_untouched(0x2ff));
        assert!(w.is_untouched(0x2fe) && w.is_untouched(0x100) && w.is_untouched(0x9e));
        assert_eq!(w.count(), (0x2ff - 0x100) + (0x9f - 1));
    }

    #[test]
    fn no_usable_memory_hands_out_nothing() {
        let mut usable = three_ranges();
        usable.remove(ByteRange::new(0, 1 << 32)).unwrap();
        let mut w = Watermark::new(&usable);
        assert!(w.is_empty());
        assert_eq!((w.count(), w.take(&usable)), (0, None));
        assert!(!w.is_untouched(0));
    }

    #[test]
    fn one_frame_ranges_and_the_top_of_the_address_space() {
        // Frames 1, 3 and the very last frame below 4 GiB.
        let map = [
            MapEntry::new(0x1000, 0x1000, MapKind::Usable),
            MapEntry::new(0x3000, 0x1000, MapKind::Usable),
            MapEntry::new(0xffff_f000, 0x1000, MapKind::Usable),
        ];
        let usable = clean(map, &[]).unwrap();
        let mut w = Watermark::new(&usable);
        let got: Vec<u32> = core::iter::from_fn(|| w.take(&usable)).collect();
        assert_eq!(got, [0xfffff, 3, 1]);
    }
}
