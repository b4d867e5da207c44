//! Allocation, freeing, growth and shrinking through the public API.

use super::{TestOps, assert_sound, block_of, fill, heap, verify};
use crate::heap::HeapError;

#[test]
fn the_free_and_reuse_sequence_works() {
    // kmalloc 400, kfree, kmalloc 400, kmalloc 400, kfree, kmalloc 500,
    // kfree, kmalloc 500: freed space is reused, live blocks never
    // overlap, and a larger request after a free does not land on a live
    // neighbour (the sequence a small first-fit kmalloc was first tested with).
    let mut h = heap();
    let p = h.malloc(400).unwrap().as_ptr();
    h.test_free(p).unwrap();
    assert_sound(&h);
    let p = h.malloc(400).unwrap().as_ptr();
    let pp = h.malloc(400).unwrap().as_ptr();
    assert_ne!(p, pp);
    fill(p, 400, 1);
    fill(pp, 400, 2);
    h.test_free(p).unwrap();
    let p = h.malloc(500).unwrap().as_ptr();
    assert_ne!(p, pp);
    fill(p, 500, 3);
    verify(pp, 400, 2);
    h.test_free(pp).unwrap();
    let q = h.malloc(500).unwrap().as_ptr();
    assert_ne!(q, p);
    fill(q, 500, 4);
    verify(p, 500, 3);
    assert_sound(&h);
    h.test_free(p).unwrap();
    h.test_free(q).unwrap();
    assert_eq!(h.stats().mapped_bytes, 0);
    assert_sound(&h);
}

#[test]
fn the_heap_starts_empty_and_gives_every_page_back() {
    let mut h = heap();
    assert_eq!(h.stats().mapped_bytes, 0);
    assert_eq!(h.source().mapped_pages(), 0);
    let ptrs: Vec<_> = (0..500).map(|i| h.malloc(i * 37 % 3000).unwrap().as_ptr()).collect();
    assert!(h.stats().mapped_bytes > 0);
    assert_sound(&h);
    for (i, &p) in ptrs.iter().enumerate().rev().step_by(2) {
        h.test_free(p).unwrap();
        let _ = i;
    }
    for &p in ptrs.iter().rev().skip(1).step_by(2) {
        h.test_free(p).unwrap();
    }
    let s = h.stats();
    assert_eq!((s.mapped_bytes, s.used_bytes, s.live_allocations), (0, 0, 0));
    assert_eq!(s.pages_grown, s.pages_returned);
    assert_eq!(h.source().mapped_pages(), 0);
    assert_sound(&h);
}

