//! Host tests of the range allocator and of the all-or-nothing helpers.

use super::*;
use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::frame::{Frame, FrameAllocator, Page};
use crate::layout::{VRANGE_END, VRANGE_START};
use crate::paging::testing::{TestFrames, mapper_over, tables};
use crate::paging::{EmulatedTables, Mapper, PageTableFlags, RecordingTlb};

fn page(addr: u32) -> Page {
    Page::from_start(VirtAddr::new(addr)).unwrap()
}

/// Pages 0xE0000..0xE0010: 16 pages, at most `N` free spans.
fn small<const N: usize>() -> VRangeAllocator<N> {
    VRangeAllocator::with_region(page(0xE000_0000), page(0xE001_0000))
}

fn spans<const N: usize>(a: &VRangeAllocator<N>) -> Vec<(u32, u32)> {
    a.free_spans().map(|(s, n)| ((s.as_u32() - 0xE000_0000) / PAGE_SIZE, n)).collect()
}

#[test]
fn the_kernel_region_starts_all_free() {
    let a = VRangeAllocator::new();
    assert_eq!(a.region(), (VRANGE_START, VRANGE_END));
    assert_eq!(a.free_pages(), (VRANGE_END.as_u32() - VRANGE_START.as_u32()) / PAGE_SIZE);
}

#[test]
fn first_fit_and_coalescing_on_both_sides() {
    let mut a = small::<4>();
    let r0 = a.allocate(4).unwrap();
    let r1 = a.allocate(4).unwrap();
    let r2 = a.allocate(4).unwrap();
    assert_eq!(
        (r0.start(), r1.start(), r2.start()),
        (VirtAddr::new(0xE000_0000), VirtAddr::new(0xE000_4000), VirtAddr::new(0xE000_8000))
    );
    assert_eq!(a.allocate(5), Err(AllocError::NoSpace { pages: 5, largest_free: 4 }));
    assert_eq!(a.allocate(0), Err(AllocError::ZeroPages));

    a.free(r1).unwrap();
    assert_eq!(spans(&a), [(4, 4), (12, 4)]);
    a.free(r0).unwrap();
    assert_eq!(spans(&a), [(0, 8), (12, 4)], "merged with the next span");
    a.free(r2).unwrap();
    assert_eq!(spans(&a), [(0, 16)], "merged with both");
    assert_eq!(a.free_pages(), 16);
}

#[test]
fn a_double_free_is_refused_and_changes_nothing() {
    let mut a = small::<4>();
    let r = a.allocate(2).unwrap();
    let again = VRange::from_raw_parts(r.first_page(), r.pages()).unwrap();
    a.free(r).unwrap();
    let err = a.free(again).unwrap_err();
    assert_eq!(
        err.reason,
        FreeRefusal::Overlaps { free_start: VirtAddr::new(0xE000_0000), free_pages: 16 }
    );
    assert_eq!(err.range.start(), VirtAddr::new(0xE000_0000));
    assert_eq!(spans(&a), [(0, 16)]);
}

#[test]
fn ranges_overlapping_free_space_or_outside_are_refused() {
    let mut a = small::<4>();
    let _r = a.allocate(4).unwrap();
    // Pages 2..6: 4 and 5 are free.
    let err = a.free(VRange::from_raw_parts(page(0xE000_2000), 4).unwrap()).unwrap_err();
    assert_eq!(
        err.reason,
        FreeRefusal::Overlaps { free_start: VirtAddr::new(0xE000_4000), free_pages: 12 }
    );
    for (start, pages) in [(0xDFFF_F000, 2), (0xE001_0000, 1), (0xE000_F000, 2)] {
        let err = a.free(VRange::from_raw_parts(page(start), pages).unwrap()).unwrap_err();
        assert_eq!(err.reason, FreeRefusal::OutsideRegion, "{start:#x}+{pages}");
    }
    assert_eq!(spans(&a), [(4, 12)]);
    // Freeing part of an allocation is allowed: only free space is tracked.
    a.free(VRange::from_raw_parts(page(0xE000_1000), 1).unwrap()).unwrap();
    assert_eq!(spans(&a), [(1, 1), (4, 12)]);
}

