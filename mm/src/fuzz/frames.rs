//! Fuzz body `frames`: the frame allocator and the mapper over one
//! emulated RAM ([`Ram`]), every frame accounted for after every step.
//!
//! The input chooses a memory map (one to four usable ranges with holes,
//! edges anywhere), then a sequence of allocations and frees (many at a
//! time, so the free-frame stack spans several of its pages), refused frees
//! (double, never usable, page directory, far beyond RAM), maps, unmaps
//! and replacements (a mapped page pointed at another frame, as
//! copy-on-write does) of pages in several 4 MiB regions (so page tables
//! come from the allocator and go back to it), and drains of every free
//! frame. The model
//! knows which frames the body holds and which pages map which frame; each
//! frame the body owns carries a mark in its first and last word.
//!
//! After every step: every usable frame is exactly one of free, held,
//! mapped or a page table (`free_count` + the rest = `total_count`); page
//! tables are distinct usable frames owned by nobody else; every mark is
//! intact (neither the allocator's stack nor a page table was written into
//! a frame that was not theirs); every mapping translates as the model
//! says. At the end everything goes back, the directory is empty again, and
//! every usable frame can be allocated once more.

extern crate alloc;

use alloc::boxed::Box;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

use super::bytes::Bytes;
use super::ram::{Ram, RamTables, RamWindow};
use crate::addr::VirtAddr;
use crate::frame::{Frame, FrameAllocator, FreeError, Page};
use crate::frames::{FrameStack, bitmap_words};
use crate::layout::RECURSIVE_PDE;
use crate::memmap::{ByteRange, MapEntry, MapKind, UsableMemory, clean};
use crate::paging::{MapError, Mapper, PageTableFlags, Tlb, UnmapError};

/// Frames of emulated RAM: 6 MiB, so 1500 or so usable frames and a free
/// stack of two pages or more.
const RAM_FRAMES: u32 = 1536;
/// The page directory's frame (never usable).
const DIRECTORY: u32 = 1;
/// The 4 MiB regions pages are mapped in (directory indices), the
/// recursive window among them (mapping there must be refused).
const REGIONS: [usize; 5] = [0x300, 0x301, 0x340, 0x3fe, RECURSIVE_PDE];
/// The most steps one input runs.
const MAX_OPS: usize = 400;

/// Runs the map and operations `data` encodes; panics on a broken promise.
pub fn frames(data: &[u8]) {
    let mut input = Bytes::new(data);
    let Some(usable) = memory_map(&mut input) else { return };
    let ram = Ram::new(RAM_FRAMES);
    let words = bitmap_words(&usable);
    let bitmap: *mut [u32] = Box::into_raw(alloc::vec![0u32; words].into_boxed_slice());
    // SAFETY: `bitmap` is a fresh allocation; the reference lives in the
    // stack, which is dropped (in `Run::finish`) before the box is freed.
    let storage: &'static mut [u32] = unsafe { &mut *bitmap };
    // SAFETY: the usable frames are RAM frames nothing else uses: the
    // directory was left out of the map, and the body touches only frames
    // the stack hands out.
    let stack = unsafe { FrameStack::new(ram.window(), usable.clone(), storage) }
        .expect("bitmap_words words are enough");
    // SAFETY: a fresh directory that only this mapper edits.
    let mapper = unsafe { Mapper::new(ram.tables(DIRECTORY)) }.expect("an empty directory");
    let total = usable.total_frames();
    assert_eq!((stack.free_count(), stack.total_count()), (total, total), "a new allocator");
    let mut run = Run {
        input,
        ram: &ram,
        usable,
        stack,
        mapper,
        held: BTreeSet::new(),
        mapped: BTreeMap::new(),
        last_freed: None,
        step: 0,
    };
    while !run.input.is_empty() && run.step < MAX_OPS {
        run.one_op();
        run.after_op();
        run.step += 1;
    }
    run.finish();
    // SAFETY: the stack that held the only reference into it is gone.
    drop(unsafe { Box::from_raw(bitmap) });
}

/// Up to four usable ranges inside the RAM, with reserved holes, minus the
/// directory's frame; `None` if nothing usable is left.
fn memory_map(input: &mut Bytes<'_>) -> Option<UsableMemory> {
    let bytes = RAM_FRAMES * 4096;
    let mut map = Vec::new();
    for _ in 0..input.in_range(1, 6) {
        let start = input.below(bytes);
        let len = input.below(bytes - start + 1);
        let kind = if input.below(3) == 0 { MapKind::Reserved } else { MapKind::Usable };
        map.push(MapEntry::new(start.into(), len.into(), kind));
    }
    let directory = [ByteRange::new(u64::from(DIRECTORY) * 4096, 4096)];
    clean(&map, &directory).ok()
}

