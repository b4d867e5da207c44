//! Host tests of the mapper over emulated page tables.

use super::testing::{TestFrames, frame_addr, mapper_over, setup, tables};
use super::*;
use crate::addr::{PhysAddr, VirtAddr};
use crate::frame::{Frame, FrameAllocator, Page};
use crate::layout::{PAGE_DIRECTORY, PAGE_TABLES, RECURSIVE_PDE};

const RW: PageTableFlags = PageTableFlags::WRITABLE;

fn page(addr: u32) -> Page {
    Page::from_start(VirtAddr::new(addr)).unwrap()
}

fn map(
    m: &mut Mapper<EmulatedTables>,
    p: Page,
    frame: Frame,
    flags: PageTableFlags,
    frames: &mut TestFrames,
) -> Result<Flush, MapError> {
    // SAFETY: emulated memory; the frame is the test's alone.
    unsafe { m.map(p, frame, flags, frames) }
}

fn unmap(
    m: &mut Mapper<EmulatedTables>,
    p: Page,
    frames: &mut TestFrames,
) -> Result<(Frame, Flush), UnmapError> {
    // SAFETY: emulated memory; nothing uses the page.
    unsafe { m.unmap(p, frames) }
}

#[test]
fn map_translate_unmap() {
    let (mut m, mut frames) = setup(16);
    let mut tlb = RecordingTlb::new();
    let data = frames.allocate().unwrap();
    let data_addr = data.start();
    map(&mut m, page(0xD000_3000), data, RW, &mut frames).unwrap().flush(&mut tlb);

    assert_eq!(
        m.translate(VirtAddr::new(0xD000_3ABC)),
        Some(PhysAddr::new(data_addr.as_u32() + 0xABC))
    );
    assert_eq!(m.translate(VirtAddr::new(0xD000_4000)), None);
    let entry = m.lookup(page(0xD000_3000)).unwrap();
    assert_eq!(entry.flags(), PageTableFlags::PRESENT | RW);

    let (back, flush) = unmap(&mut m, page(0xD000_3000), &mut frames).unwrap();
    flush.flush(&mut tlb);
    assert_eq!(back.start(), data_addr);
    assert_eq!(m.translate(VirtAddr::new(0xD000_3ABC)), None);
    assert_eq!(tlb.pages, [VirtAddr::new(0xD000_3000), VirtAddr::new(0xD000_3000)]);
}

#[test]
fn remap_the_same_page_to_another_frame() {
    let (mut m, mut frames) = setup(16);
    let mut tlb = RecordingTlb::new();
    let (a, b) = (frames.allocate().unwrap(), frames.allocate().unwrap());
    let (a_addr, b_addr) = (a.start(), b.start());
    let p = page(0xE123_4000);
    map(&mut m, p, a, RW, &mut frames).unwrap().flush(&mut tlb);

    let (old, flush) = unmap(&mut m, p, &mut frames).unwrap();
    flush.flush(&mut tlb);
    assert_eq!(old.start(), a_addr);
    map(&mut m, p, b, PageTableFlags::empty(), &mut frames).unwrap().flush(&mut tlb);

    assert_eq!(m.translate(p.start()), Some(b_addr));
    assert_eq!(m.lookup(p).unwrap().flags(), PageTableFlags::PRESENT);
}

#[test]
fn first_map_takes_a_zeroed_table_and_last_unmap_gives_it_back() {
    let (mut m, mut frames) = setup(16);
    let mut tlb = RecordingTlb::new();
    let dir = page(0xD040_0000).directory_index();
    let (a, b) = (frames.allocate().unwrap(), frames.allocate().unwrap());
    let before = frames.free_count();

    map(&mut m, page(0xD040_0000), a, RW, &mut frames).unwrap().flush(&mut tlb);
    assert_eq!(frames.free_count(), before - 1, "one frame for the new table");
    assert_eq!(m.present_entries(dir), 1);
    assert_eq!(m.tables().window_invalidations(dir), 1);
    // Emulated RAM is 0xA5 garbage: every other slot must read as absent.
    for slot in 1..ENTRIES as u32 {
        assert_eq!(m.translate(VirtAddr::new(0xD040_0000 + slot * 4096)), None, "slot {slot}");
    }

    map(&mut m, page(0xD07F_F000), b, RW, &mut frames).unwrap().flush(&mut tlb);
    assert_eq!(frames.free_count(), before - 1, "same table, no new frame");
    assert_eq!(m.present_entries(dir), 2);

    let (a, flush) = unmap(&mut m, page(0xD040_0000), &mut frames).unwrap();
    flush.flush(&mut tlb);
    assert_eq!(frames.free_count(), before - 1, "table still holds one page");
    let (b, flush) = unmap(&mut m, page(0xD07F_F000), &mut frames).unwrap();
    flush.flush(&mut tlb);
    assert_eq!(frames.free_count(), before, "empty table given back");
    assert_eq!(m.present_entries(dir), 0);
    assert_eq!(m.tables().window_invalidations(dir), 2, "window invalidated on removal");
    assert_eq!(m.translate(PAGE_TABLES.checked_add(dir as u32 * 4096).unwrap()), None);

    frames.free(a).unwrap();
    frames.free(b).unwrap();
    assert_eq!(frames.free_count(), 16, "every frame accounted for");
}

