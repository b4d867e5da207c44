//! `clean` against a naive model that decides every 256-byte cell on its own.
//!
//! Boundaries are generated on 256-byte steps, so the status of a cell is
//! the status of each of its bytes, and a frame (16 cells) is usable exactly
//! when all its cells are. Entries live in a low window (below 16 MiB), a
//! high window (2 MiB either side of 4 GiB) or span from the low window past
//! 4 GiB, so every byte between the windows has the same status and the model
//! checks one of them for the whole gap.

extern crate std;

use super::*;
use proptest::prelude::*;
use std::vec::Vec;

const CELL: u64 = 256;
const MIB: u64 = 1 << 20;
const FOUR_GIB: u64 = 1 << 32;
/// Frames `0..LOW_END` and `HIGH_START..FRAME_END` are modelled one by one.
const LOW_END: u32 = (16 * MIB / 4096) as u32;
const HIGH_START: u32 = FRAME_END - (2 * MIB / 4096) as u32;

fn kind() -> impl Strategy<Value = MapKind> {
    prop_oneof![
        4 => Just(MapKind::Usable),
        1 => Just(MapKind::Reserved),
        1 => Just(MapKind::AcpiNvs),
        1 => any::<u32>().prop_map(MapKind::from_multiboot),
    ]
}

/// A multiple of 256 in `[base, base + span)`.
fn at(base: u64, span: u64) -> impl Strategy<Value = u64> {
    (0..span / CELL).prop_map(move |c| base + c * CELL)
}

/// An entry below 14 MiB.
fn low_entry() -> impl Strategy<Value = MapEntry> {
    ((at(0, 12 * MIB), at(0, 2 * MIB + CELL)), kind())
        .prop_map(|((start, len), kind)| MapEntry::new(start, len, kind))
}

fn entry() -> impl Strategy<Value = MapEntry> {
    let low = (at(0, 12 * MIB), at(0, 2 * MIB + CELL));
    let high = (at(FOUR_GIB - 2 * MIB, 4 * MIB), prop_oneof![at(0, 2 * MIB), Just(u64::MAX)]);
    // Ends past 4 GiB, on a cell boundary or saturating.
    let spanning = (at(0, 12 * MIB), prop_oneof![at(FOUR_GIB, MIB), Just(u64::MAX)])
        .prop_map(|(s, end)| (s, end - s));
    (prop_oneof![3 => low, 1 => high, 1 => spanning], kind())
        .prop_map(|((start, len), kind)| MapEntry::new(start, len, kind))
}

fn occupied() -> impl Strategy<Value = ByteRange> {
    let low = (0..15 * MIB, 0..MIB).prop_map(|(s, l)| ByteRange::new(s, l));
    let high =
        (FOUR_GIB - 2 * MIB..FOUR_GIB + MIB, 0..3 * MIB).prop_map(|(s, l)| ByteRange::new(s, l));
    prop_oneof![4 => low, 1 => high]
}

/// Whether the single byte `b` is usable according to the rules, read
/// literally.
fn byte_usable(map: &[MapEntry], b: u64) -> bool {
    let covers = |e: &MapEntry| e.start <= b && b < e.start.saturating_add(e.len);
    map.iter().any(|e| covers(e) && e.kind == MapKind::Usable)
        && !map.iter().any(|e| covers(e) && e.kind != MapKind::Usable)
}

fn frame_usable(map: &[MapEntry], occupied: &[ByteRange], f: u32) -> bool {
    let (lo, hi) = (u64::from(f) * 4096, u64::from(f + 1) * 4096);
    f != 0
        && (lo..hi).step_by(CELL as usize).all(|b| byte_usable(map, b))
        && !occupied.iter().any(|o| o.start() < o.end() && o.start() < hi && o.end() > lo)
}

/// Appends frames `[start, end)`, merging with the previous range.
fn append(ranges: &mut Vec<(u32, u32)>, start: u32, end: u32) {
    match ranges.last_mut() {
        Some(last) if last.1 == start => last.1 = end,
        _ => ranges.push((start, end)),
    }
}

fn model(map: &[MapEntry], occupied: &[ByteRange]) -> Result<Vec<(u32, u32)>, CleanError> {
    let mut ranges = Vec::new();
    for f in 0..LOW_END {
        if frame_usable(map, occupied, f) {
            append(&mut ranges, f, f + 1);
        }
    }
    // Any byte of the gap stands for all of it; occupied ranges never reach it.
    if byte_usable(map, u64::from(LOW_END) * 4096) {
        append(&mut ranges, LOW_END, HIGH_START);
    }
    for f in HIGH_START..FRAME_END {
        if frame_usable(map, occupied, f) {
            append(&mut ranges, f, f + 1);
        }
    }
    match ranges.len() {
        0 => Err(CleanError::NoUsableMemory),
        n if n > MAX_RANGES => Err(CleanError::TooManyRanges),
        _ => Ok(ranges),
    }
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(256))]

    #[test]
    fn clean_matches_the_per_frame_model(
        map in proptest::collection::vec(entry(), 0..20),
        occupied in proptest::collection::vec(occupied(), 0..6),
    ) {
        let got = clean(&map, &occupied).map(|m| m.iter().map(|r| (r.start(), r.end())).collect());
        prop_assert_eq!(got, model(&map, &occupied));
    }

    #[test]
    fn remove_and_take_top_only_ever_take_what_they_say(
        map in proptest::collection::vec(low_entry(), 1..12),
        cuts in proptest::collection::vec((occupied(), 0u32..600), 0..8),
    ) {
        let Ok(mut mem) = clean(&map, &[]) else { return Ok(()) };
        for (cut, count) in cuts {
            let before = mem.clone();
            if mem.remove(cut).is_ok() {
                for f in before.iter().flat_map(|r| r.numbers()) {
                    let touched = cut.frames_touched().contains(f);
                    prop_assert_eq!(mem.contains(f), !touched);
                }
            } else {
                prop_assert_eq!(&mem, &before);
            }
            let before = mem.clone();
            match mem.take_top(count) {
                Ok(taken) => {
                    prop_assert_eq!(taken.len(), count);
                    prop_assert!(taken.numbers().all(|f| before.contains(f) && !mem.contains(f)));
                    prop_assert_eq!(mem.total_frames(), before.total_frames() - count);
                    // No higher range could have served the request.
                    prop_assert!(before.iter().all(|r| r.end() <= taken.end() || r.len() < count));
                }
                Err(e) => {
                    prop_assert!(before.iter().all(|r| r.len() < count));
                    prop_assert_eq!(&mem, &before);
                    prop_assert_eq!(e.wanted, count);
                }
            }
            // Canonical form survives.
            for w in mem.ranges().windows(2) {
                prop_assert!(w[0].end() < w[1].start());
            }
            prop_assert!(mem.iter().all(|r| !r.is_empty() && r.start() > 0));
        }
    }
}
