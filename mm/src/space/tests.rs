//! Host tests of address spaces, regions and the fault decision, over
//! emulated RAM shared by the kernel's directory and every space.

use super::fault::{Decision, Fault, Violation, decide};
use super::*;
use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator, Page};
use crate::layout::*;
use crate::paging::testing::{DIRECTORY_FRAME, RAM_FRAMES, TestFrames};
use crate::paging::{Mapper, PageTableEntry, PageTableFlags, RecordingTlb};
use std::cell::RefCell;
use std::rc::Rc;

pub(crate) type Kernel = Mapper<SharedKernelHalf<SpaceTables<EmulatedFrames>, EmulatedFrames, 8>>;

/// A machine: emulated RAM, a frame allocator, the kernel's directory
/// (frame 255) behind a mapper that keeps the kernel half shared.
pub(crate) struct Machine {
    pub window: EmulatedFrames,
    pub frames: TestFrames,
    pub counts: FrameCounts<EmulatedFrames>,
    pub kernel: Kernel,
}

pub(crate) fn machine(frames: u32) -> Machine {
    let memory = Rc::new(RefCell::new(PhysMemory::new(RAM_FRAMES * PAGE_SIZE)));
    let dir = Frame::from_number(DIRECTORY_FRAME);
    {
        let mut m = memory.borrow_mut();
        let words = m.words(dir.start());
        words.fill(0);
        words[RECURSIVE_PDE] =
            PageTableEntry::new(&dir, PageTableFlags::PRESENT | PageTableFlags::WRITABLE).bits();
    }
    let window = EmulatedFrames::new(memory);
    // SAFETY: the kernel directory is only edited through this mapper.
    let tables = unsafe { SpaceTables::new(dir.start(), window.clone()) };
    let mut shared = SharedKernelHalf::new(tables, window.clone());
    shared.register(dir.start()).unwrap();
    // SAFETY: as above; the directory is empty but for the recursive entry.
    let kernel = unsafe { Mapper::new(shared) }.unwrap();
    let counts = FrameCounts::new(window.clone());
    Machine { window, frames: TestFrames::new(frames), counts, kernel }
}

impl Machine {
    pub fn space(&mut self) -> AddressSpace<EmulatedFrames> {
        let dir = self.frames.allocate().expect("a frame for the directory");
        // SAFETY: registering changes no entry of the kernel's tables.
        let shared = unsafe { self.kernel.tables_mut() };
        AddressSpace::new(self.window.clone(), dir, shared).map_err(|(e, _)| e).unwrap()
    }

    pub fn destroy(&mut self, space: AddressSpace<EmulatedFrames>) -> SpaceFrames {
        // SAFETY: unregistering changes no entry of the kernel's tables.
        let shared = unsafe { self.kernel.tables_mut() };
        space.destroy(&mut self.frames, &mut self.counts, shared)
    }

    /// Maps a kernel page (as the heap does) through the kernel mapper.
    pub fn map_kernel(&mut self, addr: u32) -> PhysAddr {
        let frame = self.frames.allocate().unwrap();
        let at = frame.start();
        let page = Page::containing(VirtAddr::new(addr));
        // SAFETY: emulated; the frame is ours.
        let flush =
            unsafe { self.kernel.map(page, frame, PageTableFlags::WRITABLE, &mut self.frames) };
        drop(flush.unwrap());
        at
    }

    pub fn unmap_kernel(&mut self, addr: u32) {
        let page = Page::containing(VirtAddr::new(addr));
        // SAFETY: emulated; nothing uses the page.
        let (frame, flush) = unsafe { self.kernel.unmap(page, &mut self.frames) }.unwrap();
        flush.flush(&mut RecordingTlb::new());
        self.frames.free(frame).unwrap();
    }
}

pub(crate) fn page(addr: u32) -> Page {
    Page::from_start(VirtAddr::new(addr)).unwrap()
}

const RW: PageTableFlags = PageTableFlags::WRITABLE;

#[test]
fn a_new_space_costs_one_frame_and_destroying_it_gives_it_back() {
    let mut m = machine(64);
    let before = m.frames.free_count();
    let space = m.space();
    assert_eq!(space.frames(), SpaceFrames { directory: 1, tables: 0, pages: 0 });
    assert_eq!(m.frames.free_count(), before - 1);
    assert_eq!(m.destroy(space).total(), 1);
    assert_eq!(m.frames.free_count(), before);
}