#[test]
fn a_full_span_table_refuses_and_keeps_the_range() {
    let mut a = small::<2>();
    let r: Vec<VRange> = (0..5).map(|_| a.allocate(1).unwrap()).collect();
    let mut r = r.into_iter();
    let (r0, r1, r2) = (r.next().unwrap(), r.next().unwrap(), r.next().unwrap());
    a.free(r0).unwrap();
    assert_eq!(spans(&a), [(0, 1), (5, 11)]);
    assert_eq!(a.check_free(&r2), Err(FreeRefusal::TableFull));
    let err = a.free(r2).unwrap_err();
    assert_eq!(err.reason, FreeRefusal::TableFull);
    assert_eq!(spans(&a), [(0, 1), (5, 11)], "nothing changed");
    a.free(r1).unwrap();
    a.free(err.range).unwrap();
    assert_eq!(spans(&a), [(0, 3), (5, 11)]);
}

/// Everything the helpers need, over emulated memory.
struct World {
    ranges: VRangeAllocator<8>,
    mapper: Mapper<EmulatedTables>,
    frames: TestFrames,
    tlb: RecordingTlb,
}

impl World {
    fn new(frames: u32) -> Self {
        Self {
            ranges: VRangeAllocator::with_region(
                Page::containing(VRANGE_START),
                Page::containing(VRANGE_END),
            ),
            mapper: mapper_over(tables()),
            frames: TestFrames::new(frames),
            tlb: RecordingTlb::new(),
        }
    }

    fn rm(&mut self) -> RangeMapper<'_, EmulatedTables, TestFrames, RecordingTlb, 8> {
        RangeMapper {
            ranges: &mut self.ranges,
            mapper: &mut self.mapper,
            frames: &mut self.frames,
            tlb: &mut self.tlb,
        }
    }

    /// Nothing mapped in the region's first 4 MiB, no table for it.
    fn assert_pristine(&mut self, frames: usize) {
        assert_eq!(self.frames.free_count(), frames, "every frame back");
        assert_eq!(self.ranges.free_pages(), 0x1F800, "every page back");
        assert_eq!(self.mapper.present_entries(VRANGE_START.directory_index()), 0);
        assert_eq!(self.mapper.lookup(Page::containing(VRANGE_START)), None);
    }
}

const RW: PageTableFlags = PageTableFlags::WRITABLE;

#[test]
fn sixteen_frames_for_a_driver_and_back() {
    let mut w = World::new(32);
    let m = w.rm().map_new(16, RW).unwrap();
    assert_eq!(m.source(), FrameSource::Allocator);
    assert_eq!(m.size(), 16 * PAGE_SIZE);
    let mut seen = std::collections::BTreeSet::new();
    for p in m.range().iter() {
        let phys = w.mapper.translate(p.start()).unwrap();
        assert!(seen.insert(phys), "frame {phys} mapped twice");
    }
    assert_eq!(w.frames.free_count(), 32 - 16 - 1, "16 frames and one page table");
    assert_eq!(w.tlb.pages.len(), 16);

    w.rm().unmap(m).unwrap();
    assert_eq!(w.tlb.pages.len(), 32, "every unmapped page flushed");
    w.assert_pristine(32);
}

#[test]
fn the_vga_text_buffer_is_mapped_and_never_freed() {
    let mut w = World::new(4);
    let vga = Frame::from_start(PhysAddr::new(0xB8000)).unwrap();
    let flags = RW | PageTableFlags::NO_CACHE;
    // SAFETY: 0xB8000 is device memory; nothing else maps it here.
    let m = unsafe { w.rm().map_device([vga], flags) }.unwrap();
    assert_eq!(m.source(), FrameSource::Device);
    assert_eq!(
        w.mapper.translate(VirtAddr::new(m.start().as_u32() + 0x10)),
        Some(PhysAddr::new(0xB8010))
    );
    assert!(w.mapper.lookup(m.range().first_page()).unwrap().flags().contains(flags));
    assert_eq!(w.frames.free_count(), 3, "only the page table came from the allocator");
    // TestFrames refuses frames it does not manage, and `release` panics on
    // a refusal: reaching the next line means 0xB8000 was not freed.
    w.rm().unmap(m).unwrap();
    w.assert_pristine(4);
}

