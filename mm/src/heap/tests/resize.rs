//! `realloc`: in place when the neighbours allow, moving otherwise.

use super::{TestOps, assert_sound, block_of, fill, heap, heap_with_frames, verify};

#[test]
fn realloc_of_null_allocates() {
    let mut h = heap();
    let p = h.test_realloc(core::ptr::null_mut(), 40).unwrap().as_ptr();
    fill(p, 40, 1);
    assert_eq!(h.stats().live_allocations, 1);
    assert_sound(&h);
}

#[test]
fn shrinking_stays_in_place_and_frees_the_tail() {
    let mut h = heap();
    let p = h.malloc(1000).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    fill(p, 1000, 2);
    let q = h.test_realloc(p, 100).unwrap().as_ptr();
    assert_eq!(p, q);
    verify(q, 100, 2);
    assert_eq!(h.stats().used_bytes, block_of(100) + block_of(8));
    assert_sound(&h);
    // Size 0 counts as 1: the block shrinks to the minimum and stays live.
    let r = h.test_realloc(q, 0).unwrap().as_ptr();
    assert_eq!(r, q);
    assert_eq!(h.stats().live_allocations, 2);
    assert_sound(&h);
}

#[test]
fn growing_takes_the_free_next_block() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let b = h.malloc(1500).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    fill(a, 100, 3);
    h.test_free(b).unwrap();
    let mapped = h.stats().mapped_bytes;
    let grown = h.test_realloc(a, 400).unwrap().as_ptr();
    assert_eq!(grown, a);
    verify(a, 100, 3);
    assert_eq!(h.stats().mapped_bytes, mapped);
    assert_sound(&h);
    // Exactly all of it, too.
    let all = block_of(100) + block_of(1500) - 8 - crate::heap::block::DEBUG_TRAILER as usize;
    assert_eq!(h.test_realloc(a, all).unwrap().as_ptr(), a);
    assert_sound(&h);
}

#[test]
fn growing_at_the_top_maps_pages_in_place() {
    let mut h = heap();
    let p = h.malloc(100).unwrap().as_ptr();
    fill(p, 100, 4);
    let q = h.test_realloc(p, 100_000).unwrap().as_ptr();
    assert_eq!(p, q);
    verify(q, 100, 4);
    assert_eq!(h.stats().mapped_bytes, block_of(100_000).next_multiple_of(4096));
    assert_sound(&h);
    let r = h.test_realloc(q, 50).unwrap().as_ptr();
    assert_eq!(r, q);
    assert_eq!(h.stats().mapped_bytes, 4096, "shrinking at the top gives pages back");
    assert_sound(&h);
}

#[test]
fn a_vec_like_buffer_grows_in_place_from_8_bytes_to_a_mebibyte() {
    let mut h = heap();
    let mut p = h.malloc(8).unwrap().as_ptr();
    let first = p;
    let mut len = 8;
    fill(p, len, 5);
    while len < 1 << 20 {
        len *= 2;
        p = h.test_realloc(p, len).unwrap().as_ptr();
        assert_eq!(p, first, "alone in the heap, the buffer never moves");
        verify(p, len / 2, 5);
        fill(p, len, 5);
    }
    assert_sound(&h);
    h.test_free(p).unwrap();
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn growing_a_boxed_in_block_moves_it() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let b = h.malloc(100).unwrap().as_ptr();
    fill(a, 100, 6);
    let moved = h.test_realloc(a, 300).unwrap().as_ptr();
    assert_ne!(moved, a);
    verify(moved, 100, 6);
    assert_eq!(h.stats().live_allocations, 2);
    assert_sound(&h);
    for p in [moved, b] {
        h.test_free(p).unwrap();
    }
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn realloc_aligned_keeps_the_alignment_when_moving() {
    let mut h = heap();
    let a = h.malloc_aligned(64, 256).unwrap().as_ptr();
    let _b = h.malloc(8).unwrap();
    fill(a, 64, 7);
    let moved = h.test_realloc_aligned(a, 5000, 256).unwrap().as_ptr();
    assert_eq!(moved as usize % 256, 0);
    verify(moved, 64, 7);
    assert_sound(&h);
}

#[test]
fn out_of_memory_slides_the_block_down_into_free_space_before_it() {
    // One page of RAM: a free block before `b` is the only room to grow.
    let mut h = heap_with_frames(1);
    let trailer = crate::heap::block::DEBUG_TRAILER as usize;
    let a = h.malloc(3000).unwrap().as_ptr();
    let b = h.malloc(1000).unwrap().as_ptr();
    fill(b, 1000, 8);
    h.test_free(a).unwrap();
    let want = 4096 - 8 - 8 - trailer - 64;
    let moved = h.test_realloc(b, want).unwrap().as_ptr();
    assert_eq!(moved, a);
    verify(moved, 1000, 8);
    assert_eq!(h.stats().mapped_bytes, 4096);
    assert_sound(&h);
    // And when even that is not enough, the old block survives the error.
    let again = h.test_realloc(moved, 5000);
    assert!(matches!(again, Err(crate::heap::HeapError::OutOfMemory { .. })));
    verify(moved, 1000, 8);
    assert_sound(&h);
}

#[test]
fn growing_slides_down_into_free_space_before_the_block() {
    // Plenty of frames: sliding is preferred to moving, not a last resort.
    let mut h = heap();
    let a = h.malloc(1000).unwrap().as_ptr();
    let b = h.malloc(100).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    fill(b, 100, 9);
    h.test_free(a).unwrap();
    let mapped = h.stats().mapped_bytes;
    let moved = h.test_realloc(b, 800).unwrap().as_ptr();
    assert_eq!(moved, a, "slid down into the free block before it");
    verify(moved, 100, 9);
    assert_eq!(h.stats().mapped_bytes, mapped);
    assert_sound(&h);
}

#[test]
fn a_buffer_grown_between_small_blocks_keeps_the_heap_small() {
    // A buffer grown by realloc, a small block allocated between each two
    // reallocs and the previous one freed: the small blocks must not land
    // right behind the buffer each time, or it moves again and again and
    // the heap maps several times what is live.
    let mut h = heap();
    let mut size = 512;
    let mut buffer = h.malloc(size).unwrap().as_ptr();
    let mut small = h.malloc(40).unwrap().as_ptr();
    let mut moves = 0;
    for i in 0..2000 {
        size += 64 + (i * 37) % 128;
        let grown = h.test_realloc(buffer, size).unwrap().as_ptr();
        moves += usize::from(grown != buffer);
        buffer = grown;
        let next = h.malloc(16 + (i * 13) % 112).unwrap().as_ptr();
        h.test_free(small).unwrap();
        small = next;
    }
    assert_sound(&h);
    let mapped = h.stats().mapped_bytes;
    assert!(mapped <= size + 16 * 1024, "{mapped} bytes mapped for {size} live");
    assert!(moves < 10, "the buffer moved {moves} times");
}