/// Emulated RAM has no TLB: nothing to flush.
struct NoTlb;

// SAFETY: emulated tables are walked afresh on every access; nothing is cached.
unsafe impl Tlb for NoTlb {
    fn flush_page(&mut self, _addr: VirtAddr) {}
    fn flush_all(&mut self) {}
}

/// What a frame the body owns holds in its first and last word.
fn mark(number: u32) -> u32 {
    0x6D00_0000 ^ number.rotate_left(7)
}

struct Run<'a> {
    input: Bytes<'a>,
    ram: &'a Ram,
    usable: UsableMemory,
    stack: FrameStack<RamWindow>,
    mapper: Mapper<RamTables>,
    /// Frames allocated and not mapped.
    held: BTreeSet<u32>,
    /// Mapped pages (by page number) and their frames.
    mapped: BTreeMap<u32, u32>,
    /// The frame freed last, while it is still free.
    last_freed: Option<u32>,
    step: usize,
}

impl Run<'_> {
    fn one_op(&mut self) {
        match self.input.below(17) {
            0..=3 => {
                let n = self.count();
                for _ in 0..n {
                    if self.allocate().is_none() {
                        break;
                    }
                }
            }
            4..=6 => {
                for _ in 0..self.count() {
                    if self.held.is_empty() {
                        break;
                    }
                    let i = self.input.index(self.held.len());
                    let number = *self.held.iter().nth(i).expect("i < len");
                    self.free_held(number);
                }
            }
            7..=8 => self.refused_free(),
            9..=11 => self.map(),
            12..=13 => self.unmap(),
            14 => {
                // Drain: every free frame out, then all of them back.
                let mut taken = Vec::new();
                while let Some(number) = self.allocate() {
                    taken.push(number);
                }
                assert_eq!(self.stack.free_count(), 0, "step {}: allocate() said no", self.step);
                for number in taken.into_iter().rev() {
                    self.free_held(number);
                }
            }
            15 => self.replace(),
            _ => self.check_translations(),
        }
    }

    /// How many frames one allocate or free step takes: mostly a few, at
    /// times more than a stack page holds.
    fn count(&mut self) -> u32 {
        match self.input.below(4) {
            0 | 1 => self.input.in_range(1, 8),
            2 => self.input.in_range(1, 300),
            _ => self.input.in_range(1, 1600),
        }
    }

    /// Allocates a frame and marks it; `None` when none is free.
    fn allocate(&mut self) -> Option<u32> {
        let free_before = self.stack.free_count();
        let Some(frame) = self.stack.allocate() else {
            assert_eq!(free_before, 0, "step {}: allocate() failed with frames free", self.step);
            return None;
        };
        let number = frame.number();
        assert!(
            self.usable.contains(number),
            "step {}: frame {number:#x} is not usable",
            self.step
        );
        assert!(
            !self.held.contains(&number) && !self.mapped.values().any(|&f| f == number),
            "step {}: frame {number:#x} handed out twice",
            self.step
        );
        assert!(!self.is_table(number), "step {}: frame {number:#x} is a page table", self.step);
        self.ram.write(number, 0, mark(number));
        self.ram.write(number, 1023, mark(number));
        self.held.insert(number);
        if self.last_freed == Some(number) {
            self.last_freed = None;
        }
        Some(number)
    }

    fn free_held(&mut self, number: u32) {
        self.held.remove(&number);
        self.check_mark(number, "before it was freed");
        let result = self.stack.free(Frame::from_number(number));
        assert_eq!(result, Ok(()), "step {}: free of held frame {number:#x}", self.step);
        self.last_freed = Some(number);
    }

    /// Frees a frame the body does not own: refused, nothing changes.
    fn refused_free(&mut self) {
        let number = match self.input.below(6) {
            0 | 1 => match self.last_freed {
                Some(number) => number,
                None => return,
            },
            2 => 0,
            3 => DIRECTORY,
            4 => self.input.below(1 << 20),
            _ => self.input.below(RAM_FRAMES + 64),
        };
        if self.held.contains(&number)
            || self.mapped.values().any(|&f| f == number)
            || self.is_table(number)
        {
            return;
        }
        let frame = Frame::from_number(number);
        let expected = if self.usable.contains(number) {
            FreeError::DoubleFree(frame.start())
        } else {
            FreeError::NotUsable(frame.start())
        };
        let free_before = self.stack.free_count();
        assert_eq!(self.stack.free(frame), Err(expected), "step {}: free({number:#x})", self.step);
        assert_eq!(self.stack.free_count(), free_before, "step {}: a refused free", self.step);
    }

    /// A page in one of the regions.
    fn page(&mut self) -> Page {
        let dir = REGIONS[self.input.index(REGIONS.len())];
        let number = (dir as u32) << 10 | self.input.below(1024);
        Page::containing(VirtAddr::new(number << 12))
    }

    /// A mapped page, or (now and then, or when none is) any page.
    fn mapped_page(&mut self) -> Page {
        match self.mapped.keys().nth(self.input.index(self.mapped.len() + 1)) {
            Some(&key) => Page::containing(VirtAddr::new(key << 12)),
            None => self.page(),
        }
    }

    /// A held frame or a fresh one, no longer counted as held; `None` when
    /// no frame is free.
    fn take_frame(&mut self) -> Option<u32> {
        let number = match self.held.first() {
            Some(&number) if self.input.below(2) == 0 => number,
            _ => self.allocate()?,
        };
        self.held.remove(&number);
        Some(number)
    }

    /// Maps a page to a held frame (or a fresh one).
    fn map(&mut self) {
        let page = self.page();
        let Some(number) = self.take_frame() else { return };
        let key = page.start().as_u32() >> 12;
        let dir = page.directory_index();
        let table_existed = self.mapper.present_entries(dir) > 0;
        let free_before = self.stack.free_count();
        // SAFETY: the frame is the body's own, and the page is in emulated
        // memory that nothing reads through.
        let result = unsafe {
            self.mapper.map(
                page,
                Frame::from_number(number),
                PageTableFlags::WRITABLE,
                &mut self.stack,
            )
        };
        match result {
            Ok(flush) => {
                flush.flush(&mut NoTlb);
                assert!(
                    dir != RECURSIVE_PDE,
                    "step {}: mapped into the recursive window",
                    self.step
                );
                assert!(
                    !self.mapped.contains_key(&key),
                    "step {}: {page:?} mapped twice",
                    self.step
                );
                self.mapped.insert(key, number);
            }
            Err(e) => {
                let expected = if dir == RECURSIVE_PDE {
                    MapError::RecursiveWindow(Frame::from_number(number))
                } else if let Some(&existing) = self.mapped.get(&key) {
                    let existing = Frame::from_number(existing).start();
                    MapError::AlreadyMapped { frame: Frame::from_number(number), existing }
                } else {
                    assert!(
                        !table_existed && free_before == 0,
                        "step {}: map failed: {e}",
                        self.step
                    );
                    MapError::OutOfFrames(Frame::from_number(number))
                };
                assert_eq!(e, expected, "step {}: map({page:?})", self.step);
                self.held.insert(e.into_frame().number());
            }
        }
    }

    /// Unmaps a mapped page (or one that is not mapped: refused).
    fn unmap(&mut self) {
        let page = self.mapped_page();
        let key = page.start().as_u32() >> 12;
        // SAFETY: nothing uses the emulated page.
        match unsafe { self.mapper.unmap(page, &mut self.stack) } {
            Ok((frame, flush)) => {
                flush.flush(&mut NoTlb);
                let number = self.mapped.remove(&key);
                assert_eq!(number, Some(frame.number()), "step {}: unmap({page:?})", self.step);
                self.held.insert(frame.number());
            }
            Err(e) => {
                assert!(!self.mapped.contains_key(&key), "step {}: unmap: {e}", self.step);
                let expected = if page.directory_index() == RECURSIVE_PDE {
                    UnmapError::RecursiveWindow(page)
                } else {
                    UnmapError::NotMapped(page)
                };
                assert_eq!(e, expected, "step {}: unmap({page:?})", self.step);
            }
        }
    }

    /// Points a mapped page (or one that is not mapped: refused) at a held
    /// frame (or a fresh one); the old frame becomes held. Never takes or
    /// frees a page table.
    fn replace(&mut self) {
        let page = self.mapped_page();
        let Some(number) = self.take_frame() else { return };
        let key = page.start().as_u32() >> 12;
        let tables_before = self.tables();
        // SAFETY: the new frame is the body's own; nothing uses the
        // emulated page or relies on its old frame.
        let result = unsafe {
            self.mapper.replace(page, Frame::from_number(number), PageTableFlags::WRITABLE)
        };
        assert_eq!(self.tables(), tables_before, "step {}: replace changed a table", self.step);
        match result {
            Ok((old, flush)) => {
                flush.flush(&mut NoTlb);
                let was = self.mapped.insert(key, number);
                assert_eq!(was, Some(old.number()), "step {}: replace({page:?})", self.step);
                self.held.insert(old.number());
            }
            Err((e, frame)) => {
                assert!(!self.mapped.contains_key(&key), "step {}: replace: {e}", self.step);
                let expected = if page.directory_index() == RECURSIVE_PDE {
                    UnmapError::RecursiveWindow(page)
                } else {
                    UnmapError::NotMapped(page)
                };
                assert_eq!(e, expected, "step {}: replace({page:?})", self.step);
                assert_eq!(frame.number(), number, "step {}: replace kept the frame", self.step);
                self.held.insert(number);
            }
        }
    }

    /// The frames of the page tables, from the directory entries of the
    /// regions (a table anywhere else would break the frame account).
    fn tables(&self) -> Vec<u32> {
        REGIONS
            .iter()
            .filter(|&&i| i != RECURSIVE_PDE)
            .map(|&i| self.ram.read(DIRECTORY, i))
            .filter(|entry| entry & 1 != 0)
            .map(|entry| entry >> 12)
            .collect()
    }

    fn is_table(&self, number: u32) -> bool {
        self.tables().contains(&number)
    }

    #[track_caller]
    fn check_mark(&self, number: u32, when: &str) {
        let (first, last) = (self.ram.read(number, 0), self.ram.read(number, 1023));
        assert!(
            first == mark(number) && last == mark(number),
            "step {}: frame {number:#x} was written by someone else {when}: \
             {first:#010x} .. {last:#010x}, expected {:#010x}",
            self.step,
            mark(number)
        );
    }

    /// Every mapped page translates to its frame, through the tables in RAM.
    fn check_translations(&mut self) {
        for (&key, &number) in &self.mapped {
            let addr = VirtAddr::new(key << 12 | 0x7f8);
            let want = Frame::from_number(number).start().as_u32() | 0x7f8;
            let got = self.mapper.translate(addr).map(|a| a.as_u32());
            assert_eq!(got, Some(want), "step {}: translate({addr:?})", self.step);
        }
    }

    /// Every usable frame is exactly one of free, held, mapped or a table;
    /// every owned frame keeps its mark.
    fn after_op(&self) {
        let tables = self.tables();
        let owned = self.held.len() + self.mapped.len() + tables.len();
        assert_eq!(
            self.stack.free_count() as usize + owned,
            self.stack.total_count() as usize,
            "step {}: {} free + {} held + {} mapped + {} page tables",
            self.step,
            self.stack.free_count(),
            self.held.len(),
            self.mapped.len(),
            tables.len()
        );
        for &table in &tables {
            assert!(self.usable.contains(table), "step {}: table {table:#x} not usable", self.step);
            assert!(
                !self.held.contains(&table) && !self.mapped.values().any(|&f| f == table),
                "step {}: page table {table:#x} is also the body's frame",
                self.step
            );
        }
        for &number in self.held.iter().chain(self.mapped.values()) {
            self.check_mark(number, "while the body owned it");
        }
        let distinct: BTreeSet<u32> = self.mapped.values().copied().collect();
        assert_eq!(distinct.len(), self.mapped.len(), "step {}: a frame mapped twice", self.step);
    }

    /// Everything back; then every usable frame can be allocated once more.
    fn finish(mut self) {
        self.check_translations();
        let pages: Vec<u32> = self.mapped.keys().copied().collect();
        for key in pages {
            let page = Page::containing(VirtAddr::new(key << 12));
            // SAFETY: nothing uses the emulated page.
            let (frame, flush) = unsafe { self.mapper.unmap(page, &mut self.stack) }
                .unwrap_or_else(|e| panic!("at the end: unmap({page:?}): {e}"));
            flush.flush(&mut NoTlb);
            self.mapped.remove(&key);
            self.held.insert(frame.number());
        }
        let left = (0..RECURSIVE_PDE).filter(|&i| self.ram.read(DIRECTORY, i) != 0).count();
        assert_eq!(left, 0, "directory entries left after every page was unmapped");
        let held: Vec<u32> = self.held.iter().copied().collect();
        for number in held {
            self.free_held(number);
        }
        let total = self.stack.total_count();
        assert_eq!(self.stack.free_count(), total, "at the end, every frame is free");
        let mut seen = BTreeSet::new();
        while let Some(frame) = self.stack.allocate() {
            assert!(self.usable.contains(frame.number()), "{frame:?} is not usable");
            assert!(seen.insert(frame.number()), "{frame:?} handed out twice");
        }
        assert_eq!(seen.len() as u32, total, "every usable frame comes out once");
        assert!(self.usable.iter().flat_map(|r| r.numbers()).all(|n| seen.contains(&n)));
    }
}
