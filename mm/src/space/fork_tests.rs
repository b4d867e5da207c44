//! Host tests of fork and copy-on-write over emulated RAM: what a fork
//! costs, who copies and who reclaims, the rights of every entry, and
//! running out of frames at every step of a fork and during a copy.

use super::tests::{Machine, machine, page};
use super::*;
use crate::addr::{PhysAddr, VirtAddr};
use crate::frame::{Frame, FrameAllocator, Page};
use crate::paging::{PageTableFlags, RecordingTlb};

type Space = AddressSpace<EmulatedFrames>;

const RW: PageTableFlags = PageTableFlags::WRITABLE;
const COW: PageTableFlags = PageTableFlags::COPY_ON_WRITE;
const USER: PageTableFlags = PageTableFlags::USER;
const PRESENT: PageTableFlags = PageTableFlags::PRESENT;

/// A process-like space: text (read-only), data and heap (writable) in
/// one table, a stack page in another, a mapping in a third: 6 pages.
const TEXT: u32 = 0x0040_0000;
const WRITABLE_PAGES: [u32; 5] = [0x0040_1000, 0x0040_2000, 0x0040_3000, 0xBFFF_F000, 0x4000_0000];

impl Machine {
    pub fn parent(&mut self) -> Space {
        let mut space = self.space();
        space
            .map_filled(page(TEXT), PageTableFlags::empty(), &mut self.frames, |b| b.fill(0x7E))
            .unwrap();
        for (i, &addr) in WRITABLE_PAGES.iter().enumerate() {
            space.map_filled(page(addr), RW, &mut self.frames, |b| b.fill(i as u8)).unwrap();
        }
        space
    }

    /// A new space, forked from `parent`; destroyed again if that fails.
    pub fn fork(&mut self, parent: &mut Space) -> Result<Space, SpaceError> {
        self.fork_flushing(parent, &mut RecordingTlb::new())
    }

    pub fn fork_flushing(
        &mut self,
        parent: &mut Space,
        tlb: &mut RecordingTlb,
    ) -> Result<Space, SpaceError> {
        let directory = self.frames.allocate().ok_or(SpaceError::OutOfFrames)?;
        // SAFETY: registering a directory changes no entry of the kernel's tables.
        let shared = unsafe { self.kernel.tables_mut() };
        let mut child =
            AddressSpace::new(self.window.clone(), directory, shared).map_err(|(e, _)| e).unwrap();
        match parent.fork_into(&mut child, &mut self.frames, &mut self.counts, tlb) {
            Ok(()) => Ok(child),
            Err(e) => {
                self.destroy(child);
                Err(e)
            }
        }
    }

    /// A user write of `byte` at `addr`, as the CPU and the fault handler
    /// would do it: a copy-on-write fault first if the entry is read-only.
    pub fn write(&mut self, space: &mut Space, addr: u32, byte: u8) -> Result<(), SpaceError> {
        let p = Page::containing(VirtAddr::new(addr));
        let entry = space.lookup(p).ok_or(SpaceError::NotMapped(p))?;
        if !entry.flags().contains(RW) {
            let mut tlb = RecordingTlb::new();
            space.copy_on_write(p, &mut self.frames, &mut self.counts, &mut tlb)?;
            assert_eq!(tlb.pages, [p.start()], "the faulting page's translation is flushed");
        }
        let phys = space.translate(VirtAddr::new(addr)).expect("mapped");
        let entry = space.lookup(p).unwrap();
        assert!(entry.flags().contains(RW), "writable after the fault");
        let mut memory = self.window.memory().borrow_mut();
        let word = phys.align_down(4);
        let shift = (phys.as_u32() - word.as_u32()) * 8;
        let old = memory.read_u32(word);
        memory.write_u32(word, (old & !(0xFF << shift)) | (u32::from(byte) << shift));
        Ok(())
    }

    pub fn read(&mut self, space: &mut Space, addr: u32) -> u8 {
        let mut b = [0u8];
        space.read(VirtAddr::new(addr), &mut b).unwrap();
        b[0]
    }

    pub fn users(&mut self, space: &mut Space, addr: u32) -> u32 {
        let phys = space.translate(VirtAddr::new(addr)).expect("mapped");
        self.counts.users(&Frame::containing(phys))
    }
}

fn flags(space: &mut Space, addr: u32) -> PageTableFlags {
    space.lookup(page(addr)).expect("mapped").flags() & (PRESENT | RW | USER | COW)
}

