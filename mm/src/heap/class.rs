//! Size classes of the two-level segregated fit: which free list a block of
//! a given size lives in, and where to start looking for a request.
//!
//! The first level splits sizes by powers of two, the second splits each
//! power-of-two range into `SL_COUNT` equal classes. Below `SMALL` the
//! classes are simply one per multiple of 8, so every small size has a list
//! of its own. A search starts at the class *above* the request (rounding
//! the request up to the next class boundary), so the first block found in
//! any list there always fits: no list is ever walked.
//!
//! ```text
//!   fl 0:  [0,128)      16 classes of   8 bytes  (16, 24, 32, ... 120)
//!   fl 1:  [128,256)    16 classes of   8 bytes
//!   fl 2:  [256,512)    16 classes of  16 bytes
//!   fl k:  [2^(k+6), 2^(k+7))  16 classes of 2^(k+2) bytes
//!   fl 23: [2^29]       the whole 512 MiB region in one block
//! ```
//!
//! (With `SL_LOG2 = 4`; docs/measurements.md records the measurements
//! that chose it over 3 and 5 and over plain power-of-two lists,
//! `SL_LOG2 = 0`.)

use super::block::{GRAIN, MAX_REGION_LOG2};

/// log2 of the number of second-level classes per first-level range.
pub const SL_LOG2: u32 = 4;
/// Second-level classes per first-level range.
pub const SL_COUNT: usize = 1 << SL_LOG2;
/// Sizes below this have one class per multiple of [`GRAIN`].
pub const SMALL: u32 = (SL_COUNT as u32) * GRAIN;
const SMALL_LOG2: u32 = SMALL.trailing_zeros();
/// First-level ranges: enough for a block as large as the largest region.
pub const FL_COUNT: usize = (MAX_REGION_LOG2 - SMALL_LOG2 + 2) as usize;

const _: () = assert!(SMALL.is_power_of_two() && SL_COUNT <= 32 && FL_COUNT < 32);

/// A (first level, second level) pair naming one free list.
pub type Class = (usize, usize);

/// The list index (`fl * SL_COUNT + sl`, see [`index`]) of a free block of
/// `size` bytes (a multiple of 8, at least 16, at most 512 MiB).
///
/// One `leading_zeros`, no branch. With `log2` the highest bit of
/// `size | SMALL` (so at least `SMALL_LOG2`), `size >> (log2 - SL_LOG2)`
/// is the second level plus `SL_COUNT`, which is where the first level's
/// count starts; below `2 * SMALL` the shift is 3 and every multiple of 8
/// gets a list of its own, fl 0 below `SMALL` and fl 1 above.
#[inline(always)]
pub const fn index_of(size: u32) -> usize {
    search(size).0
}

/// The class of a free block of `size` bytes (as for [`index_of`]).
#[inline(always)]
pub const fn of(size: u32) -> Class {
    from_index(index_of(size))
}

/// The lowest class all of whose blocks are at least `size` bytes: `size`
/// rounded up to the next class boundary. May name a first level beyond
/// [`FL_COUNT`], meaning no list can serve the request without a walk.
#[inline(always)]
pub const fn at_least(size: u32) -> Class {
    from_index(search(size).1)
}

/// For a request of `size` bytes (a multiple of 8, at least 16): the index
/// of its own class, and of the lowest class all of whose blocks fit it.
/// They are equal when `size` is its class's lower bound; otherwise the
/// search starts at the next class, which in index order is always the
/// next index (after `(fl, SL_COUNT - 1)` comes `(fl + 1, 0)`).
#[inline(always)]
pub const fn search(size: u32) -> (usize, usize) {
    if size < TABLE_LIMIT {
        let i = (size / GRAIN) as usize;
        return (OWN[i] as usize, SEARCH[i] as usize);
    }
    compute(size)
}

/// The index computation of [`search`], for any size.
#[inline(always)]
const fn compute(size: u32) -> (usize, usize) {
    let log2 = 31 - (size | SMALL).leading_zeros();
    let shift = log2 - SL_LOG2;
    let own = (((log2 - SMALL_LOG2) << SL_LOG2) + (size >> shift)) as usize;
    let inside = size & ((1 << shift) - 1) != 0;
    (own, own + inside as usize)
}

