//! Random sequences against simple models: a bitmap of pages for the
//! range allocator, and a list of live mappings for the helpers.

use super::*;
use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::frame::{Frame, Page};
use crate::paging::testing::{TestFrames, mapper_over, tables};
use crate::paging::{EmulatedTables, Mapper, PageTableFlags, RecordingTlb};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::vec::Vec;

/// 48 pages straddling a 4 MiB boundary, so ranges need two page tables.
const BASE: u32 = 0xE03E_8000 / PAGE_SIZE;
const PAGES: u32 = 48;
const SLOTS: usize = 4;

fn region<const N: usize>() -> VRangeAllocator<N> {
    let page = |n: u32| Page::containing(VirtAddr::new(n * PAGE_SIZE));
    VRangeAllocator::with_region(page(BASE), page(BASE + PAGES))
}

/// The free spans a bitmap describes, as the allocator must keep them:
/// maximal runs, in order.
fn runs(free: &[bool]) -> Vec<(VirtAddr, u32)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < free.len() {
        if free[i] {
            let start = i;
            while i < free.len() && free[i] {
                i += 1;
            }
            out.push((VirtAddr::new((BASE + start as u32) * PAGE_SIZE), (i - start) as u32));
        } else {
            i += 1;
        }
    }
    out
}

#[derive(Clone, Debug)]
enum RangeOp {
    Allocate(u32),
    /// Free the live range with this index (modulo the count).
    FreeLive(usize),
    /// Free an arbitrary range, offset from the region start (may be outside).
    FreeRaw(i32, u32),
}

fn range_op() -> impl Strategy<Value = RangeOp> {
    prop_oneof![
        (0u32..10).prop_map(RangeOp::Allocate),
        any::<usize>().prop_map(RangeOp::FreeLive),
        (-4i32..52, 1u32..8).prop_map(|(s, n)| RangeOp::FreeRaw(s, n)),
    ]
}

/// What the bitmap says a free of pages `start..start + n` must do.
fn predict(free: &[bool], start: i64, n: u32) -> Result<(), ()> {
    let end = start + i64::from(n);
    if start < 0 || end > i64::from(PAGES) {
        return Err(());
    }
    if (start..end).any(|p| free[p as usize]) { Err(()) } else { Ok(()) }
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(300))]

    #[test]
    fn range_allocator_agrees_with_a_bitmap(ops in proptest::collection::vec(range_op(), 1..150)) {
        run_against_bitmap(ops)?;
    }
}

fn run_against_bitmap(ops: Vec<RangeOp>) -> Result<(), TestCaseError> {
    let mut a = region::<SLOTS>();
    let mut free = vec![true; PAGES as usize];
    let mut live: Vec<(u32, u32)> = Vec::new();
    for op in ops {
        let request = match op {
            RangeOp::Allocate(n) => {
                let first_fit =
                    (0..PAGES).find(|&s| s + n <= PAGES && (s..s + n).all(|p| free[p as usize]));
                match a.allocate(n) {
                    Ok(r) => {
                        let s = r.start().as_u32() / PAGE_SIZE - BASE;
                        prop_assert_eq!(Some(s), first_fit.filter(|_| n > 0));
                        prop_assert_eq!(r.pages(), n);
                        (s..s + n).for_each(|p| free[p as usize] = false);
                        live.push((s, n));
                    }
                    Err(AllocError::ZeroPages) => prop_assert_eq!(n, 0),
                    Err(AllocError::NoSpace { .. }) => {
                        prop_assert_eq!(first_fit.filter(|_| n > 0), None)
                    }
                }
                None
            }
            RangeOp::FreeLive(i) if !live.is_empty() => Some(live.swap_remove(i % live.len())),
            RangeOp::FreeLive(_) => None,
            RangeOp::FreeRaw(s, n) => {
                let page = (i64::from(BASE) + i64::from(s)) as u32;
                Some((page.wrapping_sub(BASE), n))
            }
        };
        if let Some((s, n)) = request {
            let start = i64::from(s as i32);
            let page = Page::containing(VirtAddr::new((BASE as i64 + start) as u32 * PAGE_SIZE));
            let range = VRange::from_raw_parts(page, n).unwrap();
            match (a.free(range), predict(&free, start, n)) {
                (Ok(()), Ok(())) => {
                    (start..start + i64::from(n)).for_each(|p| free[p as usize] = true)
                }
                (Err(e), Ok(())) => {
                    // Only a full table may refuse a valid free, and only
                    // if the result would need one span too many.
                    prop_assert_eq!(e.reason, FreeRefusal::TableFull);
                    let mut after = free.clone();
                    (start..start + i64::from(n)).for_each(|p| after[p as usize] = true);
                    prop_assert!(runs(&after).len() > SLOTS);
                    live.push((s, n));
                }
                (Err(e), Err(())) => prop_assert_ne!(e.reason, FreeRefusal::TableFull),
                (Ok(()), Err(())) => prop_assert!(false, "freed an invalid range {s}+{n}"),
            }
        }
        // A refused free changed nothing: `free` is only updated on success.
        prop_assert_eq!(a.free_spans().collect::<Vec<_>>(), runs(&free));
    }
    Ok(())
}