/// A boot-built table that lives in the kernel image: PINNED, with one
/// mapping already in it (frame 0x10, below the allocator's frames, at
/// the table's first page).
fn tables_with_static_table(dir: usize, table_frame: u32, pinned: bool) -> EmulatedTables {
    let mut t = tables();
    let mut flags = PageTableFlags::PRESENT | RW;
    if pinned {
        flags |= PageTableFlags::PINNED;
    }
    let table = Frame::from_number(table_frame);
    let table_addr = table.start();
    t.memory().words(table_addr).fill(0);
    t.memory().words(table_addr)[0] = frame_addr(0x10).as_u32() | 0x3;
    let dir_addr = t.directory_addr();
    t.memory().words(dir_addr)[dir] = PageTableEntry::new(&table, flags).bits();
    t
}

#[test]
fn pinned_table_is_counted_at_start_and_never_freed() {
    let dir = crate::layout::KERNEL_PDE;
    let mut m = mapper_over(tables_with_static_table(dir, 200, true));
    let mut frames = TestFrames::new(8);
    let mut tlb = RecordingTlb::new();
    assert_eq!(m.present_entries(dir), 1, "boot mapping counted by the scan");
    assert_eq!(m.translate(VirtAddr::new(0xC000_0010)), Some(PhysAddr::new(0x1_0010)));

    let extra = frames.allocate().unwrap();
    map(&mut m, page(0xC000_1000), extra, RW, &mut frames).unwrap().flush(&mut tlb);
    assert_eq!(frames.free_count(), 7, "existing table used, none allocated");
    for addr in [0xC000_1000, 0xC000_0000] {
        let (frame, flush) = unmap(&mut m, page(addr), &mut frames).unwrap();
        flush.flush(&mut tlb);
        if frame.number() != 0x10 {
            frames.free(frame).unwrap();
        }
    }
    assert_eq!(m.present_entries(dir), 0);
    assert!(m.tables().window_invalidations(dir) == 0, "pinned entry untouched");
    assert_eq!(frames.free_count(), 8, "the static table was not given to the allocator");
    // The empty pinned table is still there and usable.
    let again = frames.allocate().unwrap();
    map(&mut m, page(0xC000_2000), again, RW, &mut frames).unwrap().flush(&mut tlb);
    assert_eq!(frames.free_count(), 7);
}

#[test]
#[should_panic(expected = "must be PINNED")]
fn an_unpinned_static_table_is_a_loud_error() {
    // Frame 200 is not the allocator's, and the boot code forgot PINNED.
    let mut m = mapper_over(tables_with_static_table(768, 200, false));
    let mut frames = TestFrames::new(8);
    let (_frame, flush) = unmap(&mut m, page(0xC000_0000), &mut frames).unwrap();
    flush.flush(&mut RecordingTlb::new());
}

#[test]
fn an_unpinned_boot_table_from_the_allocator_is_freed_when_empty() {
    let mut frames = TestFrames::new(8);
    let table = frames.allocate().unwrap();
    let mut m = mapper_over(tables_with_static_table(900, table.number(), false));
    assert_eq!(frames.free_count(), 7);
    let (frame, flush) = unmap(&mut m, page(900 << 22), &mut frames).unwrap();
    flush.flush(&mut RecordingTlb::new());
    assert_eq!(frame.start(), frame_addr(0x10));
    assert_eq!(frames.free_count(), 8, "table back in the allocator");
}

