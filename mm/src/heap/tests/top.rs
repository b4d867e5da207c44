//! The top chunk: allocations carve it, a free below it merges into it,
//! realloc moves its boundary, trimming gives its pages back, and `check`
//! notices when it is not what the heap says.

use super::{TestOps, assert_sound, block_of, heap};
use crate::heap::{Corruption, HeapError};

/// The top chunk's header word at `off` bytes from the heap's base.
fn word_at(h: &crate::heap::Heap<crate::heap::ArenaSource>, off: u32) -> *mut u32 {
    h.base.wrapping_add(off as usize).cast::<u32>()
}

#[test]
fn allocations_carve_the_top_chunk_in_order() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let b = h.malloc(200).unwrap().as_ptr();
    assert_eq!(b as usize - a as usize, block_of(100));
    let used = block_of(100) + block_of(200);
    assert_eq!(h.top, used as u32, "the rest of the page is the top chunk");
    assert_eq!(h.stats().largest_free, 4096 - used);
    // The top chunk is no free-list block: the lists are empty.
    assert!(h.lists.highest().is_none());
    // SAFETY: the top chunk's header, in the mapped heap.
    assert_eq!(unsafe { word_at(&h, h.top).read() }, h.check_word(h.top));
    assert_sound(&h);
}

#[test]
fn a_free_below_the_top_merges_into_it() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let b = h.malloc(3000).unwrap().as_ptr();
    let c = h.malloc(3000).unwrap().as_ptr(); // crosses into a second page
    assert_eq!(h.stats().mapped_bytes, 8192);
    h.test_free(c).unwrap();
    assert_eq!(h.stats().mapped_bytes, 4096, "the page above the top chunk went back");
    assert_eq!(h.top as usize, block_of(100) + block_of(3000));
    h.test_free(b).unwrap();
    assert_eq!(h.top as usize, block_of(100));
    assert!(h.lists.highest().is_none(), "no list was involved");
    assert_sound(&h);
    // A free block before the freed one merges too (it leaves its list).
    let b = h.malloc(1500).unwrap().as_ptr();
    let c = h.malloc(1500).unwrap().as_ptr();
    h.test_free(b).unwrap();
    assert!(h.lists.highest().is_some());
    h.test_free(c).unwrap();
    assert!(h.lists.highest().is_none());
    assert_eq!(h.top as usize, block_of(100));
    assert_sound(&h);
    h.test_free(a).unwrap();
    assert_eq!((h.stats().mapped_bytes, h.top), (0, 0));
}

#[test]
fn realloc_at_the_top_moves_the_boundary_both_ways() {
    let mut h = heap();
    let p = h.malloc(64).unwrap().as_ptr();
    let grown = h.test_realloc(p, 1000).unwrap().as_ptr();
    assert_eq!(grown, p);
    assert_eq!(h.top as usize, block_of(1000));
    let big = h.test_realloc(p, 9000).unwrap().as_ptr();
    assert_eq!(big, p);
    assert_eq!(h.stats().mapped_bytes, block_of(9000).next_multiple_of(4096));
    assert_sound(&h);
    let small = h.test_realloc(p, 40).unwrap().as_ptr();
    assert_eq!(small, p);
    assert_eq!((h.top as usize, h.stats().mapped_bytes), (block_of(40), 4096));
    assert_sound(&h);
}

#[test]
fn a_corrupted_top_header_is_reported_and_never_merged_or_handed_out() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let top = h.top;
    let hdr = word_at(&h, top);
    // SAFETY: deliberate corruption (an overflow of `a` over the top chunk), in the mapped heap.
    unsafe { hdr.write(0x4141_4141) };
    let bad = HeapError::Corrupted {
        addr: hdr as usize,
        what: Corruption::BadCheckWord { found: 0x4141_4141, expected: h.check_word(top) },
    };
    assert_eq!(h.check(), Err(bad));
    assert_eq!(h.test_free(a), Err(bad), "never merged");
    assert_eq!(h.test_realloc(a, 200), Err(bad), "never grown into");
    assert_eq!(h.malloc(500), Err(bad), "reported when met by malloc");
    // Dropped from circulation: the next request is served above it.
    let p = h.malloc(500).unwrap().as_ptr() as usize;
    assert!(p >= h.base as usize + 4096, "the damaged top chunk was handed out");
    assert!(h.check().is_err(), "the heap stays reported as corrupted");
}

