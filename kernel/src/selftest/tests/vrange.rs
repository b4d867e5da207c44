//! Kernel virtual ranges: address space allocated apart from frames.

use crate::memory;
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use mm::PhysAddr;
use mm::vrange::FrameSource;

#[ktest]
fn ranges_are_allocated_apart_and_freed() -> TestResult {
    let mut memory = memory::lock();
    let free_pages = memory.ranges.free_pages();
    let a = ensure_ok!(memory.ranges.allocate(3), "3 pages");
    let b = ensure_ok!(memory.ranges.allocate(5), "5 pages");
    ensure!(a.end() <= b.start() || b.end() <= a.start(), "ranges overlap: {a:?} {b:?}");
    ensure_eq!(memory.ranges.free_pages(), free_pages - 8);
    ensure_ok!(memory.ranges.free(a), "freeing a");
    ensure_ok!(memory.ranges.free(b), "freeing b");
    ensure_eq!(memory.ranges.free_pages(), free_pages);
    ensure!(memory.ranges.allocate(0).is_err(), "a zero-page range was handed out");
    Ok(())
}

/// A driver needs 16 frames of RAM mapped somewhere, and gives them back.
#[ktest]
fn sixteen_frames_for_a_driver() -> TestResult {
    let mut memory = memory::lock();
    let frames = memory.frames.free_count();
    let mapped = ensure_ok!(memory.map_new(16), "mapping 16 new frames");
    ensure_eq!(mapped.size(), 16 * 4096);
    ensure_eq!(mapped.source(), FrameSource::Allocator);
    let words = mapped.start().as_mut_ptr::<u32>();
    for i in 0..16 * 1024 {
        // SAFETY: 64 KiB mapped writable at `words`, ours alone.
        unsafe { words.add(i).write_volatile(i as u32) };
    }
    for i in (0..16 * 1024).step_by(997) {
        // SAFETY: as above.
        ensure_eq!(unsafe { words.add(i).read_volatile() }, i as u32);
    }
    ensure_ok!(memory.unmap(mapped), "unmapping");
    ensure_eq!(memory.frames.free_count(), frames);
    Ok(())
}

/// Device memory mapped twice shows the same bytes: the VGA text buffer
/// (whether or not the console uses it).
#[ktest]
fn device_memory_maps_where_asked() -> TestResult {
    let mut memory = memory::lock();
    let frames = memory.frames.free_count();
    // SAFETY: the VGA buffer is device memory, mapped uncached like the
    // console's own mapping of it (if it has one).
    let mapped =
        ensure_ok!(unsafe { memory.map_device(PhysAddr::new(0xB8000), 1) }, "mapping 0xB8000");
    // SAFETY: as above.
    let again = ensure_ok!(unsafe { memory.map_device(PhysAddr::new(0xB8000), 1) }, "again");
    ensure_eq!(mapped.source(), FrameSource::Device);
    ensure!(mapped.start() != again.start(), "two mappings at {}", mapped.start());
    let (ours, theirs) = (mapped.start().as_ptr::<u16>(), again.start().as_ptr::<u16>());
    for i in 0..80 {
        // SAFETY: both map the 4000-byte text buffer.
        let (a, b) = unsafe { (ours.add(i).read_volatile(), theirs.add(i).read_volatile()) };
        ensure_eq!(a, b, "cell {}", i);
    }
    ensure_eq!(memory.mapper.translate(mapped.start()), Some(PhysAddr::new(0xB8000)));
    ensure_ok!(memory.unmap(again), "unmapping");
    ensure_ok!(memory.unmap(mapped), "unmapping");
    ensure_eq!(
        memory.frames.free_count(),
        frames,
        "device frames are never freed, page tables are"
    );
    Ok(())
}