#[test]
fn already_mapped_gives_the_frame_back() {
    let (mut m, mut frames) = setup(8);
    let (a, b) = (frames.allocate().unwrap(), frames.allocate().unwrap());
    let (a_addr, b_addr) = (a.start(), b.start());
    map(&mut m, page(0xE000_0000), a, RW, &mut frames).unwrap().flush(&mut RecordingTlb::new());
    let free = frames.free_count();

    let err = map(&mut m, page(0xE000_0000), b, RW, &mut frames).unwrap_err();
    assert!(matches!(&err, MapError::AlreadyMapped { existing, .. } if *existing == a_addr));
    assert_eq!(err.into_frame().start(), b_addr);
    assert_eq!(frames.free_count(), free);
    assert_eq!(m.translate(VirtAddr::new(0xE000_0000)), Some(a_addr));
}

#[test]
fn out_of_frames_gives_the_frame_back_and_changes_nothing() {
    let (mut m, mut frames) = setup(1);
    let data = frames.allocate().unwrap();
    let addr = data.start();
    let err = map(&mut m, page(0xD000_0000), data, RW, &mut frames).unwrap_err();
    assert_eq!(err, MapError::OutOfFrames(Frame::from_start(addr).unwrap()));
    assert!(!m.tables_mut_for_test().directory()[0x340].is_present());
    assert_eq!(m.present_entries(0x340), 0);
}

impl Mapper<EmulatedTables> {
    fn tables_mut_for_test(&mut self) -> &mut EmulatedTables {
        // SAFETY: the tests only read through it.
        unsafe { self.tables_mut() }
    }
}

#[test]
fn not_mapped_errors_change_nothing() {
    let (mut m, mut frames) = setup(8);
    let f = frames.allocate().unwrap();
    map(&mut m, page(0xD000_0000), f, RW, &mut frames).unwrap().flush(&mut RecordingTlb::new());
    let free = frames.free_count();
    for addr in [0xD000_1000, 0xD800_0000] {
        let p = page(addr);
        assert_eq!(unmap(&mut m, p, &mut frames).unwrap_err(), UnmapError::NotMapped(p));
        // SAFETY: emulated memory.
        let err = unsafe { m.update_flags(p, RW) }.unwrap_err();
        assert_eq!(err, UpdateFlagsError::NotMapped(p));
    }
    assert_eq!(frames.free_count(), free);
    assert_eq!(m.present_entries(0x340), 1);
}

#[test]
fn the_recursive_window_is_never_edited_but_translates() {
    let (mut m, mut frames) = setup(8);
    let dir_addr = m.tables().directory_addr();
    let f = frames.allocate().unwrap();
    let f_addr = f.start();
    let p = page(PAGE_DIRECTORY.as_u32());
    let err = map(&mut m, p, f, RW, &mut frames).unwrap_err();
    assert_eq!(err.into_frame().start(), f_addr);
    assert_eq!(unmap(&mut m, p, &mut frames).unwrap_err(), UnmapError::RecursiveWindow(p));
    // SAFETY: emulated memory.
    let err = unsafe { m.update_flags(p, RW) }.unwrap_err();
    assert_eq!(err, UpdateFlagsError::RecursiveWindow(p));

    assert_eq!(m.translate(PAGE_DIRECTORY), Some(dir_addr));
    let f = frames.allocate().unwrap();
    map(&mut m, page(0xC040_0000), f, RW, &mut frames).unwrap().flush(&mut RecordingTlb::new());
    let table = m.tables_mut_for_test().directory()[0x301].addr();
    assert_eq!(m.translate(PAGE_TABLES.checked_add(0x301 * 4096).unwrap()), Some(table));
    assert_eq!(m.present_entries(RECURSIVE_PDE), 0);
}

#[test]
fn flush_tokens_are_required_for_changes_to_present_entries() {
    let (mut m, mut frames) = setup(8);
    let mut tlb = RecordingTlb::new();
    let p = page(0xD000_5000);
    let f = frames.allocate().unwrap();
    let flush = map(&mut m, p, f, RW, &mut frames).unwrap();
    assert!(!flush.is_required(), "a not-present entry is never cached");
    assert_eq!(flush.page(), p);
    flush.flush(&mut tlb);

    // SAFETY: emulated memory; nothing holds a reference into the page.
    let flush = unsafe { m.update_flags(p, PageTableFlags::empty()) }.unwrap();
    assert!(flush.is_required());
    flush.flush(&mut tlb);

    let (_f, flush) = unmap(&mut m, p, &mut frames).unwrap();
    assert!(flush.is_required());
    assert_eq!(flush.page(), p);
    flush.flush(&mut tlb);
    assert_eq!(tlb.pages, [p.start(); 3]);
}