fn frame(space: &mut Space, addr: u32) -> PhysAddr {
    space.translate(VirtAddr::new(addr)).expect("mapped")
}

#[test]
fn a_fork_costs_the_childs_tables_only_and_shares_every_page() {
    let mut m = machine(64);
    let mut parent = m.parent();
    assert_eq!(parent.frames().tables, 3);
    let before = m.frames.free_count();
    let mut child = m.fork(&mut parent).unwrap();
    assert_eq!(child.frames(), SpaceFrames { directory: 1, tables: 3, pages: 6 });
    let table = m.counts.frames_held() as usize;
    assert_eq!(table, 2, "the count table: its directory and one chunk (all RAM is in 8 MiB)");
    assert_eq!(
        m.frames.free_count(),
        before - 1 - 3 - table,
        "a directory and three tables, no page"
    );
    for addr in WRITABLE_PAGES {
        assert_eq!(frame(&mut parent, addr), frame(&mut child, addr), "{addr:#x} shared");
        assert_eq!(m.users(&mut parent, addr), 2);
        assert_eq!(flags(&mut parent, addr), PRESENT | USER | COW, "{addr:#x}: read-only, marked");
        assert_eq!(flags(&mut child, addr), PRESENT | USER | COW);
    }
    // Text stays read-only and unmarked: nobody may write it.
    assert_eq!(frame(&mut parent, TEXT), frame(&mut child, TEXT));
    assert_eq!(flags(&mut parent, TEXT), PRESENT | USER);
    assert_eq!(flags(&mut child, TEXT), PRESENT | USER);
    assert_eq!(parent.shared_pages(&mut m.counts), 6);
    assert_eq!(m.counts.shared_frames(), 6);
    m.destroy(child);
    m.destroy(parent);
    assert_eq!(m.frames.free_count(), 64);
    assert_eq!(m.counts.frames_held(), 0);
}

#[test]
fn the_parents_writable_entries_are_flushed_when_they_lose_write() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut tlb = RecordingTlb::new();
    let child = m.fork_flushing(&mut parent, &mut tlb).unwrap();
    let mut flushed = tlb.pages.clone();
    flushed.sort();
    let mut expected: Vec<VirtAddr> = WRITABLE_PAGES.iter().map(|&a| VirtAddr::new(a)).collect();
    expected.sort();
    assert_eq!(flushed, expected, "each page that lost WRITABLE, nothing else");
    m.destroy(child);
    m.destroy(parent);
}

#[test]
fn the_first_writer_copies_and_the_last_user_reclaims() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut child = m.fork(&mut parent).unwrap();
    let heap = WRITABLE_PAGES[1];
    let shared_frame = frame(&mut parent, heap);

    let free = m.frames.free_count();
    m.write(&mut child, heap + 5, 0xCC).unwrap();
    assert_eq!(m.frames.free_count(), free - 1, "one page written, one frame");
    assert_ne!(frame(&mut child, heap), shared_frame, "the child has a copy");
    assert_eq!(frame(&mut parent, heap), shared_frame, "the parent keeps the frame");
    assert_eq!(flags(&mut child, heap), PRESENT | USER | RW, "the copy is the child's: no mark");
    assert_eq!(m.read(&mut child, heap + 5), 0xCC);
    assert_eq!(m.read(&mut child, heap + 6), 1, "the rest of the page was copied");
    assert_eq!(m.read(&mut parent, heap + 5), 1, "the parent still sees its own data");
    assert_eq!(m.users(&mut parent, heap), 1);

    // The parent is now the frame's only user: its write copies nothing.
    let free = m.frames.free_count();
    m.write(&mut parent, heap + 5, 0xAA).unwrap();
    assert_eq!(m.frames.free_count(), free, "reclaimed, not copied");
    assert_eq!(frame(&mut parent, heap), shared_frame);
    assert_eq!(flags(&mut parent, heap), PRESENT | USER | RW);
    assert_eq!((m.read(&mut parent, heap + 5), m.read(&mut child, heap + 5)), (0xAA, 0xCC));
    // A second write to a page of one's own faults no more.
    m.write(&mut child, heap + 7, 1).unwrap();
    assert_eq!(m.frames.free_count(), free);

    // Writing the rest: one frame per page, in whichever writes first.
    let free = m.frames.free_count();
    for &addr in &WRITABLE_PAGES {
        m.write(&mut parent, addr + 100, 0x11).unwrap();
    }
    assert_eq!(m.frames.free_count(), free - 4, "four more pages copied; the heap page was own");
    for &addr in &WRITABLE_PAGES {
        m.write(&mut child, addr + 100, 0x22).unwrap();
    }
    assert_eq!(m.frames.free_count(), free - 4, "the child was left the last user of each");
    assert_eq!(m.counts.shared_frames(), 1, "only the text is shared now");
    m.destroy(child);
    m.destroy(parent);
    assert_eq!(m.frames.free_count(), 64);
    assert_eq!(m.counts.frames_held(), 0);
}