#[test]
fn running_out_of_frames_undoes_everything() {
    let mut w = World::new(10);
    assert_eq!(w.rm().map_new(16, RW), Err(MapRangeError::OutOfFrames));
    w.assert_pristine(10);
    assert_eq!(w.tlb.pages.len(), 2 * 9, "9 pages mapped, then unmapped and flushed");
}

#[test]
fn no_frame_for_the_page_table_undoes_a_device_map() {
    let mut w = World::new(0);
    let frames = (0xA0..0xA2).map(Frame::from_number);
    // SAFETY: frames of the legacy video area, device memory in the emulation.
    let err = unsafe { w.rm().map_device(frames, RW) }.unwrap_err();
    assert_eq!(err, MapRangeError::OutOfFrames);
    w.assert_pristine(0);
}

#[test]
fn a_page_mapped_behind_the_allocator_is_reported_and_left_alone() {
    let mut w = World::new(16);
    let stray = w.frames.allocate().unwrap();
    let stray_addr = stray.start();
    let p = page(VRANGE_START.as_u32() + 2 * PAGE_SIZE);
    // SAFETY: emulated memory; the frame is fresh.
    unsafe { w.mapper.map(p, stray, RW, &mut w.frames) }.unwrap().flush(&mut w.tlb);
    let free = w.frames.free_count();

    let err = w.rm().map_new(4, RW).unwrap_err();
    assert_eq!(err, MapRangeError::AlreadyMapped { page: p, existing: stray_addr });
    assert_eq!(w.frames.free_count(), free);
    assert_eq!(w.ranges.free_pages(), 0x1F800);
    assert_eq!(w.mapper.translate(p.start()), Some(stray_addr), "the stray mapping is untouched");
    assert_eq!(w.mapper.present_entries(p.directory_index()), 1);
}

/// An iterator that promises three frames and gives one.
struct Liar(Option<Frame>);

impl Iterator for Liar {
    type Item = Frame;
    fn next(&mut self) -> Option<Frame> {
        self.0.take()
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (3, Some(3))
    }
}

impl ExactSizeIterator for Liar {}

#[test]
fn a_short_device_iterator_undoes_everything() {
    let mut w = World::new(4);
    let liar = Liar(Some(Frame::from_number(0xB8)));
    // SAFETY: device memory.
    let err = unsafe { w.rm().map_device(liar, RW) }.unwrap_err();
    assert_eq!(err, MapRangeError::ShortIterator { expected: 3, got: 1 });
    w.assert_pristine(4);
}

#[test]
fn unmap_refuses_a_range_it_cannot_take_down_whole() {
    let mut w = World::new(16);
    let m = w.rm().map_new(3, RW).unwrap();
    let hole = m.range().page(1).unwrap();
    // SAFETY: emulated memory; nothing uses the page.
    let (frame, flush) = unsafe { w.mapper.unmap(hole, &mut w.frames) }.unwrap();
    flush.flush(&mut w.tlb);
    let free = w.frames.free_count();

    let err = w.rm().unmap(m).unwrap_err();
    assert_eq!(err.reason, UnmapRangeRefusal::NotMapped(hole));
    assert_eq!(w.frames.free_count(), free, "nothing freed");
    assert!(w.mapper.lookup(err.mapped.range().first_page()).is_some(), "nothing unmapped");

    // Put the page back; now a different range allocator refuses it.
    // SAFETY: emulated memory; the frame came from this page.
    unsafe { w.mapper.map(hole, frame, RW, &mut w.frames) }.unwrap().flush(&mut w.tlb);
    let mut other = VRangeAllocator::<8>::with_region(
        Page::containing(VRANGE_START),
        Page::containing(VRANGE_END),
    );
    let mut rm = RangeMapper {
        ranges: &mut other,
        mapper: &mut w.mapper,
        frames: &mut w.frames,
        tlb: &mut w.tlb,
    };
    let err = rm.unmap(err.mapped).unwrap_err();
    assert!(matches!(err.reason, UnmapRangeRefusal::Range(FreeRefusal::Overlaps { .. })));

    w.rm().unmap(err.mapped).unwrap();
    w.assert_pristine(16);
}
