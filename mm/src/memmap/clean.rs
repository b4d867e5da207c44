//! [`clean`]: the raw memory map minus occupied memory, as whole usable frames.
//!
//! One sweep upwards through the 32-bit address space, from one boundary
//! (any entry's start or end) to the next. Between two boundaries every byte
//! has the same status, so one test per segment decides it: usable if some
//! `Usable` entry covers it, no other entry does, and no occupied range
//! (rounded outwards) or frame 0 does. Maximal runs of usable bytes are then
//! rounded *inwards* to whole frames. Deciding byte by byte before rounding is
//! what makes the rules fall out without special cases: order, duplicates and
//! overlaps don't matter, and touching usable entries merge before rounding.
//!
//! The sweep is O(n²) in the number of entries — a few dozen at boot — and
//! needs no heap and no sorting.

use crate::addr::PAGE_SIZE;
use crate::memmap::entry::{ByteRange, MapEntry};
use crate::memmap::range::FrameRange;
use crate::memmap::usable::{MAX_RANGES, TooManyRanges, UsableMemory};
use core::borrow::Borrow;
use core::fmt;

const FOUR_GIB: u64 = 1 << 32;
const PAGE: u64 = PAGE_SIZE as u64;

/// Why the memory map could not be turned into usable memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CleanError {
    /// After removing reserved and occupied memory, not one whole frame
    /// below 4 GiB is left.
    NoUsableMemory,
    /// The usable memory is split into more than [`MAX_RANGES`] ranges.
    TooManyRanges,
}

impl fmt::Display for CleanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CleanError::NoUsableMemory => f.write_str(
                "the memory map has no usable frame below 4 GiB outside occupied memory",
            ),
            CleanError::TooManyRanges => {
                write!(f, "the memory map splits usable memory into more than {MAX_RANGES} ranges")
            }
        }
    }
}

impl From<TooManyRanges> for CleanError {
    fn from(_: TooManyRanges) -> Self {
        CleanError::TooManyRanges
    }
}

/// The usable frames of `map`, minus every frame touched by `occupied`.
///
/// `map` is the boot loader's memory map in any order, possibly with
/// overlaps, duplicates, zero-length entries and entries at or above 4 GiB;
/// it is iterated several times, so its iterator must be `Clone` (a slice
/// iterator, or a `map` over one). `occupied` lists the bytes already in use
/// (the kernel image, the Multiboot2 information, modules, early page tables).
///
/// The rules, in order:
/// - a byte is usable only if a [`Usable`](super::MapKind::Usable) entry
///   covers it and no entry of any other kind does;
/// - only bytes below 4 GiB count; entries are clipped there, and an end
///   overflowing `u64` saturates instead of wrapping;
/// - each maximal run of usable bytes is rounded inwards to whole frames, so
///   touching usable entries merge before rounding;
/// - every frame that holds a byte of `occupied` is removed (rounded outwards);
/// - frame 0 is always removed, so a null physical address is never handed
///   out, whether or not the caller lists it as occupied. Other conventional
///   memory below 1 MiB stays usable if the map says so.
///
/// Returns the usable frames in canonical form (sorted, disjoint, not
/// touching), or an error if there are none or they need more than
/// [`MAX_RANGES`] ranges. Never allocates and never panics.
pub fn clean<M>(map: M, occupied: &[ByteRange]) -> Result<UsableMemory, CleanError>
where
    M: IntoIterator,
    M::Item: Borrow<MapEntry>,
    M::IntoIter: Clone,
{
    let sweep = Sweep { map: map.into_iter(), occupied };
    let mut out = UsableMemory::empty();
    let mut run_start = None;
    let mut at = 0;
    while at < FOUR_GIB {
        let next = sweep.next_boundary(at);
        match (sweep.is_usable(at), run_start) {
            (true, None) => run_start = Some(at),
            (false, Some(start)) => {
                push_run(&mut out, start, at)?;
                run_start = None;
            }
            _ => {}
        }
        at = next;
    }
    if let Some(start) = run_start {
        push_run(&mut out, start, FOUR_GIB)?;
    }
    if out.is_empty() { Err(CleanError::NoUsableMemory) } else { Ok(out) }
}

/// Adds the whole frames inside the usable bytes `[start, end)`.
fn push_run(out: &mut UsableMemory, start: u64, end: u64) -> Result<(), TooManyRanges> {
    let first = start.div_ceil(PAGE);
    let last = end / PAGE;
    // Runs are separated by at least one unusable byte, so after rounding
    // inwards two runs never share or touch a frame: the list stays canonical.
    if first < last { out.push(FrameRange::from_u64(first, last)) } else { Ok(()) }
}

/// The inputs of one sweep, with the clipping and rounding rules.
struct Sweep<'o, I> {
    map: I,
    occupied: &'o [ByteRange],
}

impl<I> Sweep<'_, I>
where
    I: Iterator + Clone,
    I::Item: Borrow<MapEntry>,
{
    /// The bytes an entry covers, clipped to 4 GiB: `[start, end)` with
    /// `start <= end <= 4 GiB` (empty for zero-length or high entries).
    fn entry_bounds(e: &MapEntry) -> (u64, u64) {
        let start = e.start.min(FOUR_GIB);
        (start, e.end().clamp(start, FOUR_GIB))
    }

    /// The bytes of the frames an occupied range touches.
    fn occupied_bounds(o: &ByteRange) -> (u64, u64) {
        let frames = o.frames_touched();
        (frames.start_addr(), frames.end_addr())
    }

    /// Every place where the status of a byte may change.
    fn boundaries(&self) -> impl Iterator<Item = u64> + '_ {
        let entries = self.map.clone().map(|e| Self::entry_bounds(e.borrow()));
        let occupied = self.occupied.iter().map(Self::occupied_bounds);
        entries.chain(occupied).flat_map(|(s, e)| [s, e]).chain([PAGE, FOUR_GIB])
    }

    /// The first boundary above `at` (at most 4 GiB, which is always one).
    fn next_boundary(&self, at: u64) -> u64 {
        self.boundaries().filter(|&b| b > at).min().unwrap_or(FOUR_GIB)
    }

    /// Whether the byte at `at` (below 4 GiB) may be handed out.
    fn is_usable(&self, at: u64) -> bool {
        let covers = |(s, e): (u64, u64)| s <= at && at < e;
        let mut claimed = false;
        for entry in self.map.clone() {
            let entry = entry.borrow();
            if covers(Self::entry_bounds(entry)) {
                if !entry.kind.is_usable() {
                    return false;
                }
                claimed = true;
            }
        }
        claimed && at >= PAGE && !self.occupied.iter().any(|o| covers(Self::occupied_bounds(o)))
    }
}