#[test]
fn a_read_only_page_is_not_copy_on_write() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut child = m.fork(&mut parent).unwrap();
    let free = m.frames.free_count();
    assert_eq!(
        m.write(&mut child, TEXT, 1),
        Err(SpaceError::NotCopyOnWrite(page(TEXT))),
        "a write to the text is refused, not copied"
    );
    let mut tlb = RecordingTlb::new();
    assert_eq!(
        child.copy_on_write(page(0x0050_0000), &mut m.frames, &mut m.counts, &mut tlb),
        Err(SpaceError::NotMapped(page(0x0050_0000)))
    );
    assert_eq!(
        child.copy_on_write(page(0xC000_0000), &mut m.frames, &mut m.counts, &mut tlb),
        Err(SpaceError::KernelHalf(page(0xC000_0000)))
    );
    assert_eq!(m.frames.free_count(), free);
    m.destroy(child);
    m.destroy(parent);
}

#[test]
fn a_parent_that_ends_first_leaves_its_child_whole() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut child = m.fork(&mut parent).unwrap();
    m.write(&mut parent, WRITABLE_PAGES[0], 0x99).unwrap();
    let held = parent.frames();
    let freed = m.destroy(parent);
    assert_eq!(freed, held);
    for (i, &addr) in WRITABLE_PAGES.iter().enumerate() {
        assert_eq!(m.read(&mut child, addr), i as u8, "the child's data survived its parent");
        assert_eq!(m.users(&mut child, addr), 1);
    }
    assert_eq!(m.counts.frames_held(), 0);
    let free = m.frames.free_count();
    for &addr in &WRITABLE_PAGES {
        m.write(&mut child, addr, 0x55).unwrap();
    }
    assert_eq!(m.frames.free_count(), free, "every page reclaimed: none copied");
    m.destroy(child);
    assert_eq!(m.frames.free_count(), 64);
}

#[test]
fn three_generations_share_one_frame() {
    let mut m = machine(64);
    let mut a = m.parent();
    let mut b = m.fork(&mut a).unwrap();
    let mut c = m.fork(&mut b).unwrap();
    let heap = WRITABLE_PAGES[2];
    assert_eq!(m.users(&mut a, heap), 3);
    assert_eq!(flags(&mut b, heap), PRESENT | USER | COW, "a shared page stays marked in a fork");
    m.write(&mut b, heap, 0xBB).unwrap();
    assert_eq!((m.users(&mut a, heap), m.users(&mut b, heap)), (2, 1));
    m.write(&mut c, heap, 0xCC).unwrap();
    assert_eq!(m.users(&mut a, heap), 1);
    let free = m.frames.free_count();
    m.write(&mut a, heap, 0xAA).unwrap();
    assert_eq!(m.frames.free_count(), free);
    let read = [m.read(&mut a, heap), m.read(&mut b, heap), m.read(&mut c, heap)];
    assert_eq!(read, [0xAA, 0xBB, 0xCC]);
    for s in [a, b, c] {
        m.destroy(s);
    }
    assert_eq!(m.frames.free_count(), 64);
    assert_eq!(m.counts.frames_held(), 0);
}

/// Takes frames until `left` are free; give them back with `release`.
fn hold_all_but(m: &mut Machine, left: usize) -> Vec<Frame> {
    let mut held = Vec::new();
    while m.frames.free_count() > left {
        held.push(m.frames.allocate().unwrap());
    }
    held
}

fn release(m: &mut Machine, held: Vec<Frame>) {
    for f in held {
        m.frames.free(f).unwrap();
    }
}

