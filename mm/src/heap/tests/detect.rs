//! Detection: every bad pointer and every corruption is reported with its
//! address, and a rejected call writes nothing.

use super::{TestOps, assert_sound, heap};
use crate::heap::block::{DEBUG, check_word};
use crate::heap::{ArenaSource, Corruption, Heap, HeapError};

/// The bytes of the mapped heap, to show a rejected call wrote nothing.
fn snapshot(h: &Heap<ArenaSource>) -> Vec<u8> {
    let base = crate::heap::PageSource::region(h.source()).base.as_ptr();
    // SAFETY: the mapped bytes of the heap are readable; no allocation is
    // being written meanwhile.
    unsafe { core::slice::from_raw_parts(base, h.stats().mapped_bytes) }.to_vec()
}

/// Frees `ptr` expecting `expected`, and checks nothing was written.
#[track_caller]
fn rejected(h: &mut Heap<ArenaSource>, ptr: *mut u8, expected: HeapError) -> String {
    let before = (snapshot(h), h.stats());
    assert_eq!(h.test_free(ptr), Err(expected));
    assert_eq!(h.test_realloc(ptr, 64), Err(expected), "realloc checks alike");
    assert!(before == (snapshot(h), h.stats()), "a rejected free wrote to the heap");
    expected.to_string()
}

fn addr(p: *mut u8) -> usize {
    p as usize
}

#[test]
fn a_double_free_is_rejected() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    let msg = rejected(&mut h, a, HeapError::DoubleFree { addr: addr(a) });
    assert!(msg.contains("double free"), "{msg}");
    assert_sound(&h);
}

#[test]
fn a_double_free_after_merging_is_found_by_walking() {
    // Blocks merge when freed.
    let mut h = heap();
    let a = h.malloc(2000).unwrap().as_ptr();
    let b = h.malloc(2000).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    h.test_free(b).unwrap();
    let msg = rejected(&mut h, b, HeapError::InFreeBlock { addr: addr(b), block: addr(a) - 8 });
    assert!(msg.contains("double free"), "{msg}");
}

#[test]
fn pointers_outside_the_region_are_rejected() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let mut local = 0u64;
    let stack = &raw mut local as *mut u8;
    let msg = rejected(&mut h, stack, HeapError::OutsideHeap { addr: addr(stack) });
    assert!(msg.contains("not inside the heap"), "{msg}");
    let below = a.wrapping_sub(64);
    rejected(&mut h, below, HeapError::OutsideHeap { addr: addr(below) });
    let past_the_region = a.wrapping_sub(8).wrapping_add(super::ARENA);
    rejected(&mut h, past_the_region, HeapError::OutsideHeap { addr: addr(past_the_region) });
    // Before the first allocation every pointer of another region is outside.
    let mut empty = heap();
    assert_eq!(empty.test_free(a), Err(HeapError::OutsideHeap { addr: addr(a) }));
}

#[test]
fn pointers_above_the_top_say_so() {
    let mut h = heap();
    // One block filling the first page exactly.
    let a = h.malloc(4096 - 8 - crate::heap::block::DEBUG_TRAILER as usize).unwrap().as_ptr();
    let base = addr(a) - 8;
    // Never handed out: inside the region, above what is mapped.
    let above = a.wrapping_add(4096);
    let msg = rejected(&mut h, above, HeapError::AboveTop { addr: addr(above), top: base + 4096 });
    assert!(msg.contains("is above the heap's top (0x"), "{msg}");
    assert!(msg.contains("a double free or a stale pointer?"), "{msg}");
    // A stale pointer to a large block whose pages were given back.
    let big = h.malloc(50_000).unwrap().as_ptr();
    assert_eq!(addr(big), base + 4096 + 8);
    h.test_free(big).unwrap();
    assert_eq!(h.stats().mapped_bytes, 4096);
    rejected(&mut h, big, HeapError::AboveTop { addr: addr(big), top: base + 4096 });
    // A double free after the heap shrank back to nothing.
    h.test_free(a).unwrap();
    assert_eq!(h.stats().mapped_bytes, 0);
    assert_eq!(h.test_free(a), Err(HeapError::AboveTop { addr: addr(a), top: base }));
    assert_sound(&h);
}

#[test]
fn misaligned_pointers_are_rejected() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    for delta in [1, 4, 7, 12] {
        let p = a.wrapping_add(delta);
        rejected(&mut h, p, HeapError::Misaligned { addr: addr(p) });
    }
}

