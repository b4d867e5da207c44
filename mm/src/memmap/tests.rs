//! Synthetic memory maps: each test is one rule of `clean`, or one way a
//! real firmware map goes wrong.

extern crate std;

use super::*;
use crate::addr::PhysAddr;
use std::string::ToString;
use std::vec::Vec;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;
const GIB: u64 = 1024 * MIB;

fn usable(start: u64, len: u64) -> MapEntry {
    MapEntry::new(start, len, MapKind::Usable)
}

fn reserved(start: u64, len: u64) -> MapEntry {
    MapEntry::new(start, len, MapKind::Reserved)
}

/// The result as `(first frame, end frame)` pairs, easy to compare.
fn frames(map: &[MapEntry], occupied: &[ByteRange]) -> Vec<(u32, u32)> {
    let mem = clean(map, occupied).expect("map has usable memory");
    mem.iter().map(|r| (r.start(), r.end())).collect()
}

#[test]
fn kinds_from_multiboot_type_numbers() {
    assert_eq!(MapKind::from_multiboot(1), MapKind::Usable);
    assert_eq!(MapKind::from_multiboot(2), MapKind::Reserved);
    assert_eq!(MapKind::from_multiboot(3), MapKind::AcpiReclaimable);
    assert_eq!(MapKind::from_multiboot(4), MapKind::AcpiNvs);
    assert_eq!(MapKind::from_multiboot(5), MapKind::Defective);
    assert_eq!(MapKind::from_multiboot(0), MapKind::Unknown(0));
    assert_eq!(MapKind::from_multiboot(0xf00), MapKind::Unknown(0xf00));
    assert!(MapKind::Usable.is_usable());
    assert!(!MapKind::AcpiReclaimable.is_usable());
}

#[test]
fn typical_pc_map() {
    // QEMU with 128 MiB: conventional memory, the BIOS hole, extended memory.
    let map = [
        MapEntry::from_multiboot(0, 0x9fc00, 1),
        MapEntry::from_multiboot(0x9fc00, 0x400, 2),
        MapEntry::from_multiboot(0xf0000, 0x10000, 2),
        MapEntry::from_multiboot(0x100000, 0x7ee0000, 1),
        MapEntry::from_multiboot(0x7fe0000, 0x20000, 2),
        MapEntry::from_multiboot(0xfffc0000, 0x40000, 2),
    ];
    let kernel = ByteRange::new(0x100000, 0x23456);
    let mbi = ByteRange::at(PhysAddr::new(0x12_4000), 0x300);
    let mem = clean(map, &[kernel, mbi]).unwrap();
    // Frame 0 is dropped, the kernel rounded out to 0x124000 and the MBI
    // frame too; the partial page at 0x9f000 goes.
    assert_eq!(
        mem.iter().map(|r| (r.start(), r.end())).collect::<Vec<_>>(),
        [(1, 0x9f), (0x125, 0x7fe0)]
    );
    assert_eq!(mem.total_frames(), 0x9e + 0x7fe0 - 0x125);
    assert_eq!(mem.end_frame(), 0x7fe0);
}

#[test]
fn frame_zero_is_never_usable() {
    assert_eq!(frames(&[usable(0, 0x3000)], &[]), [(1, 3)]);
}

#[test]
fn conventional_memory_stays_usable() {
    assert_eq!(frames(&[usable(0x1000, 0x9e000)], &[]), [(1, 0x9f)]);
}

#[test]
fn usable_inside_reserved_is_not_usable() {
    let map = [reserved(0x10000, 0x10000), usable(0x14000, 0x4000), usable(0x40000, 0x1000)];
    assert_eq!(frames(&map, &[]), [(0x40, 0x41)]);
}

#[test]
fn reserved_inside_usable_splits_it_whatever_the_order() {
    let a = [usable(0x10000, 0x10000), reserved(0x14800, 0x800)];
    let b = [a[1], a[0]];
    assert_eq!(frames(&a, &[]), [(0x10, 0x14), (0x15, 0x20)]);
    assert_eq!(frames(&b, &[]), frames(&a, &[]));
}

#[test]
fn partial_overlaps_on_both_sides() {
    // Reserved overlapping the start of usable, and another its end.
    let map = [reserved(0x8000, 0x8800), usable(0x10000, 0x10000), reserved(0x1f800, 0x4000)];
    assert_eq!(frames(&map, &[]), [(0x11, 0x1f)]);
}

#[test]
fn duplicates_and_out_of_order_entries() {
    let map = [usable(0x20000, 0x1000), usable(0x10000, 0x2000), usable(0x20000, 0x1000)];
    assert_eq!(frames(&map, &[]), [(0x10, 0x12), (0x20, 0x21)]);
}