#[test]
fn check_verifies_the_top_chunk() {
    let mut h = heap();
    let _a = h.malloc(100).unwrap();
    let b = h.malloc(100).unwrap().as_ptr();
    let _c = h.malloc(100).unwrap();
    assert_sound(&h);
    let top = h.top;
    let addr = h.base as usize + top as usize;
    let size_word = word_at(&h, top + 4);
    // SAFETY: the top chunk's header word, in the mapped heap.
    let size = unsafe { size_word.read() };
    // Flag bits in its size word.
    // SAFETY: deliberate corruption of the top chunk's header, in the mapped heap.
    unsafe { size_word.write(size | 2) };
    assert!(
        matches!(h.check(), Err(HeapError::Corrupted { addr: at, what: Corruption::PrevBits { .. } }) if at == addr)
    );
    // SAFETY: as above.
    unsafe { size_word.write(size | 1 << 30) };
    assert_eq!(
        h.check(),
        Err(HeapError::Corrupted {
            addr,
            what: Corruption::Top { why: "its size word has flag bits" }
        })
    );
    // SAFETY: restoring the header.
    unsafe { size_word.write(size) };
    assert_sound(&h);
    // The heap's idea of where it starts is wrong.
    h.top = top + 8;
    assert!(matches!(h.check(), Err(HeapError::Corrupted { what: Corruption::Top { .. }, .. })));
    h.top = top;
    // A listed free block at the top instead of a top chunk.
    h.test_free(b).unwrap();
    assert_sound(&h);
    h.top = h.mapped;
    let err = h.check().unwrap_err();
    assert!(matches!(err, HeapError::Corrupted { what: Corruption::Top { .. }, .. }), "{err}");
    assert!(err.to_string().contains("top chunk:"), "{err}");
    h.top = top;
    assert_sound(&h);
}

#[test]
fn a_write_after_free_into_the_top_chunk_is_caught() {
    if !crate::heap::block::DEBUG {
        return;
    }
    let mut h = heap();
    let _a = h.malloc(100).unwrap();
    let b = h.malloc(1000).unwrap().as_ptr();
    h.test_free(b).unwrap();
    assert_eq!(h.top as usize, block_of(100), "b went back into the top chunk");
    // SAFETY: deliberate use after free of `b`, now part of the top chunk.
    unsafe { b.add(500).write(7) };
    let uaf = HeapError::UseAfterFree {
        block: h.base as usize + h.top as usize + 8,
        at: b as usize + 500,
        found: 7,
    };
    assert_eq!(h.check(), Err(uaf));
    assert_eq!(h.malloc(1000).map(|_| ()), Err(uaf), "caught when handed out again");
    assert_eq!(h.stats().quarantined_blocks, 1);
}

#[test]
fn memory_never_handed_out_is_not_poisoned() {
    if !crate::heap::block::DEBUG {
        return;
    }
    // Debug mode fills freed memory, not fresh pages: growing a buffer at
    // the top writes nothing into the pages it has not reached yet.
    let mut h = heap();
    let p = h.malloc(100).unwrap().as_ptr();
    let p = h.test_realloc(p, 100_000).unwrap().as_ptr();
    let q = h.test_realloc(p, 200_000).unwrap().as_ptr();
    assert_eq!(p, q);
    assert_eq!(h.fresh, h.top + 16, "only the top chunk's header and links were written");
    // SAFETY: the block's own bytes, past what was ever written.
    assert_eq!(unsafe { q.add(150_000).read() }, 0, "the arena's fresh pages are zero");
    assert_sound(&h);
}