#[test]
fn one_mebibyte_is_mapped_at_once() {
    let mut h = heap();
    let p = h.malloc(1 << 20).unwrap().as_ptr();
    assert_eq!(h.source().map_calls(), 1, "one growth for one large request");
    let pages = block_of(1 << 20).div_ceil(4096);
    assert_eq!(h.stats().mapped_bytes, pages * 4096);
    fill(p, 1 << 20, 9);
    verify(p, 1 << 20, 9);
    assert_sound(&h);
    h.test_free(p).unwrap();
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn small_blocks_pack_pages_tightly() {
    let mut h = heap();
    let n = 1000;
    let ptrs: Vec<_> = (0..n).map(|_| h.malloc(24).unwrap().as_ptr()).collect();
    // A block at the end of a page may take a remainder too small to split.
    let used = h.stats().used_bytes;
    assert!(used >= n * block_of(24) && used < n * block_of(24) + 16 * used.div_ceil(4096));
    assert_eq!(h.stats().mapped_bytes, used.next_multiple_of(4096));
    for w in ptrs.windows(2) {
        let gap = w[1] as usize - w[0] as usize;
        assert!(gap >= block_of(24) && gap < block_of(24) + 16, "consecutive blocks");
    }
    for p in ptrs {
        h.test_free(p).unwrap();
    }
    assert_sound(&h);
}

#[test]
fn free_merges_with_both_neighbours() {
    // A free merges at once.
    let mut h = heap();
    let a = h.malloc(1100).unwrap().as_ptr();
    let b = h.malloc(1200).unwrap().as_ptr();
    let c = h.malloc(1300).unwrap().as_ptr();
    let pin = h.malloc(16).unwrap().as_ptr();
    h.test_free(a).unwrap();
    h.test_free(c).unwrap();
    assert_sound(&h);
    h.test_free(b).unwrap();
    assert_sound(&h);
    // One free block now spans a, b and c: a request for all of it fits
    // exactly where a was, without growing.
    let whole = block_of(1100) + block_of(1200) + block_of(1300);
    let mapped = h.stats().mapped_bytes;
    assert!(h.stats().largest_free >= whole);
    let d = h.malloc(whole - 8 - crate::heap::block::DEBUG_TRAILER as usize).unwrap().as_ptr();
    assert_eq!(d, a);
    assert_eq!(h.stats().mapped_bytes, mapped);
    for p in [d, pin] {
        h.test_free(p).unwrap();
    }
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn a_freed_block_is_reused() {
    let mut h = heap();
    let a = h.malloc(64).unwrap().as_ptr();
    let _pin = h.malloc(64).unwrap().as_ptr();
    h.test_free(a).unwrap();
    assert_eq!(h.malloc(64).unwrap().as_ptr(), a);
    assert_sound(&h);
}

#[test]
fn every_alignment_up_to_a_page_is_honoured() {
    let mut h = heap();
    let mut live = Vec::new();
    for shift in 0..=12 {
        let align = 1usize << shift;
        for size in [1, 24, 100, 5000] {
            let p = h.malloc_aligned(size, align).unwrap().as_ptr();
            assert_eq!(p as usize % align.max(8), 0, "align {align} size {size}");
            fill(p, size, shift as u8);
            live.push((p, size, shift as u8));
            assert_sound(&h);
        }
    }
    for (p, size, key) in live {
        verify(p, size, key);
        h.test_free(p).unwrap();
    }
    assert_eq!(h.stats().mapped_bytes, 0);
    for align in [0, 3, 24, 8192, usize::MAX] {
        assert_eq!(h.malloc_aligned(8, align), Err(HeapError::BadAlignment { align }));
    }
}

#[test]
fn calloc_zeroes_dirty_memory() {
    let mut h = heap();
    let dirty = h.malloc(1000).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    fill(dirty, 1000, 0xFF);
    h.test_free(dirty).unwrap();
    let p = h.calloc(10, 100).unwrap().as_ptr();
    assert_eq!(p, dirty, "reuses the dirty block");
    for i in 0..1000 {
        // SAFETY: `p` is a live 1000-byte allocation.
        assert_eq!(unsafe { p.add(i).read() }, 0);
    }
    assert_sound(&h);
}

#[test]
fn stats_follow_the_blocks() {
    let mut h = heap();
    let sizes = [1, 8, 9, 100, 4000, 70_000];
    let ptrs: Vec<_> = sizes.iter().map(|&s| h.malloc(s).unwrap().as_ptr()).collect();
    let s = h.stats();
    assert_eq!(s.live_allocations, sizes.len());
    assert_eq!(s.used_bytes, sizes.iter().map(|&s| block_of(s)).sum::<usize>());
    assert_eq!(s.free_bytes, s.mapped_bytes - s.used_bytes);
    assert_eq!(s.pages_grown as usize * 4096, s.mapped_bytes);
    assert!(s.largest_free < 4096);
    for p in ptrs {
        h.test_free(p).unwrap();
    }
    let s = h.stats();
    assert_eq!((s.live_allocations, s.used_bytes, s.free_bytes), (0, 0, 0));
    assert!(s.peak_mapped_bytes >= 70_000);
}

#[test]
fn trim_never_leaves_a_sliver_below_a_minimum_block() {
    let mut h = heap();
    // A used block ending 16 bytes below a page boundary, then a page more.
    let first = h.malloc(4096 - 16 - 8 - crate::heap::block::DEBUG_TRAILER as usize).unwrap();
    let big = h.malloc(10_000).unwrap();
    h.test_free(big.as_ptr()).unwrap();
    assert_eq!(h.stats().mapped_bytes, 4096);
    assert_eq!(h.stats().largest_free, 16);
    assert_sound(&h);
    h.test_free(first.as_ptr()).unwrap();
    assert_eq!(h.stats().mapped_bytes, 0);
}

#[test]
fn explicit_trim_reports_pages() {
    let mut h = heap();
    let a = h.malloc(100).unwrap();
    assert_eq!(h.trim(), Ok(0));
    h.test_free(a.as_ptr()).unwrap();
    assert_eq!(h.trim(), Ok(0));
    assert_sound(&h);
}

#[test]
fn trim_keeps_an_extra_page_rather_than_an_eight_byte_sliver() {
    let mut h = heap();
    let trailer = crate::heap::block::DEBUG_TRAILER as usize;
    let a = h.malloc(4072 - 8 - trailer).unwrap();
    let x = h.malloc(5000).unwrap(); // from 4072
    let end_x = 4072 + block_of(5000);
    let y = h.malloc(12288 - end_x - 8 - trailer).unwrap(); // up to the top
    assert_eq!(h.stats().largest_free, 0);
    h.test_free(x.as_ptr()).unwrap();
    let b = h.malloc(1).unwrap(); // 16 bytes at 4072..4088
    assert_eq!(b.as_ptr() as usize - a.as_ptr() as usize, 4072);
    h.test_free(y.as_ptr()).unwrap();
    // Cutting at 4096 would leave 8 free bytes: the heap keeps a page more.
    assert_eq!(h.stats().mapped_bytes, 8192);
    assert_eq!(h.stats().largest_free, 8192 - 4088);
    assert_sound(&h);
}