#[test]
fn zero_length_entries_are_dropped() {
    // A zero-length reserved entry inside usable memory removes nothing,
    // even unaligned; a zero-length usable one adds nothing.
    let map = [usable(0x10000, 0x2000), reserved(0x10800, 0), usable(0x50000, 0)];
    assert_eq!(frames(&map, &[ByteRange::new(0x11800, 0)]), [(0x10, 0x12)]);
}

#[test]
fn adjacent_usable_entries_merge_before_rounding() {
    let map = [usable(0x1000, 0x800), usable(0x1800, 0x1800)];
    assert_eq!(frames(&map, &[]), [(1, 3)]);
    // Overlapping usable entries merge too.
    let map = [usable(0x10000, 0x2800), usable(0x11000, 0x2000)];
    assert_eq!(frames(&map, &[]), [(0x10, 0x13)]);
}

#[test]
fn unaligned_entries_round_inwards() {
    assert_eq!(frames(&[usable(0x1001, 0x2fff)], &[]), [(2, 4)]);
    assert_eq!(clean([usable(0x1001, 0x1000)], &[]), Err(CleanError::NoUsableMemory));
}

#[test]
fn unknown_and_non_usable_kinds_are_never_usable() {
    for typ in [2, 3, 4, 5, 0, 6, 0xffff_ffff] {
        let map = [MapEntry::from_multiboot(0x10000, 0x10000, typ)];
        assert_eq!(clean(map, &[]), Err(CleanError::NoUsableMemory), "type {typ}");
        let map = [usable(0x10000, 0x10000), MapEntry::from_multiboot(0x12000, 0x1000, typ)];
        assert_eq!(frames(&map, &[]), [(0x10, 0x12), (0x13, 0x20)], "type {typ}");
    }
}

#[test]
fn memory_at_and_above_4gib_is_ignored() {
    let map = [usable(4 * GIB, 4 * GIB), usable(0x10000, 0x1000)];
    assert_eq!(frames(&map, &[]), [(0x10, 0x11)]);
    assert_eq!(clean([usable(5 * GIB, MIB)], &[]), Err(CleanError::NoUsableMemory));
}

#[test]
fn entries_crossing_or_ending_at_4gib_are_clipped() {
    let top = FRAME_END;
    assert_eq!(frames(&[usable(4 * GIB - 0x3000, 0x3000)], &[]), [(top - 3, top)]);
    assert_eq!(frames(&[usable(4 * GIB - 0x2800, 0x10000)], &[]), [(top - 2, top)]);
    // An end that overflows u64 saturates instead of wrapping to low memory.
    assert_eq!(frames(&[usable(4 * GIB - 0x1000, u64::MAX)], &[]), [(top - 1, top)]);
    assert_eq!(frames(&[usable(u64::MAX - 5, 100), usable(0x5000, 0x1000)], &[]), [(5, 6)]);
    // A reserved entry starting above 4 GiB does not wrap onto low memory.
    let map = [usable(0x1000, 0x1000), reserved(4 * GIB + 0x1000, u64::MAX)];
    assert_eq!(frames(&map, &[]), [(1, 2)]);
    let mem = clean([usable(4 * GIB - 0x1000, 0x1000)], &[]).unwrap();
    assert_eq!(mem.end_frame(), FRAME_END);
    assert!(mem.contains(FRAME_END - 1) && !mem.contains(FRAME_END));
}

#[test]
fn no_usable_memory_is_a_clear_error() {
    assert_eq!(clean(&[] as &[MapEntry], &[]), Err(CleanError::NoUsableMemory));
    assert_eq!(clean([usable(0, 0x1000)], &[]), Err(CleanError::NoUsableMemory));
    let map = [usable(0x100000, MIB)];
    let all = [ByteRange::new(0, 2 * MIB)];
    assert_eq!(clean(map, &all), Err(CleanError::NoUsableMemory));
    let msg = CleanError::NoUsableMemory.to_string();
    assert!(msg.contains("no usable frame"), "{msg}");
}

#[test]
fn too_many_fragments_is_a_clear_error() {
    // Every other frame usable: MAX_RANGES + 1 separate ranges.
    let map: Vec<_> = (1..=MAX_RANGES as u64 + 1).map(|i| usable(i * 0x2000, 0x1000)).collect();
    assert_eq!(clean(&map, &[]), Err(CleanError::TooManyRanges));
    assert_eq!(clean(&map[..MAX_RANGES], &[]).map(|m| m.ranges().len()), Ok(MAX_RANGES));
    // Occupied holes fragment memory the same way.
    let holes: Vec<_> = (1..=MAX_RANGES as u64).map(|i| ByteRange::new(i * 0x2000, 1)).collect();
    assert_eq!(clean([usable(0x1000, 2 * MIB)], &holes), Err(CleanError::TooManyRanges));
    assert!(CleanError::TooManyRanges.to_string().contains("128 ranges"));
}

