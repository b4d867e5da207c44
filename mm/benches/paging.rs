//! Cost of a map + unmap pair with the real mapper code over emulated
//! memory: once when the page table already exists, once when the pair
//! has to allocate (and zero) a page table and then free it.
//!
//! This measures the host, not the kernel: the emulated walk does a
//! bounds-checked lookup per table access where the kernel does a plain
//! load through the recursive window, and there is no `invlpg`. Useful to
//! compare the two paths and to catch a regression, not as a kernel number.
//! Median over rounds; never asserts a time.

use mm::emulate::PhysMemory;
use mm::paging::{EmulatedTables, Mapper, PageTableFlags, Tlb};
use mm::{Frame, FrameAllocator, FreeError, Page, VirtAddr};
use std::hint::black_box;
use std::time::Instant;

/// The trivial frame allocator: a stack of frames, no checks.
struct VecFrames(Vec<Frame>);

// SAFETY: the stack starts with distinct frames no one else uses, and a
// frame is only in it while it is not handed out.
unsafe impl FrameAllocator for VecFrames {
    fn allocate(&mut self) -> Option<Frame> {
        self.0.pop()
    }

    fn free(&mut self, frame: Frame) -> Result<(), FreeError> {
        self.0.push(frame);
        Ok(())
    }
}

/// Emulated memory has no TLB: nothing to flush.
struct NoTlb;

// SAFETY: emulated page tables are walked afresh on every access; no
// translation is ever cached.
unsafe impl Tlb for NoTlb {
    fn flush_page(&mut self, addr: VirtAddr) {
        black_box(addr);
    }
    fn flush_all(&mut self) {}
}

const RAM_FRAMES: u32 = 1024;
const ROUNDS: usize = 31;
const PAIRS: u32 = 20_000;

fn setup() -> (Mapper<EmulatedTables>, VecFrames) {
    let memory = PhysMemory::new(RAM_FRAMES * mm::PAGE_SIZE);
    let tables = EmulatedTables::new(memory, Frame::from_number(0));
    let frames = VecFrames((1..RAM_FRAMES).rev().map(Frame::from_number).collect());
    // SAFETY: a fresh emulated directory that only this mapper edits.
    let mapper = unsafe { Mapper::new(tables) }.expect("empty directory");
    (mapper, frames)
}

/// Nanoseconds per map + unmap of `page`, median and min over the rounds.
fn measure(mapper: &mut Mapper<EmulatedTables>, frames: &mut VecFrames, page: Page) -> (f64, f64) {
    let mut tlb = NoTlb;
    let flags = PageTableFlags::WRITABLE;
    let mut frame = frames.allocate().expect("a data frame");
    let mut per_pair = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..PAIRS {
            // SAFETY: emulated memory; the frame is ours and the page unused.
            let flush = unsafe { mapper.map(black_box(page), frame, flags, frames) };
            flush.expect("page is free").flush(&mut tlb);
            // SAFETY: as above; nothing uses the page.
            let (back, flush) = unsafe { mapper.unmap(black_box(page), frames) }.expect("mapped");
            flush.flush(&mut tlb);
            frame = back;
        }
        per_pair.push(start.elapsed().as_nanos() as f64 / f64::from(PAIRS));
    }
    frames.free(frame).expect("trivial allocator");
    per_pair.sort_by(f64::total_cmp);
    (per_pair[ROUNDS / 2], per_pair[0])
}

fn main() {
    let (mut mapper, mut frames) = setup();
    let page = |addr| Page::from_start(VirtAddr::new(addr)).expect("aligned");

    // Keep one page mapped in the first table so it never becomes empty.
    let keeper = frames.allocate().expect("a frame");
    // SAFETY: emulated memory; the frame is ours and the page unused.
    let flush =
        unsafe { mapper.map(page(0xD000_0000), keeper, PageTableFlags::WRITABLE, &mut frames) };
    flush.expect("page is free").flush(&mut NoTlb);
    let free_before = frames.0.len();
    let existing = measure(&mut mapper, &mut frames, page(0xD000_1000));
    // 0xD040_0000 is in the next 4 MiB, which has no table.
    let fresh = measure(&mut mapper, &mut frames, page(0xD040_0000));
    assert_eq!(frames.0.len(), free_before, "the bench leaked frames");

    println!("paging: map + unmap of one 4 KiB page, emulated memory");
    println!("({ROUNDS} rounds x {PAIRS} pairs; ns per pair)");
    println!("{:<44} {:>10} {:>10}", "case", "median", "min");
    println!("{:<44} {:>10.1} {:>10.1}", "page table exists", existing.0, existing.1);
    println!("{:<44} {:>10.1} {:>10.1}", "allocate + zero + free a page table", fresh.0, fresh.1);
}
