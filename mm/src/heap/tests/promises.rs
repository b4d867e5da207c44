//! Promises the heap's documentation makes, each kept in a case that once
//! broke it: `realloc` out of memory next to a 16-byte free block, `largest_free` with a fitting block behind its list's head, and an
//! interior pointer whose payload holds something that looks like a header.

use super::{TestOps, assert_sound, fill, heap, verify};
use crate::heap::block::DEBUG_TRAILER;
use crate::heap::{ArenaSource, Heap, HeapError};

/// The request that takes a block of exactly `block` bytes.
fn req_for(block: usize) -> usize {
    block - 8 - DEBUG_TRAILER as usize
}

/// Allocates what is left of the top chunk, so the next request that no
/// free block serves has to map pages.
fn use_up_the_top(h: &mut Heap<ArenaSource>) -> *mut u8 {
    let rest = (h.mapped - h.top) as usize;
    if rest == 0 { core::ptr::null_mut() } else { h.malloc(req_for(rest)).unwrap().as_ptr() }
}

/// No frame is left beyond the pages mapped now.
fn no_frames_left(h: &mut Heap<ArenaSource>) {
    let mapped = h.source().mapped_pages();
    h.source_mut().set_frame_limit(Some(mapped));
}

/// Out of memory, `realloc` must still read the block's neighbours right:
/// a 16-byte free block before it (its size is recorded only in the
/// block's own header bits) is slid into when that is enough, and when
/// nothing is, the answer is `OutOfMemory` with the heap intact, never a
/// corruption that is not there. (This once read a stale header after the
/// small-block cache, since removed, had merged back while looking for
/// room.)
#[test]
fn realloc_out_of_memory_reads_a_sixteen_byte_neighbour_right() {
    let mut h = heap();
    let sixteen = h.malloc(req_for(16)).unwrap().as_ptr();
    let b = h.malloc(100).unwrap().as_ptr();
    let _pin = h.malloc(req_for(24)).unwrap();
    fill(b, 100, 0x5A);
    h.test_free(sixteen).unwrap();
    let _filler = use_up_the_top(&mut h);
    no_frames_left(&mut h);
    assert_sound(&h);
    // 8 more bytes fit into the 16 before the block.
    let moved = h.test_realloc(b, 108).expect("slides down into the 16 bytes before it");
    assert_eq!(moved.as_ptr(), sixteen);
    verify(moved.as_ptr(), 100, 0x5A);
    assert_sound(&h);
    // Nothing fits 4000 bytes without a frame: out of memory, heap intact.
    let err = h.test_realloc(moved.as_ptr(), 4000).unwrap_err();
    assert!(matches!(err, HeapError::OutOfMemory { .. }), "{err}");
    verify(moved.as_ptr(), 100, 0x5A);
    assert_sound(&h);
}

/// Free blocks of 1032 and 1080 bytes share a size class, the smaller one
/// first on its list: a request the larger one fits must get it, without
/// mapping a page, as `HeapStats::largest_free` promises.
#[test]
fn a_fitting_block_behind_its_lists_head_is_used() {
    for frames in [false, true] {
        let mut h = heap();
        let large = h.malloc(req_for(1080)).unwrap().as_ptr();
        let _pin = h.malloc(8).unwrap();
        let small = h.malloc(req_for(1032)).unwrap().as_ptr();
        let _pin2 = h.malloc(8).unwrap();
        h.test_free(large).unwrap();
        h.test_free(small).unwrap();
        let _filler = use_up_the_top(&mut h);
        if frames {
            no_frames_left(&mut h);
        }
        let stats = h.stats();
        assert_eq!(stats.largest_free, 1080);
        let p = h.malloc(stats.largest_free - 8 - DEBUG_TRAILER as usize);
        assert_eq!(p.map(|p| p.as_ptr()), Ok(large), "largest_free fits without growing");
        assert_eq!(h.stats().mapped_bytes, stats.mapped_bytes, "no page was mapped");
        assert_sound(&h);
    }
}

/// Bytes that look like a block header, written into a live block's
/// payload (the old constant magic and a plausible size word, or a copy
/// of a real header): a pointer just past them is still an interior
/// pointer, never a block to free.
#[test]
fn a_header_look_alike_in_a_payload_does_not_pass_for_a_block() {
    let mut h = heap();
    let _first = h.malloc(40).unwrap();
    let a = h.malloc(400).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    // SAFETY: the header right before `a`'s payload, in the mapped heap.
    let real = unsafe { a.sub(8).cast::<[u32; 2]>().read() };
    let look_alikes = [[0xCAFE_BABE, 120 | 1], [0xCAFE_BABE, 128 | 1 | 2], real];
    for (i, words) in look_alikes.into_iter().enumerate() {
        let at = 64 + 32 * i;
        // SAFETY: 8 bytes inside `a`'s 400-byte payload, 8-aligned.
        unsafe { a.add(at).cast::<[u32; 2]>().write(words) };
        let inner = a.wrapping_add(at + 8);
        let offset = (at + 8) as isize;
        let expected = HeapError::Interior { addr: inner as usize, block: a as usize, offset };
        assert_eq!(h.test_free(inner), Err(expected), "look-alike {words:x?}");
        assert_eq!(h.test_realloc(inner, 10), Err(expected));
    }
    // Nothing inside `a` is ever handed out.
    for _ in 0..50 {
        let p = h.malloc(120).unwrap().as_ptr() as usize;
        assert!(
            p + 120 <= a as usize - 8 || p >= a as usize + 400,
            "handed out inside a live block"
        );
    }
    assert_sound(&h);
}