#[test]
fn occupied_ranges_round_outwards_and_straddle_range_edges() {
    let map = [usable(0x10000, 0x10000), usable(0x30000, 0x10000)];
    let occupied = [
        ByteRange::new(0xf000, 0x1001),   // straddles the first range's start
        ByteRange::new(0x14fff, 2),       // two bytes, two frames
        ByteRange::new(0x1f800, 0x10900), // from one range's end into the next
    ];
    assert_eq!(frames(&map, &occupied), [(0x11, 0x14), (0x16, 0x1f), (0x31, 0x40)]);
}

#[test]
fn occupied_bounds_checked() {
    assert_eq!(ByteRange::from_bounds(0x2000, 0x1000), None);
    assert_eq!(ByteRange::from_bounds(0x1000, 0x1800), Some(ByteRange::new(0x1000, 0x800)));
    // An occupied range ending beyond u64 saturates and removes everything above.
    let map = [usable(0x1000, 0x10000)];
    assert_eq!(frames(&map, &[ByteRange::new(0x8800, u64::MAX)]), [(1, 8)]);
}

#[test]
fn contains_and_totals() {
    let mem = clean([usable(0x1000, 0x4000), usable(0x10000, 0x2000)], &[]).unwrap();
    assert_eq!(mem.total_frames(), 6);
    let inside: Vec<u32> = (0..0x20).filter(|&f| mem.contains(f)).collect();
    assert_eq!(inside, [1, 2, 3, 4, 0x10, 0x11]);
    assert_eq!(mem.end_frame(), 0x12);
}

#[test]
fn remove_splits_trims_and_drops_ranges() {
    let mut mem = clean([usable(0x1000, 0xf000), usable(0x20000, 0x4000)], &[]).unwrap();
    mem.remove(ByteRange::new(0x4800, 0x1000)).unwrap(); // splits, rounded out
    mem.remove(ByteRange::new(0xe000, 0x13000)).unwrap(); // trims one, eats part of next
    mem.remove(ByteRange::new(0x100000, 0x1000)).unwrap(); // not usable: no-op
    let got: Vec<_> = mem.iter().map(|r| (r.start(), r.end())).collect();
    assert_eq!(got, [(1, 4), (6, 0xe), (0x21, 0x24)]);
    mem.remove(ByteRange::new(0, 4 * GIB)).unwrap();
    assert!(mem.is_empty() && mem.total_frames() == 0 && mem.end_frame() == 0);
}

#[test]
fn remove_that_does_not_fit_leaves_memory_unchanged() {
    let map: Vec<_> = (1..=MAX_RANGES as u64).map(|i| usable(i * 0x10000, 0x4000)).collect();
    let mut mem = clean(&map, &[]).unwrap();
    let before = mem.clone();
    assert_eq!(mem.remove(ByteRange::new(0x11000, 0x1000)), Err(TooManyRanges));
    assert_eq!(mem, before);
    // Trimming an end still works when full.
    mem.remove(ByteRange::new(0x13000, 0x1000)).unwrap();
    assert_eq!(mem.ranges()[0], FrameRange::new(0x10, 0x13).unwrap());
}

#[test]
fn take_top_carves_from_the_highest_range_large_enough() {
    let map = [usable(0x1000, 0x10000), usable(0x100000, 0x3000), usable(0x200000, 0x1000)];
    let mut mem = clean(map, &[]).unwrap();
    // Three frames: the top range is too small, the middle one is used up.
    assert_eq!(mem.take_top(3), Ok(FrameRange::new(0x100, 0x103).unwrap()));
    assert_eq!(mem.ranges().len(), 2);
    assert!(!mem.contains(0x100) && mem.contains(0x200));
    assert_eq!(mem.take_top(1), Ok(FrameRange::new(0x200, 0x201).unwrap()));
    assert_eq!(mem.take_top(4), Ok(FrameRange::new(0xd, 0x11).unwrap()));
    assert_eq!(mem.end_frame(), 0xd);
    let err = mem.take_top(100).unwrap_err();
    assert_eq!(err, NoContiguousRange { wanted: 100, largest: 12 });
    assert!(err.to_string().contains("100 contiguous frames"));
    assert_eq!(mem.take_top(0).map(|r| r.len()), Ok(0));
    assert_eq!(mem.total_frames(), 12);
}

#[test]
fn accepts_any_clonable_iterator_of_entries() {
    let raw = [(0u64, 0x10000u64, 1u32), (0x8000, 0x1000, 2)];
    let map = raw.iter().map(|&(b, l, t)| MapEntry::from_multiboot(b, l, t));
    let mem = clean(map, &[]).unwrap();
    assert_eq!(mem.iter().map(|r| (r.start(), r.end())).collect::<Vec<_>>(), [(1, 8), (9, 0x10)]);
}

#[test]
fn display_for_the_boot_log() {
    let mem = clean([usable(0x1000, 0x2000)], &[]).unwrap();
    assert_eq!(
        mem.to_string(),
        "  [0x00001000, 0x00003000)        8 KiB\n  2 frames usable (8 KiB)"
    );
}