#[test]
fn interior_pointers_are_rejected_with_their_offset() {
    let mut h = heap();
    let _first = h.malloc(40).unwrap();
    let a = h.malloc(100).unwrap().as_ptr();
    let p = a.wrapping_add(24);
    let msg =
        rejected(&mut h, p, HeapError::Interior { addr: addr(p), block: addr(a), offset: 24 });
    assert!(msg.contains("24 bytes into the block at"), "{msg}");
    let hdr = a.wrapping_sub(8);
    let msg =
        rejected(&mut h, hdr, HeapError::Interior { addr: addr(hdr), block: addr(a), offset: -8 });
    assert!(msg.contains("header"), "{msg}");
    // A stale header left inside a merged block does not pass for a live one.
    let b = h.malloc(2000).unwrap().as_ptr();
    let c = h.malloc(2000).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(c).unwrap();
    h.test_free(b).unwrap();
    let big = h.malloc(4000).unwrap().as_ptr();
    assert_eq!(big, b);
    let offset = (c as usize - b as usize) as isize;
    rejected(&mut h, c, HeapError::Interior { addr: addr(c), block: addr(b), offset });
}

#[test]
fn a_corrupted_header_is_reported_and_the_block_never_reused() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let b = h.malloc(100).unwrap().as_ptr();
    let c = h.malloc(100).unwrap().as_ptr();
    let header = b.wrapping_sub(8);
    let expected = h.check_word((addr(header) - h.base as usize) as u32);
    // SAFETY: deliberate corruption of `b`'s check word, inside the arena the test owns.
    unsafe { header.cast::<u32>().write(0x4141_4141) };
    let corrupted = HeapError::Corrupted {
        addr: addr(header),
        what: Corruption::BadCheckWord { found: 0x4141_4141, expected },
    };
    let msg = rejected(&mut h, b, corrupted);
    let words = format!("check word is 0x41414141, expected {expected:#010x} for a header at this");
    assert!(msg.contains(&words), "{msg}");
    // Its neighbour before it frees without touching it: a used neighbour
    // is never written, so its header is not even checked then (`check`
    // still reports it) ...
    h.test_free(a).unwrap();
    assert_eq!(h.check(), Err(corrupted));
    // ... but one that looks free is checked before a merge, and refused.
    let d = h.malloc(200).unwrap().as_ptr();
    let e = h.malloc(200).unwrap().as_ptr();
    let _pin = h.malloc(200).unwrap();
    let e_header = e.wrapping_sub(8);
    let e_check = h.check_word((addr(e_header) - h.base as usize) as u32);
    let free_size = crate::heap::tests::block_of(200) as u32;
    // SAFETY: deliberate corruption of `e`'s header: a wrong check word and
    // the state "free", inside the arena the test owns.
    unsafe { e_header.cast::<[u32; 2]>().write([0x4242_4242, free_size]) };
    let bad_e = HeapError::Corrupted {
        addr: addr(e_header),
        what: Corruption::BadCheckWord { found: 0x4242_4242, expected: e_check },
    };
    rejected(&mut h, d, bad_e);
    // The block after it frees fine (it never looks back at a used block).
    h.test_free(c).unwrap();
    for _ in 0..200 {
        let p = h.malloc(50).unwrap().as_ptr() as usize;
        assert!(p + 50 <= addr(header) || p >= addr(b) + 100, "corrupted block handed out");
    }
}

#[test]
fn a_corrupted_size_is_reported() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    // SAFETY: deliberate corruption of `a`'s size word (its header, in the arena).
    unsafe { a.wrapping_sub(4).cast::<u32>().write(0x0FFF_FFF1) };
    assert!(matches!(
        h.test_free(a),
        Err(HeapError::Corrupted { what: Corruption::BadSize { .. }, .. })
    ));
}

#[test]
fn a_corrupted_free_list_head_is_quarantined_not_followed() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    // A write after free over the free block's header.
    // SAFETY: the free block's header lies in the arena the test owns.
    unsafe { a.wrapping_sub(8).cast::<u32>().write(0) };
    let err = h.malloc(100).unwrap_err();
    assert_eq!(
        err,
        HeapError::Corrupted {
            addr: addr(a) - 8,
            what: Corruption::BadCheckWord {
                found: 0,
                expected: h.check_word((addr(a) - 8 - h.base as usize) as u32)
            }
        }
    );
    // The next request of that size is served elsewhere.
    let p = h.malloc(100).unwrap().as_ptr();
    assert_ne!(p, a);
    assert!(h.check().is_err(), "the heap stays reported as corrupted");
}

#[test]
fn a_garbage_free_list_link_is_not_followed() {
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    // SAFETY: deliberate corruption of the next-free link, in the arena the test owns.
    unsafe { a.cast::<u32>().write(0x1234_5679) };
    let err = h.malloc(100).unwrap_err();
    assert_eq!(
        err,
        HeapError::Corrupted { addr: addr(a) - 8, what: Corruption::BadLink { link: 0x1234_5679 } }
    );
    assert_ne!(h.malloc(100).unwrap().as_ptr(), a);
}

