//! The small-block cache: reuse, double-free detection, giving everything
//! back when the heap empties, merging back before the heap grows.

use super::{TestOps, assert_sound, block_of, fill, heap, heap_with_frames};
use crate::heap::HeapError;
use crate::heap::block::DEBUG;

#[test]
fn a_freed_small_block_is_cached_and_reused() {
    let mut h = heap();
    let a = h.malloc(40).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    let s = h.stats();
    assert_eq!((s.cached_blocks, s.live_allocations), (1, 1));
    assert_eq!(s.used_bytes, block_of(8));
    assert_sound(&h);
    assert_eq!(h.malloc(40).unwrap().as_ptr(), a);
    assert_eq!(h.stats().cached_blocks, 0);
    assert_sound(&h);
}

#[test]
fn freeing_a_cached_block_again_is_a_double_free() {
    let mut h = heap();
    let a = h.malloc(64).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    assert_eq!(h.test_free(a), Err(HeapError::DoubleFree { addr: a as usize }));
    assert_eq!(h.test_realloc(a, 10), Err(HeapError::DoubleFree { addr: a as usize }));
    assert_sound(&h);
}

#[test]
fn an_empty_heap_maps_nothing_even_with_cached_blocks() {
    let mut h = heap();
    let ptrs: Vec<_> = (0..300).map(|i| h.malloc(16 + i % 200).unwrap().as_ptr()).collect();
    for (i, &p) in ptrs.iter().enumerate() {
        if i % 3 != 0 {
            h.test_free(p).unwrap();
        }
    }
    assert!(h.stats().cached_blocks > 0);
    assert_sound(&h);
    for &p in ptrs.iter().step_by(3) {
        h.test_free(p).unwrap();
    }
    let s = h.stats();
    assert_eq!((s.mapped_bytes, s.cached_blocks, s.live_allocations), (0, 0, 0));
    assert_eq!(s.pages_grown, s.pages_returned);
    assert_eq!(h.source().mapped_pages(), 0);
    assert_sound(&h);
}

#[test]
fn cached_blocks_merge_back_before_the_heap_grows() {
    // Four frames of small blocks, all freed into the cache but the last
    // (which keeps the heap from being empty); then a request for most of
    // that room must be served by merging the cache back, not by growing.
    let mut h = heap_with_frames(4);
    let mut ptrs = Vec::new();
    while let Ok(p) = h.malloc(100) {
        ptrs.push(p.as_ptr());
    }
    let pin = ptrs.pop().unwrap();
    for p in ptrs {
        h.test_free(p).unwrap();
    }
    assert!(h.stats().cached_blocks > 100);
    assert_sound(&h);
    let big = h.malloc(3 * 4096).unwrap().as_ptr();
    assert_eq!(h.stats().cached_blocks, 0, "the cache was merged back");
    assert_eq!(h.source().mapped_pages(), 4, "and nothing more was mapped");
    fill(big, 3 * 4096, 5);
    assert_sound(&h);
    h.test_free(big).unwrap();
    h.test_free(pin).unwrap();
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn trim_merges_the_cache_back() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let b = h.malloc(100).unwrap().as_ptr();
    let c = h.malloc(20_000).unwrap().as_ptr();
    // `b` has used neighbours, so it is cached; `c` merges with the top.
    h.test_free(b).unwrap();
    h.test_free(c).unwrap();
    assert_eq!(h.stats().cached_blocks, 1);
    h.trim().unwrap();
    assert_eq!(h.stats().cached_blocks, 0);
    assert_eq!(h.stats().mapped_bytes, 4096);
    assert_eq!(h.stats().largest_free, 4096 - block_of(100));
    h.test_free(a).unwrap();
    assert_sound(&h);
}

#[test]
fn a_write_to_a_cached_block_is_caught_when_it_is_reused() {
    if !DEBUG {
        return;
    }
    let mut h = heap();
    let a = h.malloc(48).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    // SAFETY: deliberate use after free, inside the arena the test owns.
    unsafe { a.add(20).write(7) };
    let uaf = HeapError::UseAfterFree { block: a as usize, at: a as usize + 20, found: 7 };
    assert_eq!(h.check(), Err(uaf));
    assert_eq!(h.malloc(48).map(|p| p.as_ptr()), Err(uaf));
    assert_eq!(h.stats().quarantined_blocks, 1);
    assert_ne!(h.malloc(48).unwrap().as_ptr(), a);
    assert_sound(&h);
}