#[derive(Clone, Debug)]
enum MapOp {
    New(u32),
    Device(u32),
    Unmap(usize),
}

fn map_op() -> impl Strategy<Value = MapOp> {
    prop_oneof![
        (1u32..8).prop_map(MapOp::New),
        (1u32..4).prop_map(MapOp::Device),
        any::<usize>().prop_map(MapOp::Unmap),
    ]
}

const FRAMES: u32 = 24;

struct Live {
    mapped: MappedRange,
    frames: Vec<PhysAddr>,
}

fn check(mapper: &mut Mapper<EmulatedTables>, frames: &TestFrames, live: &[Live]) {
    let mut ram = BTreeSet::new();
    for l in live {
        for (p, &want) in l.mapped.range().iter().zip(&l.frames) {
            assert_eq!(mapper.translate(p.start()), Some(want), "{p:?}");
        }
        if l.mapped.source() == FrameSource::Allocator {
            for f in &l.frames {
                assert!(ram.insert(*f), "RAM frame {f} in two live ranges");
            }
        }
    }
    let dirs = [BASE >> 10, (BASE >> 10) + 1];
    let tables = dirs.iter().filter(|&&d| mapper.present_entries(d as usize) > 0).count();
    assert_eq!(frames.free_count() + ram.len() + tables, FRAMES as usize, "frame accounting");
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(200))]

    #[test]
    fn helpers_are_all_or_nothing(ops in proptest::collection::vec(map_op(), 1..60)) {
        run_helpers(ops)?;
    }
}

fn run_helpers(ops: Vec<MapOp>) -> Result<(), TestCaseError> {
    let mut ranges = region::<SLOTS>();
    let mut mapper = mapper_over(tables());
    let mut frames = TestFrames::new(FRAMES);
    let mut tlb = RecordingTlb::new();
    let mut live: Vec<Live> = Vec::new();
    let flags = PageTableFlags::WRITABLE;
    for op in ops {
        let free_before = frames.free_count();
        let spans_before: Vec<_> = ranges.free_spans().collect();
        let mut rm = RangeMapper {
            ranges: &mut ranges,
            mapper: &mut mapper,
            frames: &mut frames,
            tlb: &mut tlb,
        };
        let failed = match op {
            MapOp::New(n) => match rm.map_new(n, flags) {
                Ok(m) => {
                    let got =
                        m.range().iter().map(|p| rm.mapper.translate(p.start()).unwrap()).collect();
                    live.push(Live { mapped: m, frames: got });
                    false
                }
                Err(e) => {
                    prop_assert!(
                        matches!(e, MapRangeError::OutOfFrames | MapRangeError::Range(_)),
                        "{e}"
                    );
                    true
                }
            },
            MapOp::Device(n) => {
                let device: Vec<Frame> = (0..n).map(|i| Frame::from_number(0xA0 + i)).collect();
                // SAFETY: frames of the legacy video area: device memory here.
                match unsafe { rm.map_device(device, flags | PageTableFlags::NO_CACHE) } {
                    Ok(m) => {
                        let want = (0..n).map(|i| PhysAddr::new((0xA0 + i) * PAGE_SIZE)).collect();
                        live.push(Live { mapped: m, frames: want });
                        false
                    }
                    Err(e) => {
                        prop_assert!(
                            matches!(e, MapRangeError::OutOfFrames | MapRangeError::Range(_)),
                            "{e}"
                        );
                        true
                    }
                }
            }
            MapOp::Unmap(i) if !live.is_empty() => {
                let l = live.swap_remove(i % live.len());
                match rm.unmap(l.mapped) {
                    Ok(()) => false,
                    Err(e) => {
                        prop_assert_eq!(e.reason, UnmapRangeRefusal::Range(FreeRefusal::TableFull));
                        live.push(Live { mapped: e.mapped, frames: l.frames });
                        true
                    }
                }
            }
            MapOp::Unmap(_) => true,
        };
        if failed {
            prop_assert_eq!(frames.free_count(), free_before, "a failed call leaves no trace");
            prop_assert_eq!(ranges.free_spans().collect::<Vec<_>>(), spans_before);
        }
        check(&mut mapper, &frames, &live);
    }
    // Take everything down; a full span table only delays a range.
    while !live.is_empty() {
        let count = live.len();
        let mut kept = Vec::new();
        for l in live.drain(..) {
            let mut rm = RangeMapper {
                ranges: &mut ranges,
                mapper: &mut mapper,
                frames: &mut frames,
                tlb: &mut tlb,
            };
            if let Err(e) = rm.unmap(l.mapped) {
                kept.push(Live { mapped: e.mapped, frames: l.frames });
            }
        }
        prop_assert!(kept.len() < count, "no progress taking ranges down");
        live = kept;
    }
    prop_assert_eq!(frames.free_count(), FRAMES as usize);
    prop_assert_eq!(ranges.free_pages(), PAGES);
    Ok(())
}