#[test]
fn update_flags_keeps_the_frame_and_presence() {
    let (mut m, mut frames) = setup(8);
    let f = frames.allocate().unwrap();
    let addr = f.start();
    let p = page(0xC010_0000);
    map(&mut m, p, f, RW | PageTableFlags::GLOBAL, &mut frames)
        .unwrap()
        .flush(&mut RecordingTlb::new());
    // SAFETY: emulated memory: nothing writes to the page.
    let flush = unsafe { m.update_flags(p, PageTableFlags::GLOBAL) }.unwrap();
    flush.flush(&mut RecordingTlb::new());
    let e = m.lookup(p).unwrap();
    assert_eq!(e.addr(), addr);
    assert_eq!(e.flags(), PageTableFlags::PRESENT | PageTableFlags::GLOBAL);
}

#[test]
fn user_mappings_open_the_directory_entry_too() {
    let (mut m, mut frames) = setup(8);
    let mut tlb = RecordingTlb::new();
    let (a, b) = (frames.allocate().unwrap(), frames.allocate().unwrap());
    map(&mut m, page(0x0040_0000), a, RW, &mut frames).unwrap().flush(&mut tlb);
    let pde = |m: &mut Mapper<EmulatedTables>| m.tables_mut_for_test().directory()[1];
    assert_eq!(pde(&mut m).flags(), PageTableFlags::PRESENT | RW);
    map(&mut m, page(0x0040_1000), b, PageTableFlags::USER, &mut frames).unwrap().flush(&mut tlb);
    assert!(pde(&mut m).flags().contains(PageTableFlags::USER));
    assert_eq!(m.tables().window_invalidations(1), 2, "created, then USER added");
}

#[test]
fn a_directory_with_a_large_page_is_refused() {
    let mut t = tables();
    let dir_addr = t.directory_addr();
    t.memory().words(dir_addr)[5] = 0x0140_0000 | 0x83; // PS | WRITABLE | PRESENT
    // SAFETY: the mapper is refused before it could write anything.
    let err = unsafe { Mapper::new(t) }.unwrap_err();
    assert_eq!(err, InitError::LargePage { index: 5 });
}

#[test]
fn replace_swaps_the_frame_and_keeps_the_table() {
    let (mut m, mut frames) = setup(8);
    let mut tlb = RecordingTlb::new();
    let p = page(0x0040_3000);
    let old = frames.allocate().unwrap();
    let old_addr = old.start();
    map(&mut m, p, old, PageTableFlags::USER, &mut frames).unwrap().flush(&mut tlb);
    let free = frames.free_count();
    let new = frames.allocate().unwrap();
    let new_addr = new.start();
    // SAFETY: emulated memory; nothing relies on the page's old frame.
    let (back, flush) = unsafe { m.replace(p, new, PageTableFlags::USER | RW) }.unwrap();
    assert!(flush.is_required(), "the old translation may be cached");
    flush.flush(&mut tlb);
    assert_eq!(back.start(), old_addr, "the old frame comes back");
    let e = m.lookup(p).unwrap();
    assert_eq!(e.addr(), new_addr);
    assert_eq!(e.flags(), PageTableFlags::PRESENT | PageTableFlags::USER | RW);
    assert_eq!(m.present_entries(1), 1, "still one entry in the table");
    assert_eq!(frames.free_count(), free - 1, "no table taken or freed");
    frames.free(back).unwrap();
}

#[test]
fn replace_refuses_a_page_not_mapped_and_gives_the_frame_back() {
    let (mut m, mut frames) = setup(8);
    let f = frames.allocate().unwrap();
    let at = f.start();
    // SAFETY: emulated memory.
    let (err, back) = unsafe { m.replace(page(0x0040_0000), f, RW) }.unwrap_err();
    assert_eq!(err, UnmapError::NotMapped(page(0x0040_0000)));
    assert_eq!(back.start(), at);
    let g = frames.allocate().unwrap();
    map(&mut m, page(0x0040_0000), g, RW, &mut frames).unwrap().flush(&mut RecordingTlb::new());
    // SAFETY: emulated memory.
    let (err, _) = unsafe { m.replace(page(0x0040_1000), back, RW) }.unwrap_err();
    assert_eq!(err, UnmapError::NotMapped(page(0x0040_1000)));
    // SAFETY: emulated memory.
    let (err, _) =
        unsafe { m.replace(page(0xFFC0_0000), Frame::from_number(300), RW) }.unwrap_err();
    assert_eq!(err, UnmapError::RecursiveWindow(page(0xFFC0_0000)));
}
