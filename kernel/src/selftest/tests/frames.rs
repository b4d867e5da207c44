//! The frame allocator on the real machine: every frame, really.

use crate::memory::fixmap::{self, Slot};
use crate::memory::{self, boot_info, image};
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use mm::frame::{Frame, FrameAllocator, FreeError};
use mm::{PAGE_SIZE, PhysAddr};

/// Where a drained frame must never be.
fn occupied(addr: u32) -> Option<&'static str> {
    let (kernel_start, kernel_end) = image::physical_span();
    if (kernel_start.as_u32()..kernel_end.as_u32()).contains(&addr) {
        return Some("inside the kernel image");
    }
    if let Some((start, size)) = boot_info::phys_span() {
        let first = start.align_down(PAGE_SIZE).as_u32();
        if (first..start.as_u32() + size).contains(&addr) {
            return Some("inside the boot information");
        }
    }
    if boot_info::get().modules().any(|m| (m.start & !(PAGE_SIZE - 1)..m.end).contains(&addr)) {
        return Some("inside a boot module");
    }
    None
}

/// Drains every free frame, checking each, chaining them through their own
/// first word (so nothing else is needed to remember them); then frees
/// them all; twice. The first round takes what earlier tests freed and then
/// untouched memory (never handed out since boot), the second a stack
/// holding every frame: both must hand out exactly the free count, each
/// frame once, and give it all back. The chain also proves each frame is
/// writable RAM.
#[ktest]
fn drain_every_frame_and_give_it_back() -> TestResult {
    let mut memory = memory::lock();
    let free_before = memory.frames.free_count();
    let total = memory.frames.total_count();

    // A bitmap to prove uniqueness, in frames allocated (and mapped) first.
    let words = (memory.frames.usable().end_frame() as usize).div_ceil(32);
    let pages = (words * 4).div_ceil(PAGE_SIZE as usize) as u32;
    let seen_map = ensure_ok!(memory.map_new(pages), "mapping the uniqueness bitmap");
    let seen = seen_map.start().as_mut_ptr::<u32>();
    let free_after_bitmap = memory.frames.free_count();

    let mut rounds = [0u32; 2];
    let mut failure = None;
    for drained in &mut rounds {
        // SAFETY: `map_new` mapped `pages` writable pages at `seen`, ours alone.
        unsafe { core::ptr::write_bytes(seen, 0, words) };
        let (count, bad) = drain_and_restore(&mut memory, seen, words);
        *drained = count;
        failure = failure.or(bad);
    }
    ensure_ok!(memory.unmap(seen_map), "unmapping the uniqueness bitmap");

    if let Some((what, addr)) = failure {
        return Err(crate::selftest::Failure::new(
            file!(),
            line!(),
            format_args!("frame {addr:#010x}: {what}"),
        ));
    }
    ensure_eq!(rounds, [free_after_bitmap; 2]);
    ensure_eq!(memory.frames.free_count(), free_before);
    ensure_eq!(memory.frames.total_count(), total);
    crate::println!("  drained and restored {} frames ({} KiB), twice", rounds[0], rounds[0] * 4);
    Ok(())
}

