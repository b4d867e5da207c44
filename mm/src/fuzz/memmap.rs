//! Fuzz body `memmap`: the memory-map cleanup against an interval model
//! built another way.
//!
//! The input becomes a memory map (entries anywhere in the 64-bit space, of
//! any length and type, ends that overflow) and occupied ranges; then a
//! sequence of `remove` and `take_top` on the result. [`clean`] decides
//! each boundary segment with a search for the next boundary; the model
//! sorts boundary events and sweeps them with counters, rounds each run of
//! usable bytes inwards, and subtracts the frames occupied ranges touch.
//! The two must agree exactly, errors included, and so must every later
//! operation and query.

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use super::bytes::Bytes;
use crate::memmap::{
    ByteRange, CleanError, FRAME_END, FrameRange, MAX_RANGES, MapEntry, MapKind, NoContiguousRange,
    TooManyRanges, UsableMemory, clean,
};

const PAGE: u64 = 4096;
const FOUR_GIB: u64 = 1 << 32;

/// Runs the map and the operations `data` encodes; panics where `clean`,
/// `remove` or `take_top` disagree with the model.
pub fn memmap(data: &[u8]) {
    let mut input = Bytes::new(data);
    let entries: Vec<MapEntry> = (0..input.below(33))
        .map(|_| {
            let (start, len) = (address(&mut input), length(&mut input));
            MapEntry::new(start, len, kind(&mut input))
        })
        .collect();
    let occupied: Vec<ByteRange> = (0..input.below(9)).map(|_| byte_range(&mut input)).collect();

    let got = clean(&entries, &occupied);
    let want = model_clean(&entries, &occupied);
    let mut mem = match (got, want) {
        (Ok(mem), Ok(ranges)) => {
            assert_eq!(pairs(&mem), ranges, "clean({entries:x?}, {occupied:x?})");
            mem
        }
        (got, want) => {
            assert_eq!(got.map(|m| pairs(&m)), want, "clean({entries:x?}, {occupied:x?})");
            return;
        }
    };
    let mut model = pairs(&mem);
    while !input.is_empty() {
        if input.below(2) == 0 {
            let cut = byte_range(&mut input);
            let want = subtract(&model, touched(&cut));
            match mem.remove(cut) {
                Ok(()) => {
                    assert!(want.len() <= MAX_RANGES, "remove({cut:x?}) fit {} ranges", want.len());
                    model = want;
                }
                Err(TooManyRanges) => assert!(want.len() > MAX_RANGES, "remove({cut:x?}) refused"),
            }
        } else {
            let count = match input.below(4) {
                0 => input.below(4),
                1 => input.below(1 << 12),
                2 => input.below(1 << 20),
                _ => input.u32(),
            };
            let want = model_take_top(&mut model, count);
            assert_eq!(mem.take_top(count), want, "take_top({count}) of {model:x?}");
        }
        assert_agrees(&mem, &model);
    }
    let mut text = String::new();
    write!(text, "{mem}").expect("formatting into a String");
    assert_eq!(text.lines().count(), model.len() + 1, "the boot log lists every range");
}

/// A byte address: low memory, anywhere below 4 GiB, around 4 GiB, or any.
fn address(input: &mut Bytes<'_>) -> u64 {
    match input.below(8) {
        0 | 1 => u64::from(input.below(1 << 24)),
        2 => u64::from(input.below(1 << 12)) * PAGE,
        3 => u64::from(input.u32()),
        4 => FOUR_GIB - u64::from(input.below(1 << 21)),
        5 => FOUR_GIB + u64::from(input.below(1 << 21)),
        6 => u64::MAX - u64::from(input.below(1 << 16)),
        _ => input.u64(),
    }
}

/// A length: empty, small, whole frames, any 32-bit, or up to overflow.
fn length(input: &mut Bytes<'_>) -> u64 {
    match input.below(8) {
        0 => 0,
        1 | 2 => u64::from(input.below(1 << 21)),
        3 => u64::from(input.below(1 << 10)) * PAGE,
        4 => u64::from(input.u32()),
        5 => u64::MAX,
        6 => u64::MAX - u64::from(input.below(1 << 16)),
        _ => input.u64(),
    }
}

fn kind(input: &mut Bytes<'_>) -> MapKind {
    match input.below(8) {
        0..=3 => MapKind::Usable,
        4 => MapKind::Reserved,
        5 => MapKind::from_multiboot(input.in_range(2, 5)),
        _ => MapKind::from_multiboot(input.u32()),
    }
}