#[test]
fn every_frame_a_space_took_comes_back_counted() {
    let mut m = machine(64);
    let before = m.frames.free_count();
    let mut space = m.space();
    // Three pages in one table, one page in another 4 MiB.
    for addr in [0x0040_0000, 0x0040_1000, 0x0040_5000, 0x4000_0000] {
        space.map_zeroed(page(addr), RW, &mut m.frames).unwrap();
    }
    let held = space.frames();
    assert_eq!(held, SpaceFrames { directory: 1, tables: 2, pages: 4 });
    assert_eq!(m.frames.free_count(), before - 7);
    assert_eq!(m.destroy(space), held);
    assert_eq!(m.frames.free_count(), before);
}

#[test]
fn map_zeroed_zeroes_and_map_filled_fills() {
    let mut m = machine(16);
    let mut space = m.space();
    space.map_zeroed(page(0x0040_0000), RW, &mut m.frames).unwrap();
    space
        .map_filled(page(0x0040_1000), PageTableFlags::empty(), &mut m.frames, |b| b.fill(0x7E))
        .unwrap();
    let mut buf = [0xFFu8; 8];
    space.read(VirtAddr::new(0x0040_0FFC), &mut buf).unwrap();
    assert_eq!(buf, [0, 0, 0, 0, 0x7E, 0x7E, 0x7E, 0x7E]);
    // Emulated RAM starts as 0xA5: the zeroing was real.
    let e = space.lookup(page(0x0040_1000)).unwrap();
    assert_eq!(e.flags(), PageTableFlags::PRESENT | PageTableFlags::USER);
    let e = space.lookup(page(0x0040_0000)).unwrap();
    assert!(e.flags().contains(PageTableFlags::USER | PageTableFlags::WRITABLE));
    m.destroy(space);
}

#[test]
fn the_kernel_half_is_refused() {
    let mut m = machine(16);
    let mut space = m.space();
    let free = m.frames.free_count();
    let kernel_page = page(0xC000_0000);
    assert_eq!(
        space.map_zeroed(kernel_page, RW, &mut m.frames),
        Err(SpaceError::KernelHalf(kernel_page))
    );
    assert_eq!(space.translate(VirtAddr::new(0xD000_0000)), None);
    let mut tlb = RecordingTlb::new();
    assert!(space.unmap_range(kernel_page, 1, &mut m.frames, &mut m.counts, &mut tlb).is_err());
    assert!(space.protect(kernel_page, RW, &mut tlb).is_err());
    assert_eq!(m.frames.free_count(), free, "nothing taken on a refusal");
    m.destroy(space);
}

#[test]
fn out_of_frames_leaves_nothing_behind() {
    let mut m = machine(2);
    let mut space = m.space(); // takes one: one left
    // The page needs a frame and a table: only one exists.
    assert_eq!(
        space.map_zeroed(page(0x0040_0000), RW, &mut m.frames),
        Err(SpaceError::OutOfFrames)
    );
    assert_eq!(m.frames.free_count(), 1);
    assert_eq!(space.frames().total(), 1);
    m.destroy(space);
    assert_eq!(m.frames.free_count(), 2);
}

#[test]
fn two_spaces_same_address_different_frames() {
    let mut m = machine(32);
    let mut a = m.space();
    let mut b = m.space();
    let at = page(0x0040_0000);
    a.map_filled(at, RW, &mut m.frames, |p| p.fill(b'a')).unwrap();
    b.map_filled(at, RW, &mut m.frames, |p| p.fill(b'b')).unwrap();
    let (mut x, mut y) = ([0u8; 4], [0u8; 4]);
    a.read(at.start(), &mut x).unwrap();
    b.read(at.start(), &mut y).unwrap();
    assert_eq!((&x, &y), (b"aaaa", b"bbbb"));
    assert_ne!(a.translate(at.start()), b.translate(at.start()));
    m.destroy(a);
    m.destroy(b);
}