/// Sizes below this look their classes up in a table: one load instead of
/// a bit scan and four shifts (measured on i686: 18 fewer instructions per
/// operation on a trace of small blocks, 15 on one of blocks to 4 KiB).
const TABLE_LIMIT: u32 = 2048;
const TABLE_LEN: usize = (TABLE_LIMIT / GRAIN) as usize;
/// `search(size).0` for every multiple of 8 below `TABLE_LIMIT`.
static OWN: [u8; TABLE_LEN] = table(0);
/// `search(size).1` for every multiple of 8 below `TABLE_LIMIT`.
static SEARCH: [u8; TABLE_LEN] = table(1);

const fn table(which: usize) -> [u8; TABLE_LEN] {
    let mut t = [0; TABLE_LEN];
    let mut i = 2; // sizes 0 and 8 are never asked (blocks are at least 16)
    while i < TABLE_LEN {
        let (own, search) = compute(i as u32 * GRAIN);
        assert!(search < 256, "a list index below 2 KiB fits a byte");
        t[i] = if which == 0 { own as u8 } else { search as u8 };
        i += 1;
    }
    t
}

/// The single index of a class: `fl * SL_COUNT + sl`.
#[inline(always)]
pub const fn index((fl, sl): Class) -> usize {
    (fl << SL_LOG2) | sl
}

/// The class with index `i`.
#[inline(always)]
pub const fn from_index(i: usize) -> Class {
    (i >> SL_LOG2, i & (SL_COUNT - 1))
}

/// The smallest block size in class `c` (for checks and docs).
pub const fn lower_bound(c: Class) -> u32 {
    let (fl, sl) = c;
    if fl == 0 {
        sl as u32 * GRAIN
    } else {
        let log2 = fl as u32 + SMALL_LOG2 - 1;
        (1 << log2) + ((sl as u32) << (log2 - SL_LOG2))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::block::MAX_REGION;

    #[test]
    fn small_sizes_have_exact_classes() {
        assert_eq!(of(16), (0, 2));
        assert_eq!(of(SMALL - 8), (0, SL_COUNT - 1));
        assert_eq!(at_least(24), of(24));
        assert_eq!(of(SMALL), (1, 0));
    }

    #[test]
    fn every_size_lies_in_its_class_and_search_classes_fit() {
        let mut size = 16;
        while size <= MAX_REGION {
            let c = of(size);
            assert!(c.0 < FL_COUNT && c.1 < SL_COUNT, "class of {size}");
            assert!(lower_bound(c) <= size, "size {size} below its class {c:?}");
            let s = at_least(size);
            // One class up unless `size` is a class boundary: the old
            // definition, rounding up by a class width less one.
            let width = 1 << ((31 - (size | SMALL).leading_zeros()) - SL_LOG2);
            assert_eq!(s, of(size + width - 1), "search class of {size}");
            assert_eq!(search(size).0, index(c));
            // Everything in the search class is at least `size` ...
            assert!(s.0 >= FL_COUNT || lower_bound(s) >= size, "search class of {size}");
            // ... and the search class is the very next one that guarantees it.
            assert!(s >= c);
            size = if size < 4096 { size + 8 } else { size + size / 7 / 8 * 8 + 8 };
        }
        assert_eq!(of(MAX_REGION), (FL_COUNT - 1, 0));
    }

    #[test]
    fn the_table_agrees_with_the_computation() {
        for size in (16..TABLE_LIMIT).step_by(8) {
            assert_eq!(search(size), compute(size), "size {size}");
        }
        assert_eq!(search(TABLE_LIMIT), compute(TABLE_LIMIT));
    }

    #[test]
    fn classes_are_monotonic() {
        let mut last = of(16);
        for size in (16..1 << 20).step_by(8) {
            let c = of(size);
            assert!(c >= last);
            last = c;
        }
    }
}
