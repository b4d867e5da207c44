//! Copy-on-write on the real machine: address spaces forked with real
//! page tables reached through the fixmap and real frames, counted
//! exactly: a fork costs the child's directory and page tables (and the
//! reference-count table's first frames), each page written afterwards
//! one frame in whichever space writes it first and none in the last
//! user; a fork that runs out of frames at any step gives every one back.

use crate::memory::{self, Memory, spaces::UserSpace};
use crate::selftest::{Failure, TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use alloc::vec::Vec;
use core::mem::MaybeUninit;
use mm::frame::{FrameAllocator, Page};
use mm::paging::{PageTableEntry, PageTableFlags};
use mm::space::{CopyOnWrite, SpaceError};
use mm::{PAGE_SIZE, VirtAddr};

/// The text page (read-only), then the writable pages: 16 of data and
/// heap in the first 4 MiB table, a stack page and a mapping page in two
/// tables more.
const TEXT: u32 = 0x0040_0000;
const WRITABLE: [u32; 18] = {
    let mut pages = [0; 18];
    let mut i = 0;
    while i < 16 {
        pages[i] = 0x0040_1000 + i as u32 * PAGE_SIZE;
        i += 1;
    }
    pages[16] = 0xBFFF_F000;
    pages[17] = 0x4000_0000;
    pages
};

fn page(addr: u32) -> Page {
    Page::containing(VirtAddr::new(addr))
}

/// Builds the parent in `place`: the text page and the writable pages,
/// page `i` filled with byte `i`.
fn parent<'a>(
    memory: &mut Memory,
    place: &'a mut MaybeUninit<UserSpace>,
) -> Result<&'a mut UserSpace, Failure> {
    let space = ensure_ok!(memory.new_space_in(place), "a new space");
    let text =
        space.map_filled(page(TEXT), PageTableFlags::empty(), &mut memory.frames, |b| b.fill(0x7E));
    ensure_ok!(text, "mapping the text page");
    for (i, &addr) in WRITABLE.iter().enumerate() {
        let mapped =
            space.map_filled(page(addr), PageTableFlags::WRITABLE, &mut memory.frames, |b| {
                b.fill(i as u8)
            });
        ensure_ok!(mapped, "mapping {addr:#x}");
    }
    Ok(space)
}

fn byte(space: &mut UserSpace, addr: u32) -> u8 {
    let mut b = [0u8];
    let _ = space.read(VirtAddr::new(addr), &mut b);
    b[0]
}

fn end(memory: &mut Memory, space: &mut UserSpace) {
    // SAFETY: the test never uses the space again.
    unsafe { memory.destroy_space_in_place(space) };
}