#[test]
fn a_fork_out_of_frames_at_any_step_gives_everything_back() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let before: Vec<_> =
        [TEXT].iter().chain(&WRITABLE_PAGES).map(|&a| (a, parent.lookup(page(a)))).collect();
    // Directory, three tables, the count table's directory and chunk.
    let needed = 6;
    for left in 0..needed {
        let held = hold_all_but(&mut m, left);
        assert_eq!(m.fork(&mut parent).unwrap_err(), SpaceError::OutOfFrames, "{left} frames");
        assert_eq!(m.frames.free_count(), left, "with {left} frames free, all came back");
        assert_eq!(m.counts.frames_held(), 0);
        for &(addr, entry) in &before {
            assert_eq!(parent.lookup(page(addr)), entry, "{addr:#x} as it was, writable again");
        }
        release(&mut m, held);
    }
    let held = hold_all_but(&mut m, needed);
    let child = m.fork(&mut parent).expect("just enough frames");
    assert_eq!(m.frames.free_count(), 0);
    release(&mut m, held);
    m.destroy(child);
    m.destroy(parent);
    assert_eq!(m.frames.free_count(), 64);
}

#[test]
fn a_failed_fork_leaves_pages_shared_with_others_marked() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut sibling = m.fork(&mut parent).unwrap();
    let held = hold_all_but(&mut m, 2);
    assert_eq!(m.fork(&mut parent).unwrap_err(), SpaceError::OutOfFrames);
    release(&mut m, held);
    for &addr in &WRITABLE_PAGES {
        assert_eq!(flags(&mut parent, addr), PRESENT | USER | COW, "still shared with the sibling");
        assert_eq!(m.users(&mut parent, addr), 2);
    }
    m.write(&mut sibling, WRITABLE_PAGES[0], 1).unwrap();
    m.destroy(sibling);
    m.destroy(parent);
    assert_eq!(m.frames.free_count(), 64);
}

#[test]
fn a_copy_out_of_frames_changes_nothing() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut child = m.fork(&mut parent).unwrap();
    let heap = WRITABLE_PAGES[1];
    let held = hold_all_but(&mut m, 0);
    let entry = child.lookup(page(heap));
    assert_eq!(m.write(&mut child, heap, 1), Err(SpaceError::OutOfFrames));
    assert_eq!(child.lookup(page(heap)), entry, "still shared, still marked");
    assert_eq!(m.users(&mut child, heap), 2);
    release(&mut m, held);
    m.write(&mut child, heap, 0xEE).unwrap();
    assert_eq!((m.read(&mut child, heap), m.read(&mut parent, heap)), (0xEE, 1));
    m.destroy(child);
    m.destroy(parent);
    assert_eq!(m.frames.free_count(), 64);
}

#[test]
fn unmapping_a_shared_page_releases_one_user() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut child = m.fork(&mut parent).unwrap();
    let addr = WRITABLE_PAGES[4];
    let free = m.frames.free_count();
    let mut tlb = RecordingTlb::new();
    let n = child.unmap_range(page(addr), 1, &mut m.frames, &mut m.counts, &mut tlb).unwrap();
    assert_eq!(n, 1);
    assert_eq!(m.users(&mut parent, addr), 1);
    assert_eq!(m.read(&mut parent, addr), 4, "the parent's page is untouched");
    assert_eq!(m.frames.free_count(), free + 1, "only the child's now empty table came back");
    m.destroy(child);
    m.destroy(parent);
    assert_eq!(m.frames.free_count(), 64);
}

#[test]
fn write_refuses_a_shared_page_until_it_is_copied() {
    let mut m = machine(64);
    let mut parent = m.parent();
    let mut child = m.fork(&mut parent).unwrap();
    let heap = WRITABLE_PAGES[1];
    let at = VirtAddr::new(heap + 4094);
    assert_eq!(child.write(at, &[9, 9]), Err(SpaceError::ReadOnly(page(heap))));
    assert_eq!(m.read(&mut parent, heap + 4094), 1, "the shared frame is untouched");
    let mut tlb = RecordingTlb::new();
    child.copy_on_write(page(heap), &mut m.frames, &mut m.counts, &mut tlb).unwrap();
    child.write(at, &[9, 9]).unwrap();
    assert_eq!((m.read(&mut child, heap + 4095), m.read(&mut parent, heap + 4095)), (9, 1));
    // Across the end of the page into one still shared: the first part lands.
    let next = WRITABLE_PAGES[2];
    assert_eq!(child.write(at, &[5, 5, 5]), Err(SpaceError::ReadOnly(page(next))));
    assert_eq!(m.read(&mut child, heap + 4095), 5);
    assert_eq!(
        child.write(VirtAddr::new(0x0050_0000), &[1]),
        Err(SpaceError::NotMapped(page(0x0050_0000)))
    );
    m.destroy(child);
    m.destroy(parent);
}