#[test]
fn a_kernel_table_made_later_reaches_every_space_and_its_removal_too() {
    let mut m = machine(32);
    let mut a = m.space();
    let heap = 0xD000_0000;
    assert_eq!(a.lookup(page(0x0040_0000)), None);
    let phys = m.map_kernel(heap);
    let mut b = m.space();
    // Both spaces (made before and after) see the kernel page through
    // their own directory: read the directory entry each has.
    for space in [&mut a, &mut b] {
        let dir = space.directory();
        let pde = m.window.memory().borrow_mut().read_u32(PhysAddr::new(dir.as_u32() + 4 * 832));
        assert_ne!(pde & 1, 0, "directory {dir} lacks the heap's table");
    }
    let _ = phys;
    m.unmap_kernel(heap);
    for space in [&mut a, &mut b] {
        let dir = space.directory();
        let pde = m.window.memory().borrow_mut().read_u32(PhysAddr::new(dir.as_u32() + 4 * 832));
        assert_eq!(pde, 0, "directory {dir} still points at the freed table");
    }
    m.destroy(a);
    m.destroy(b);
    assert!(m.kernel.tables().registered().len() == 1, "only the kernel's directory is left");
}

#[test]
fn protect_changes_rights_and_flushes() {
    let mut m = machine(16);
    let mut space = m.space();
    let p = page(0x0040_2000);
    space.map_zeroed(p, RW, &mut m.frames).unwrap();
    let mut tlb = RecordingTlb::new();
    space.protect(p, PageTableFlags::empty(), &mut tlb).unwrap();
    assert_eq!(space.lookup(p).unwrap().flags(), PageTableFlags::PRESENT | PageTableFlags::USER);
    assert_eq!(tlb.pages, [p.start()]);
    assert_eq!(
        space.protect(page(0x0040_3000), RW, &mut tlb),
        Err(SpaceError::NotMapped(page(0x0040_3000)))
    );
    m.destroy(space);
}

#[test]
fn unmap_range_skips_holes_and_frees_empty_tables() {
    let mut m = machine(32);
    let before = m.frames.free_count();
    let mut space = m.space();
    for addr in [0x0040_0000, 0x0040_3000, 0x0080_0000] {
        space.map_zeroed(page(addr), RW, &mut m.frames).unwrap();
    }
    let mut tlb = RecordingTlb::new();
    let n = space
        .unmap_range(page(0x0040_0000), 0x1000, &mut m.frames, &mut m.counts, &mut tlb)
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(space.frames(), SpaceFrames { directory: 1, tables: 0, pages: 0 });
    assert_eq!(m.frames.free_count(), before - 1);
    m.destroy(space);
}

// ---------------------------------------------------------------- regions

fn region(addr: u32, pages: u32, rights: Rights, kind: RegionKind) -> Region {
    Region { start: page(addr), pages, rights, kind }
}

const RWR: Rights = Rights::READ.union(Rights::WRITE);

#[test]
fn regions_refuse_overlaps_and_the_kernel_half() {
    let mut r = UserRegions::<8>::new();
    r.insert(region(0x0040_0000, 2, Rights::READ, RegionKind::Image)).unwrap();
    assert_eq!(
        r.insert(region(0x0040_1000, 1, RWR, RegionKind::Heap)),
        Err(RegionError::Overlaps(VirtAddr::new(0x0040_0000)))
    );
    assert_eq!(
        r.insert(region(0xBFFF_F000, 2, RWR, RegionKind::Stack)),
        Err(RegionError::OutsideArea)
    );
    assert_eq!(r.insert(region(0x0050_0000, 0, RWR, RegionKind::Heap)), Err(RegionError::Empty));
    r.insert(region(0x0040_2000, 1, RWR, RegionKind::Heap)).unwrap();
    assert_eq!(r.find(VirtAddr::new(0x0040_2FFF)).unwrap().kind, RegionKind::Heap);
    assert_eq!(r.find(VirtAddr::new(0x0040_3000)), None);
}

#[test]
fn allocate_is_first_fit_and_reuses_holes() {
    let mut r = UserRegions::<8>::new();
    let area = (USER_MMAP_START, USER_MMAP_END);
    let a = r.allocate(area, 2, RWR, RegionKind::Anonymous).unwrap();
    let b = r.allocate(area, 1, RWR, RegionKind::Anonymous).unwrap();
    assert_eq!(a.start(), USER_MMAP_START);
    assert_eq!(b.start().as_u32(), USER_MMAP_START.as_u32() + 0x2000);
    r.remove(a, 2, RegionKind::Anonymous).unwrap();
    let c = r.allocate(area, 1, RWR, RegionKind::Anonymous).unwrap();
    assert_eq!(c, a, "the hole is used again");
    let too_big = (USER_MMAP_END.as_u32() - USER_MMAP_START.as_u32()) / PAGE_SIZE;
    assert_eq!(r.allocate(area, too_big, RWR, RegionKind::Anonymous), Err(RegionError::NoSpace));
}

