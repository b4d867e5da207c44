//! One bit per frame: "is this frame allocated out?".
//!
//! The frame stack alone cannot tell whether a frame being freed is already
//! on it without searching it. This bitmap answers in O(1): a bit is set when
//! the frame is handed out and cleared when it comes back, so freeing a frame
//! whose bit is clear (on the stack, or untouched: never handed out) is
//! refused before it can corrupt the stack. It costs
//! 1 bit per frame up to the highest usable frame: 4 KiB of bitmap covers
//! 128 MiB of RAM, 128 KiB covers all 4 GiB.
//!
//! ```text
//!   word w, bit b  <->  frame number 32 * w + b
//! ```

use crate::memmap::UsableMemory;
use core::fmt;

/// Frames one bitmap word covers.
const BITS: u32 = u32::BITS;
/// Words in one 4 KiB frame of bitmap storage.
const WORDS_PER_FRAME: usize = 1024;

/// How many `u32` words the bitmap needs for `usable`: one bit for every
/// frame number below [`UsableMemory::end_frame`].
pub fn bitmap_words(usable: &UsableMemory) -> usize {
    usable.end_frame().div_ceil(BITS) as usize
}

/// How many whole frames hold [`bitmap_words`] words: what the kernel carves
/// out of usable memory (e.g. with [`UsableMemory::take_top`]) before it
/// builds the frame stack. Removing frames never raises the number needed.
pub fn bitmap_frames(usable: &UsableMemory) -> u32 {
    bitmap_words(usable).div_ceil(WORDS_PER_FRAME) as u32
}

/// The storage handed to the frame stack is shorter than [`bitmap_words`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitmapTooSmall {
    /// Words needed to cover every usable frame.
    pub needed: usize,
    /// Words given.
    pub given: usize,
}

impl fmt::Display for BitmapTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "frame bitmap has {} words but usable memory needs {} (one bit per frame)",
            self.given, self.needed
        )
    }
}

/// The allocated-frame bitmap over caller-provided storage.
#[derive(Debug)]
pub(crate) struct AllocBitmap {
    words: &'static mut [u32],
}

impl AllocBitmap {
    /// A bitmap saying "nothing is allocated", covering every frame of
    /// `usable`. Clears `storage`, which may hold anything (it is usually
    /// freshly carved RAM). Fails if `storage` is too short.
    pub(crate) fn new(
        storage: &'static mut [u32],
        usable: &UsableMemory,
    ) -> Result<Self, BitmapTooSmall> {
        let needed = bitmap_words(usable);
        if storage.len() < needed {
            return Err(BitmapTooSmall { needed, given: storage.len() });
        }
        storage.fill(0);
        Ok(Self { words: storage })
    }

    /// Where frame `frame`'s bit lives. Shifts and masks only: this is on
    /// the allocator's fast path.
    #[inline]
    fn locate(frame: u32) -> (usize, u32) {
        ((frame / BITS) as usize, 1 << (frame % BITS))
    }

    /// Marks `frame` allocated. Returns `false`, changing nothing, if it
    /// already was or lies beyond the bitmap.
    #[inline]
    pub(crate) fn mark_allocated(&mut self, frame: u32) -> bool {
        let (i, bit) = Self::locate(frame);
        match self.words.get_mut(i) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }

    /// Marks `frame` free, whatever it was (a no-op beyond the bitmap).
    #[inline]
    pub(crate) fn clear(&mut self, frame: u32) {
        let (i, bit) = Self::locate(frame);
        if let Some(w) = self.words.get_mut(i) {
            *w &= !bit;
        }
    }

    /// Whether `frame` is marked allocated.
    #[inline]
    pub(crate) fn is_allocated(&self, frame: u32) -> bool {
        let (i, bit) = Self::locate(frame);
        self.words.get(i).is_some_and(|w| w & bit != 0)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;
    use crate::memmap::{MapEntry, MapKind, clean};
    use std::boxed::Box;
    use std::vec;

    fn usable_up_to(bytes: u64) -> UsableMemory {
        clean([MapEntry::new(0, bytes, MapKind::Usable)], &[]).unwrap()
    }

    #[test]
    fn sizes() {
        // 128 MiB is 32768 frames: 1024 words, exactly one frame of bitmap.
        let m = usable_up_to(128 << 20);
        assert_eq!((bitmap_words(&m), bitmap_frames(&m)), (1024, 1));
        let m = usable_up_to((128 << 20) + 4096);
        assert_eq!((bitmap_words(&m), bitmap_frames(&m)), (1025, 2));
        let m = usable_up_to(33 * 4096);
        assert_eq!((bitmap_words(&m), bitmap_frames(&m)), (2, 1));
        let m = usable_up_to(1 << 32);
        assert_eq!((bitmap_words(&m), bitmap_frames(&m)), (32768, 32));
    }

    #[test]
    fn storage_is_checked_and_cleared() {
        let m = usable_up_to(64 * 4096);
        let short = Box::leak(vec![0u32; 1].into_boxed_slice());
        let err = AllocBitmap::new(short, &m).unwrap_err();
        assert_eq!(err, BitmapTooSmall { needed: 2, given: 1 });
        assert!(std::format!("{err}").contains("needs 2"));
        let dirty = Box::leak(vec![u32::MAX; 2].into_boxed_slice());
        let b = AllocBitmap::new(dirty, &m).unwrap();
        assert!((0..64).all(|f| !b.is_allocated(f)));
    }

    #[test]
    fn marks_refuse_to_repeat() {
        let m = usable_up_to(64 * 4096);
        let mut b = AllocBitmap::new(Box::leak(vec![0; 2].into_boxed_slice()), &m).unwrap();
        assert!(b.mark_allocated(33));
        assert!(b.is_allocated(33) && !b.is_allocated(32) && !b.is_allocated(34));
        assert!(!b.mark_allocated(33));
        b.clear(33);
        assert!(!b.is_allocated(33) && b.mark_allocated(33));
        assert!(!b.mark_allocated(64) && !b.is_allocated(64));
        b.clear(64);
    }
}