fn byte_range(input: &mut Bytes<'_>) -> ByteRange {
    let start = address(input);
    if input.below(4) == 0 {
        // From two bounds; backwards ones are refused and become empty.
        ByteRange::from_bounds(start, address(input)).unwrap_or(ByteRange::new(start, 0))
    } else {
        ByteRange::new(start, length(input))
    }
}

/// The ranges as `(start, end)` frame numbers.
fn pairs(mem: &UsableMemory) -> Vec<(u32, u32)> {
    mem.iter().map(|r| (r.start(), r.end())).collect()
}

/// The model of `clean`: sweep sorted boundary events with two counters.
fn model_clean(map: &[MapEntry], occupied: &[ByteRange]) -> Result<Vec<(u32, u32)>, CleanError> {
    // (position, change of usable cover, change of other cover)
    let mut events: Vec<(u64, i32, i32)> = Vec::new();
    for e in map {
        let start = e.start.min(FOUR_GIB);
        let end = e.start.saturating_add(e.len).min(FOUR_GIB);
        if start < end {
            let (u, o) = if e.kind == MapKind::Usable { (1, 0) } else { (0, 1) };
            events.push((start, u, o));
            events.push((end, -u, -o));
        }
    }
    events.sort_unstable();
    let mut runs: Vec<(u64, u64)> = Vec::new();
    let (mut usable, mut other) = (0, 0);
    for (i, &(at, du, dother)) in events.iter().enumerate() {
        usable += du;
        other += dother;
        let next = events.get(i + 1).map_or(FOUR_GIB, |e| e.0);
        if usable > 0 && other == 0 && at < next {
            match runs.last_mut() {
                Some(last) if last.1 == at => last.1 = next,
                _ => runs.push((at, next)),
            }
        }
    }
    let mut frames: Vec<(u32, u32)> = Vec::new();
    for (start, end) in runs {
        let (first, last) = (start.div_ceil(PAGE), end / PAGE);
        if first < last {
            frames.push((first as u32, last as u32));
        }
    }
    frames = subtract(&frames, (0, 1));
    for o in occupied {
        frames = subtract(&frames, touched(o));
    }
    match frames.len() {
        0 => Err(CleanError::NoUsableMemory),
        n if n > MAX_RANGES => Err(CleanError::TooManyRanges),
        _ => Ok(frames),
    }
}

/// The frames the bytes of `r` touch (rounded outwards, clipped at 4 GiB).
fn touched(r: &ByteRange) -> (u32, u32) {
    let (start, end) = (r.start().min(FOUR_GIB), r.end().min(FOUR_GIB));
    if start >= end { (0, 0) } else { ((start / PAGE) as u32, end.div_ceil(PAGE) as u32) }
}

/// `ranges` without the frames `cut`, merged where they touch.
fn subtract(ranges: &[(u32, u32)], cut: (u32, u32)) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &(start, end) in ranges {
        let pieces = if cut.0 >= cut.1 {
            [(start, end), (0, 0)]
        } else {
            [(start, end.min(cut.0)), (start.max(cut.1), end)]
        };
        for (s, e) in pieces.into_iter().filter(|(s, e)| s < e) {
            match out.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => out.push((s, e)),
            }
        }
    }
    out
}

/// The model of `take_top`.
fn model_take_top(
    model: &mut Vec<(u32, u32)>,
    count: u32,
) -> Result<FrameRange, NoContiguousRange> {
    let Some(i) = model.iter().rposition(|r| r.1 - r.0 >= count) else {
        let largest = model.iter().map(|r| r.1 - r.0).max().unwrap_or(0);
        return Err(NoContiguousRange { wanted: count, largest });
    };
    let (start, end) = model[i];
    if end - count == start {
        model.remove(i);
    } else {
        model[i].1 = end - count;
    }
    Ok(FrameRange::new(end - count, end).expect("inside the 32-bit space"))
}

/// Every query of `mem` agrees with the model.
#[track_caller]
fn assert_agrees(mem: &UsableMemory, model: &[(u32, u32)]) {
    assert_eq!(pairs(mem), model);
    let total: u32 = model.iter().map(|r| r.1 - r.0).sum();
    assert_eq!(mem.total_frames(), total);
    assert_eq!(mem.end_frame(), model.last().map_or(0, |r| r.1));
    assert_eq!(mem.is_empty(), model.is_empty());
    for &(start, end) in model {
        for frame in [start.wrapping_sub(1), start, end - 1, end] {
            let inside = model.iter().any(|&(s, e)| (s..e).contains(&frame));
            assert_eq!(mem.contains(frame), inside, "contains({frame:#x})");
        }
    }
    assert!(!mem.contains(0) && !mem.contains(FRAME_END));
}