#[test]
fn remove_splits_and_refuses_other_kinds() {
    let mut r = UserRegions::<4>::new();
    r.insert(region(0x4000_0000, 10, RWR, RegionKind::Anonymous)).unwrap();
    r.insert(region(0x4000_A000, 2, RWR, RegionKind::Heap)).unwrap();
    // Through the heap: refused, nothing changes.
    assert_eq!(
        r.remove(page(0x4000_8000), 4, RegionKind::Anonymous),
        Err(RegionError::NotOfKind(RegionKind::Anonymous))
    );
    // The middle of the mapping: split in two.
    r.remove(page(0x4000_2000), 3, RegionKind::Anonymous).unwrap();
    let got: Vec<(u32, u32)> = r.iter().map(|x| (x.start_addr(), x.pages)).collect();
    assert_eq!(got, [(0x4000_0000, 2), (0x4000_5000, 5), (0x4000_A000, 2)]);
    // A hole is refused.
    assert!(r.remove(page(0x4000_1000), 3, RegionKind::Anonymous).is_err());
    // Two regions at once, both wholly.
    r.remove(page(0x4000_0000), 2, RegionKind::Anonymous).unwrap();
    r.remove(page(0x4000_5000), 5, RegionKind::Anonymous).unwrap();
    assert_eq!(r.len(), 1);
}

#[test]
fn a_split_that_needs_a_slot_is_refused_when_full() {
    let mut r = UserRegions::<2>::new();
    r.insert(region(0x4000_0000, 3, RWR, RegionKind::Anonymous)).unwrap();
    r.insert(region(0x5000_0000, 1, RWR, RegionKind::Anonymous)).unwrap();
    assert_eq!(r.remove(page(0x4000_1000), 1, RegionKind::Anonymous), Err(RegionError::Full));
    assert_eq!(r.len(), 2);
}

#[test]
fn resize_grows_and_shrinks_a_region() {
    let mut r = UserRegions::<4>::new();
    r.insert(region(0x0050_0000, 1, RWR, RegionKind::Heap)).unwrap();
    r.insert(region(0x0060_0000, 1, RWR, RegionKind::Anonymous)).unwrap();
    r.resize(page(0x0050_0000), 0x100).unwrap();
    assert_eq!(r.find(VirtAddr::new(0x005F_F000)).unwrap().kind, RegionKind::Heap);
    assert_eq!(
        r.resize(page(0x0050_0000), 0x101),
        Err(RegionError::Overlaps(VirtAddr::new(0x0060_0000)))
    );
    r.resize(page(0x0050_0000), 0).unwrap();
    assert_eq!(r.len(), 1);
}

#[test]
fn user_pointers_are_checked_against_regions_and_rights() {
    let mut r = UserRegions::<8>::new();
    r.insert(region(0x0040_0000, 1, Rights::READ | Rights::EXEC, RegionKind::Image)).unwrap();
    r.insert(region(0x0040_1000, 1, RWR, RegionKind::Image)).unwrap();
    r.insert(region(0x0040_3000, 1, RWR, RegionKind::Heap)).unwrap();
    // Across two regions: fine to read, not to write (the first is read-only).
    assert_eq!(r.check_access(0x0040_0FF0, 0x20, Access::Read), Ok(()));
    assert_eq!(
        r.check_access(0x0040_0FF0, 0x20, Access::Write),
        Err(BadPointer::Denied {
            addr: 0x0040_0FF0,
            kind: RegionKind::Image,
            access: Access::Write
        })
    );
    // Into the hole between them.
    assert_eq!(
        r.check_access(0x0040_1FF0, 0x20, Access::Read),
        Err(BadPointer::Unmapped { addr: 0x0040_2000 })
    );
    assert_eq!(
        r.check_access(0xFFFF_FFF0, 0x20, Access::Read),
        Err(BadPointer::Wraps { addr: 0xFFFF_FFF0, len: 0x20 })
    );
    assert_eq!(
        r.check_access(0xBFFF_FFF0, 0x20, Access::Read),
        Err(BadPointer::KernelHalf { addr: 0xBFFF_FFF0, len: 0x20 })
    );
    assert_eq!(
        r.check_access(0xC010_0000, 4, Access::Read),
        Err(BadPointer::KernelHalf { addr: 0xC010_0000, len: 4 })
    );
    assert_eq!(r.check_access(0, 4, Access::Read), Err(BadPointer::Unmapped { addr: 0 }));
    assert_eq!(r.check_access(0, 0, Access::Write), Ok(()), "an empty range touches nothing");
    assert_eq!(r.check_access(0x0040_3000, 0x1000, Access::Write), Ok(()));
    assert!(r.check_access(0x0040_3000, 0x1001, Access::Write).is_err());
}

