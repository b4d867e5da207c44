//! Edge cases: sizes 0 and huge, overflow, null, running out of memory.

use super::{TestOps, assert_sound, heap, heap_with_frames};
use crate::heap::{ArenaSource, Exhausted, Heap, HeapError};

#[test]
fn size_zero_is_one_byte() {
    let mut h = heap();
    let a = h.malloc(0).unwrap();
    let b = h.malloc(0).unwrap();
    assert_ne!(a, b, "two zero-size allocations are distinct");
    // SAFETY: a zero-size request still gets one writable byte.
    unsafe { a.as_ptr().write(1) };
    assert_eq!(h.stats().live_allocations, 2);
    h.test_free(a.as_ptr()).unwrap();
    h.test_free(b.as_ptr()).unwrap();
    let c = h.calloc(0, 10).unwrap();
    h.test_free(c.as_ptr()).unwrap();
    assert_sound(&h);
}

#[test]
fn impossible_sizes_are_errors_not_panics() {
    let mut h = heap();
    for size in [usize::MAX, usize::MAX - 7, usize::MAX - 8, isize::MAX as usize, 1 << 30] {
        assert_eq!(h.malloc(size), Err(HeapError::TooLarge { size }));
        assert_eq!(h.malloc_aligned(size, 64), Err(HeapError::TooLarge { size }));
    }
    // Representable, but larger than the whole 64 MiB region: it could
    // never fit, whatever is freed.
    for size in [100 << 20, (64 << 20) - 7] {
        assert_eq!(h.malloc(size), Err(HeapError::TooLarge { size }));
        assert_eq!(h.malloc_aligned(size, 64), Err(HeapError::TooLarge { size }));
        assert_eq!(h.stats().mapped_bytes, 0);
    }
    let p = h.malloc(1).unwrap().as_ptr();
    assert_eq!(h.test_realloc(p, 100 << 20), Err(HeapError::TooLarge { size: 100 << 20 }));
    h.test_free(p).unwrap();
    assert_sound(&h);
}

#[test]
fn out_of_memory_says_what_ran_out() {
    let frames = HeapError::OutOfMemory { size: 9000, cause: Exhausted::Frames };
    let mut h = heap_with_frames(2);
    assert_eq!(h.malloc(9000), Err(frames));
    assert!(frames.to_string().ends_with("9000 bytes: no free frame left for the pages it needs"));
    let space = HeapError::OutOfMemory { size: 40_000, cause: Exhausted::AddressSpace };
    let mut h = Heap::new(ArenaSource::guarded(64 * 1024));
    let _a = h.malloc(40_000).unwrap();
    assert_eq!(h.malloc(40_000), Err(space));
    assert!(space.to_string().ends_with("40000 bytes: the heap's address space is used up"));
    assert_eq!(Exhausted::from(crate::heap::MapError::Refused), Exhausted::Refused);
}

#[test]
fn calloc_overflow_is_an_error() {
    let mut h = heap();
    let (count, size) = (usize::MAX / 2, 3);
    assert_eq!(h.calloc(count, size), Err(HeapError::CallocOverflow { count, size }));
    #[cfg(target_pointer_width = "64")]
    assert_eq!(
        h.calloc(1 << 20, 1 << 20).map(|_| ()).unwrap_err(),
        HeapError::TooLarge { size: 1 << 40 }
    );
}

#[test]
fn free_of_null_does_nothing() {
    let mut h = heap();
    assert_eq!(h.test_free(core::ptr::null_mut()), Ok(()));
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn realloc_errors_leave_the_block_alone() {
    let mut h = heap();
    let p = h.malloc(10).unwrap().as_ptr();
    assert_eq!(h.test_realloc(p, usize::MAX), Err(HeapError::TooLarge { size: usize::MAX }));
    assert_eq!(h.test_realloc_aligned(p, 8, 3), Err(HeapError::BadAlignment { align: 3 }));
    assert_eq!(h.stats().live_allocations, 1);
    h.test_free(p).unwrap();
    assert_sound(&h);
}

#[test]
fn out_of_memory_mid_growth_leaves_the_heap_consistent() {
    let mut h = heap_with_frames(8);
    let mut live = Vec::new();
    // Fill 8 frames with 1 KiB blocks, then ask for more.
    loop {
        match h.malloc(1000) {
            Ok(p) => live.push(p.as_ptr()),
            Err(e) => {
                assert_eq!(e, HeapError::OutOfMemory { size: 1000, cause: Exhausted::Frames });
                break;
            }
        }
    }
    assert_eq!(h.source().mapped_pages(), 8);
    // A request needing several pages at once fails whole: nothing half-mapped.
    assert!(h.malloc(3 * 4096).is_err());
    assert_eq!(h.source().mapped_pages(), 8);
    assert_sound(&h);
    for p in live {
        h.test_free(p).unwrap();
    }
    let s = h.stats();
    assert_eq!(s.mapped_bytes, 0);
    assert_eq!(s.pages_grown, s.pages_returned);
    assert_eq!(h.source().mapped_pages(), 0, "every frame given back");
    assert_sound(&h);
}

#[test]
fn the_region_end_is_a_hard_limit() {
    let mut h = Heap::new(ArenaSource::guarded(64 * 1024));
    let a = h.malloc(40_000).unwrap();
    let no_space = |size| HeapError::OutOfMemory { size, cause: Exhausted::AddressSpace };
    assert_eq!(h.malloc(40_000), Err(no_space(40_000)));
    let b = h.malloc(20_000).unwrap();
    assert_eq!(h.stats().mapped_bytes, 15 * 4096);
    // Two more pages would pass the end of the 16-page region.
    assert_eq!(h.malloc(8000), Err(no_space(8000)));
    assert_eq!(h.stats().mapped_bytes, 15 * 4096);
    for p in [a, b] {
        h.test_free(p.as_ptr()).unwrap();
    }
    assert_sound(&h);
}

#[test]
fn a_const_heap_can_be_built() {
    struct Never;
    // SAFETY: this source is never asked for pages in this test.
    unsafe impl crate::heap::PageSource for Never {
        fn region(&self) -> crate::heap::HeapRegion {
            unreachable!()
        }
        fn map(&mut self, _: usize, _: usize) -> Result<(), crate::heap::MapError> {
            Err(crate::heap::MapError::OutOfFrames)
        }
        unsafe fn unmap(&mut self, _: usize, _: usize) {}
    }
    static HEAP: std::sync::Mutex<Heap<Never>> = std::sync::Mutex::new(Heap::new(Never));
    assert_eq!(HEAP.lock().unwrap().stats().mapped_bytes, 0);
}