/// One round of the drain test: takes every free frame, checking each
/// against `seen` (`words` words, cleared, one bit per frame), and frees
/// them all. Returns how many it took and the first problem seen; the free
/// count must be back where it was.
fn drain_and_restore(
    memory: &mut memory::Memory,
    seen: *mut u32,
    words: usize,
) -> (u32, Option<(&'static str, u32)>) {
    let free_before = memory.frames.free_count();
    let mut chain = 0u32; // physical address of the last drained frame, 0 = none
    let mut drained = 0u32;
    let mut failure = None;
    while let Some(frame) = memory.frames.allocate() {
        let addr = frame.start().as_u32();
        let number = frame.number() as usize;
        if failure.is_none() {
            if !frame.start().is_aligned(PAGE_SIZE) {
                failure = Some(("not 4 KiB-aligned", addr));
            } else if !memory.frames.usable().contains(frame.number()) {
                failure = Some(("outside usable RAM", addr));
            } else if let Some(what) = occupied(addr) {
                failure = Some((what, addr));
            } else if number / 32 >= words {
                failure = Some(("beyond the uniqueness bitmap", addr));
            } else {
                // SAFETY: `number / 32 < words`, inside the caller's bitmap.
                let word = unsafe { &mut *seen.add(number / 32) };
                if *word & (1 << (number % 32)) != 0 {
                    failure = Some(("handed out twice", addr));
                }
                *word |= 1 << (number % 32);
            }
        }
        // SAFETY: the frame was just allocated and is ours; the scratch
        // window is used only by this test while it holds the memory lock.
        let window = unsafe { fixmap::map(Slot::scratch(0), frame.start(), true) };
        // SAFETY: the window maps the frame, writable.
        unsafe { window.as_mut_ptr::<u32>().write_volatile(chain) };
        chain = addr;
        drained += 1;
        let _ = frame; // ownership passes to the chain
    }
    if memory.frames.free_count() != 0 {
        failure = failure.or(Some(("allocate said none while the count says some", 0)));
    }

    // Give everything back by walking the chain.
    let mut freed = 0u32;
    while chain != 0 {
        // SAFETY: `chain` is a frame this round drained and still owns.
        let window = unsafe { fixmap::map(Slot::scratch(0), PhysAddr::new(chain), false) };
        // SAFETY: the window maps the frame, whose first word links to the next.
        let next = unsafe { window.as_ptr::<u32>().read_volatile() };
        let frame = Frame::containing(PhysAddr::new(chain));
        if let Err(e) = memory.frames.free(frame) {
            failure = failure.or(Some(("refused on free", chain)));
            crate::println!("  free refused: {e}");
        }
        chain = next;
        freed += 1;
    }
    // SAFETY: done with the window.
    unsafe { fixmap::unmap(Slot::scratch(0)) };
    if freed != drained || memory.frames.free_count() != free_before {
        failure = failure.or(Some(("free count not restored after the round", 0)));
    }
    (drained, failure)
}

/// Freed frames are handed out again before untouched memory, last freed
/// first, and the count follows each step exactly.
#[ktest]
fn the_frame_freed_last_comes_back_first() -> TestResult {
    let mut memory = memory::lock();
    let before = memory.frames.free_count();
    let a = ensure_ok!(memory.frames.allocate().ok_or(()), "allocating A");
    let b = ensure_ok!(memory.frames.allocate().ok_or(()), "allocating B");
    ensure!(a.start() != b.start(), "A and B are the same frame {:?}", a);
    ensure_eq!(memory.frames.free_count(), before - 2);
    let (a_addr, b_addr) = (a.start(), b.start());
    ensure_ok!(memory.frames.free(b), "freeing B");
    ensure_ok!(memory.frames.free(a), "freeing A");
    ensure_eq!(memory.frames.free_count(), before);
    let first = ensure_ok!(memory.frames.allocate().ok_or(()), "allocating again");
    let second = ensure_ok!(memory.frames.allocate().ok_or(()), "allocating again");
    ensure_eq!((first.start(), second.start()), (a_addr, b_addr));
    ensure_ok!(memory.frames.free(first), "freeing A again");
    ensure_ok!(memory.frames.free(second), "freeing B again");
    ensure_eq!(memory.frames.free_count(), before);
    Ok(())
}

#[ktest]
fn double_free_and_foreign_frames_are_refused() -> TestResult {
    let mut memory = memory::lock();
    let before = memory.frames.free_count();
    let frame = ensure_ok!(memory.frames.allocate().ok_or(()), "allocating a frame");
    let addr = frame.start();
    ensure_ok!(memory.frames.free(frame), "first free");
    let again = Frame::containing(addr);
    ensure_eq!(memory.frames.free(again), Err(FreeError::DoubleFree(addr)));
    let (kernel, _) = image::physical_span();
    let foreign = Frame::containing(kernel);
    ensure_eq!(memory.frames.free(foreign), Err(FreeError::NotUsable(kernel)));
    ensure_eq!(
        memory.frames.free(Frame::containing(PhysAddr::new(0))),
        Err(FreeError::NotUsable(PhysAddr::new(0)))
    );
    ensure_eq!(memory.frames.free_count(), before);
    // The stack still works after the refusals.
    let frame = ensure_ok!(memory.frames.allocate().ok_or(()), "allocating after refusals");
    ensure_ok!(memory.frames.free(frame), "freeing after refusals");
    ensure!(memory.frames.free_count() == before);
    Ok(())
}

/// A stray write into a free frame: the stack entry naming a freed frame is
/// overwritten with 0. The next allocate must stop the kernel naming the
/// stack page and the entry, not hand out frame 0.
#[ktest(fault)]
fn corrupted_stack_entry() -> TestResult {
    let mut memory = memory::lock();
    // The stack's top page, as the allocator's own window shows it.
    let top = Slot::FRAME_STACK.addr().as_mut_ptr::<u32>();
    // A few tries: a freed frame is an entry unless it became a stack page.
    for _ in 0..3 {
        let mut take = || memory.frames.allocate().ok_or(());
        let (p, a, b) = (ensure_ok!(take(), "P"), ensure_ok!(take(), "A"), ensure_ok!(take(), "B"));
        let a_addr = a.start().as_u32();
        for f in [p, a, b] {
            ensure_ok!(memory.frames.free(f), "freeing");
        }
        let _b = ensure_ok!(memory.frames.allocate().ok_or(()), "taking B back");
        // SAFETY: the window shows the stack's top page (the stack is not
        // empty); reading it while the lock is held races with nothing.
        let index = (1..1024).find(|&i| unsafe { top.add(i).read_volatile() } == a_addr);
        if let Some(i) = index {
            crate::println!(
                "overwriting entry {i} of the stack's top page ({a_addr:#010x}) with 0"
            );
            // SAFETY: deliberately unsound: a stray write into a free frame,
            // which the allocator must catch before handing out frame 0.
            unsafe { top.add(i).write_volatile(0) };
            let got = memory.frames.allocate();
            crate::println!("allocate returned {got:?}");
            return Ok(());
        }
    }
    Err(crate::selftest::Failure::new(
        file!(),
        line!(),
        format_args!("no freed frame was found as an entry of the top stack page"),
    ))
}