// ------------------------------------------------------------------ faults

fn layout_regions() -> UserRegions {
    let mut r = UserRegions::new();
    r.insert(region(0x0040_0000, 1, Rights::READ | Rights::EXEC, RegionKind::Image)).unwrap();
    r.insert(region(0x0040_1000, 1, RWR, RegionKind::Heap)).unwrap();
    r.insert(region(0x4000_0000, 1, Rights::READ, RegionKind::Anonymous)).unwrap();
    let stack_pages = USER_STACK_LIMIT / PAGE_SIZE;
    r.insert(region(USER_STACK_BOTTOM.as_u32(), stack_pages, RWR, RegionKind::Stack)).unwrap();
    r
}

fn fault(addr: u32, access: Access, present: bool) -> Decision {
    decide(&layout_regions(), Fault { addr: VirtAddr::new(addr), access, present })
}

#[test]
fn the_fault_decision_maps_grows_or_kills_with_a_reason() {
    use Access::*;
    assert_eq!(
        fault(0x0040_1234, Write, false),
        Decision::MapZeroed { page: page(0x0040_1000), rights: RWR, kind: RegionKind::Heap }
    );
    assert_eq!(fault(0xBFFF_FFFC, Write, false), Decision::GrowStack { page: page(0xBFFF_F000) });
    assert_eq!(
        fault(USER_STACK_BOTTOM.as_u32(), Read, false),
        Decision::GrowStack { page: USER_STACK_BOTTOM_PAGE }
    );
    assert_eq!(
        fault(USER_STACK_BOTTOM.as_u32() - 4, Write, false),
        Decision::Kill(Violation::StackOverflow)
    );
    assert_eq!(fault(0, Read, false), Decision::Kill(Violation::NullPointer));
    assert_eq!(fault(0x0030_0000, Execute, false), Decision::Kill(Violation::NullPointer));
    assert_eq!(fault(0xC010_0000, Read, true), Decision::Kill(Violation::KernelMemory));
    assert_eq!(fault(0x2000_0000, Read, false), Decision::Kill(Violation::Unmapped));
    let text = Violation::Denied { kind: RegionKind::Image, rights: Rights::READ | Rights::EXEC };
    assert_eq!(fault(0x0040_0010, Write, true), Decision::Kill(text));
    assert_eq!(fault(0x0040_0010, Write, false), Decision::Kill(text));
    // A write to a present page of a writable region: shared by a fork.
    assert_eq!(
        fault(0x0040_1234, Write, true),
        Decision::CopyOnWrite { page: page(0x0040_1000), kind: RegionKind::Heap }
    );
    assert_eq!(
        fault(0xBFFF_FFFC, Write, true),
        Decision::CopyOnWrite { page: page(0xBFFF_F000), kind: RegionKind::Stack }
    );
    let heap = Violation::Denied { kind: RegionKind::Heap, rights: RWR };
    assert_eq!(fault(0x0040_1234, Read, true), Decision::Kill(heap));
    // A read-only mapping never touched: the write is refused before mapping.
    let ro = Violation::Denied { kind: RegionKind::Anonymous, rights: Rights::READ };
    assert_eq!(fault(0x4000_0000, Write, false), Decision::Kill(ro));
    assert_eq!(
        fault(0x4000_0000, Read, false),
        Decision::MapZeroed {
            page: page(0x4000_0000),
            rights: Rights::READ,
            kind: RegionKind::Anonymous
        }
    );
}

const USER_STACK_BOTTOM_PAGE: Page = Page::containing(USER_STACK_BOTTOM);

#[test]
fn violations_say_what_they_were() {
    let text = Violation::Denied { kind: RegionKind::Image, rights: Rights::READ | Rights::EXEC };
    assert_eq!(text.to_string(), "the program image (r-x), which forbids it");
    assert!(Violation::StackOverflow.to_string().contains("stack overflow"));
    assert!(Violation::NullPointer.to_string().contains("null pointer"));
    assert!(Violation::KernelMemory.to_string().contains("kernel memory"));
    let bad =
        BadPointer::Denied { addr: 0x40_0000, kind: RegionKind::Image, access: Access::Write };
    assert_eq!(bad.to_string(), "0x00400000 is in the program image and may not be a write target");
}