#[ktest]
fn a_fork_costs_its_page_tables_and_each_page_written_one_frame() -> TestResult {
    let mut guard = memory::lock();
    let memory = &mut *guard;
    let start = memory.frames.free_count();
    let held = memory.counts.frames_held();
    let mut parent_place = MaybeUninit::uninit();
    let parent = parent(memory, &mut parent_place)?;
    let tables = parent.frames().tables;
    ensure_eq!(tables, 3, "the parent's page tables");
    let before = memory.frames.free_count();
    let mut child_place = MaybeUninit::uninit();
    let child = ensure_ok!(memory.new_space_in(&mut child_place), "the child's space");
    ensure_ok!(memory.fork_space(parent, child), "forking");
    let table = memory.counts.frames_held() - held;
    let used = before - memory.frames.free_count();
    crate::println!(
        "  a fork of {} pages used {used} frames: a directory, {tables} page tables, {table} \
         of the count table",
        parent.frames().pages
    );
    ensure_eq!(used, 1 + tables + table, "no page copied, only the child's structure");
    ensure!(table <= 2, "the count table took {table} frames");
    ensure_eq!(child.frames().pages, parent.frames().pages);

    for (i, &addr) in WRITABLE.iter().enumerate() {
        let free = memory.frames.free_count();
        let done = memory.copy_on_write(child, page(addr));
        ensure_eq!(done, Ok(CopyOnWrite::Copied), "the child's first write to {addr:#x}");
        ensure_eq!(memory.frames.free_count(), free - 1, "one frame for {addr:#x}");
        ensure_eq!(byte(child, addr + 9), i as u8, "the copy holds the page");
        ensure_ok!(child.write(VirtAddr::new(addr + 9), &[0xC0]), "writing the copy");
        ensure_eq!(byte(parent, addr + 9), i as u8, "the parent keeps its own data");
        ensure_eq!(byte(child, addr + 9), 0xC0);
    }
    let free = memory.frames.free_count();
    for &addr in &WRITABLE {
        let done = memory.copy_on_write(parent, page(addr));
        ensure_eq!(done, Ok(CopyOnWrite::Reclaimed), "the parent, last user of {addr:#x}");
        ensure_ok!(parent.write(VirtAddr::new(addr), &[0xAA]), "writing {addr:#x}");
    }
    ensure_eq!(memory.frames.free_count(), free, "the last user's writes cost nothing");
    let refused = memory.copy_on_write(child, page(TEXT));
    ensure_eq!(refused, Err(SpaceError::NotCopyOnWrite(page(TEXT))), "the text is not copied");
    ensure_eq!(memory.counts.frames_held(), held + table, "the text page is still shared");

    end(memory, child);
    end(memory, parent);
    ensure_eq!(memory.counts.frames_held(), held, "nothing shared: the count table is empty");
    ensure_eq!(memory.frames.free_count(), start, "every frame back");
    Ok(())
}

#[ktest]
fn a_fork_out_of_frames_at_every_step_gives_everything_back() -> TestResult {
    // Room to hold every free frame, taken before the memory lock (the
    // heap may need it to grow).
    let free = memory::snapshot().free_frames as usize;
    let mut held: Vec<mm::frame::Frame> = Vec::with_capacity(free + 64);
    let mut guard = memory::lock();
    let memory = &mut *guard;
    let mut parent_place = MaybeUninit::uninit();
    let parent = parent(memory, &mut parent_place)?;
    let entries: [Option<PageTableEntry>; WRITABLE.len()] =
        core::array::from_fn(|i| parent.lookup(page(WRITABLE[i])));
    // What a fork that succeeds takes.
    let before = memory.frames.free_count();
    let mut place = MaybeUninit::uninit();
    let child = ensure_ok!(memory.new_space_in(&mut place), "the child's space");
    ensure_ok!(memory.fork_space(parent, child), "forking with every frame free");
    let needed = before - memory.frames.free_count();
    end(memory, child);
    for &addr in &WRITABLE {
        let _ = memory.copy_on_write(parent, page(addr));
    }
    ensure_eq!(memory.frames.free_count(), before);

    for left in 0..needed {
        while memory.frames.free_count() > left && held.len() < held.capacity() {
            match memory.frames.allocate() {
                Some(frame) => held.push(frame),
                None => break,
            }
        }
        ensure_eq!(memory.frames.free_count(), left);
        let mut place = MaybeUninit::uninit();
        if let Ok(child) = memory.new_space_in(&mut place) {
            let forked = memory.fork_space(parent, child);
            end(memory, child);
            ensure_eq!(forked, Err(SpaceError::OutOfFrames), "with {left} frames free");
        }
        ensure_eq!(memory.frames.free_count(), left, "all taken given back, with {left} free");
        for (i, &addr) in WRITABLE.iter().enumerate() {
            ensure_eq!(parent.lookup(page(addr)), entries[i], "{addr:#x} writable again");
        }
        for frame in held.drain(..) {
            ensure_ok!(memory.frames.free(frame), "giving a held frame back");
        }
    }
    crate::println!(
        "  a fork needing {needed} frames failed cleanly with 0 to {} free",
        needed - 1
    );
    end(memory, parent);
    Ok(())
}