#[test]
fn a_header_starts_with_the_check_word_of_its_address_and_the_boot() {
    let mut h = heap();
    let a = h.malloc(1).unwrap().as_ptr();
    let b = h.malloc(1).unwrap().as_ptr();
    let mut other = heap();
    let c = other.malloc(1).unwrap().as_ptr();
    // SAFETY: the 8-byte headers right before live payloads.
    let words = unsafe { [a, b, c].map(|p| p.wrapping_sub(8).cast::<u32>().read()) };
    let off = |h: &Heap<ArenaSource>, p: *mut u8| (p as usize - 8 - h.base as usize) as u32;
    assert_eq!(words[0], check_word(off(&h, a), h.key));
    assert_eq!(words[1], check_word(off(&h, b), h.key));
    assert_ne!(words[0], words[1], "headers at different addresses differ");
    assert_eq!(off(&h, a), off(&other, c));
    assert_ne!(words[0], words[2], "another heap (another boot) has another key");
}

#[test]
fn a_write_past_the_end_is_caught_by_the_canary() {
    if !DEBUG {
        return;
    }
    let mut h = heap();
    let a = h.malloc(10).unwrap().as_ptr();
    // SAFETY: deliberate overflow past the 10 requested bytes, inside the block's slack.
    unsafe { a.add(10).write(0) };
    let overflow = HeapError::Overflow { block: addr(a), size: 10, at: addr(a) + 10, found: 0 };
    assert_eq!(h.check(), Err(overflow));
    let msg = rejected(&mut h, a, overflow);
    assert!(msg.contains("buffer overflow"), "{msg}");
    // Undo it and the block frees normally.
    // SAFETY: restoring the canary byte written over above.
    unsafe { a.add(10).write(crate::heap::block::CANARY) };
    h.test_free(a).unwrap();
    assert_sound(&h);
}

#[test]
fn a_write_after_free_is_caught_by_the_poison() {
    if !DEBUG {
        return;
    }
    let mut h = heap();
    let a = h.malloc(100).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    // SAFETY: deliberate use after free, inside the arena the test owns.
    unsafe { a.add(50).write(1) };
    let uaf = HeapError::UseAfterFree { block: addr(a), at: addr(a) + 50, found: 1 };
    assert_eq!(h.check(), Err(uaf));
    let err = h.malloc(100).unwrap_err();
    assert_eq!(err, uaf);
    assert!(err.to_string().contains("use after free"));
    // The block is quarantined: never handed out, not freeable, heap sound.
    assert_eq!(h.stats().quarantined_blocks, 1);
    assert_ne!(h.malloc(100).unwrap().as_ptr(), a);
    assert_eq!(h.test_free(a), Err(HeapError::Quarantined { addr: addr(a) }));
    assert_sound(&h);
}

#[test]
fn a_write_after_free_is_found_at_every_offset() {
    if !DEBUG {
        return;
    }
    let mut h = heap();
    let a = h.malloc(4000).unwrap().as_ptr();
    let _pin = h.malloc(8).unwrap();
    h.test_free(a).unwrap();
    // Past the links, the free block is poison up to its footer; the check
    // goes a word (or four) at a time, so try both ends of every word.
    let footer = crate::heap::tests::block_of(4000) - 8 - 4;
    for at in (8..footer).filter(|i| i % 8 < 2 || i % 32 > 29 || *i + 3 > footer) {
        // SAFETY: deliberate use after free, inside the arena the test owns.
        unsafe { a.add(at).write(0x42) };
        let uaf = HeapError::UseAfterFree { block: addr(a), at: addr(a) + at, found: 0x42 };
        assert_eq!(h.check(), Err(uaf));
        // SAFETY: restoring the poison written over above.
        unsafe { a.add(at).write(crate::heap::block::POISON) };
    }
    assert_sound(&h);
}

#[test]
fn an_overflow_is_found_after_every_request_size() {
    if !DEBUG {
        return;
    }
    let mut h = heap();
    for size in 1..80 {
        let a = h.malloc(size).unwrap().as_ptr();
        let end = crate::heap::tests::block_of(size) - 8 - 4;
        for at in [size, end - 1] {
            // SAFETY: deliberate overflow into the block's canary bytes.
            unsafe { a.add(at).write(0) };
            let overflow = HeapError::Overflow { block: addr(a), size, at: addr(a) + at, found: 0 };
            assert_eq!(h.check(), Err(overflow), "request of {size}, byte {at}");
            // SAFETY: restoring the canary written over above.
            unsafe { a.add(at).write(crate::heap::block::CANARY) };
        }
        h.test_free(a).unwrap();
    }
    assert_sound(&h);
}
