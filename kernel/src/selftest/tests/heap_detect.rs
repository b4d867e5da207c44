//! The heap catches misuse and corruption, before it writes anything, and
//! says what and where. These tests use the checked operations (which
//! return the error) so each detection can be counted; `kfree` itself
//! reports and stops the kernel (see the `fault::kfree_*` scenarios).

use crate::memory::heap::heap;
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use mm::heap::{Corruption, HeapError};

fn malloc(size: usize) -> Result<*mut u8, HeapError> {
    heap().malloc(size).map(|p| p.as_ptr())
}

/// Frees `p` through the checked path.
fn free(p: *mut u8) -> Result<(), HeapError> {
    // SAFETY: the tests pass pointers from `malloc`, or deliberately bad
    // ones that the heap must refuse before touching anything.
    unsafe { heap().free(p) }
}

#[ktest]
fn double_free_is_refused() -> TestResult {
    let p = ensure_ok!(malloc(48), "malloc");
    let _keep = ensure_ok!(malloc(48), "a neighbour, so p is not merged away");
    ensure_ok!(free(p), "first free");
    ensure_eq!(free(p), Err(HeapError::DoubleFree { addr: p as usize }));
    ensure_ok!(heap().check(), "the refusal changed nothing");
    ensure_ok!(free(_keep), "free the neighbour");
    Ok(())
}

#[ktest]
fn foreign_misaligned_and_interior_pointers_are_refused() -> TestResult {
    let p = ensure_ok!(malloc(256), "malloc");
    let on_stack = 0u64;
    let outside = &on_stack as *const u64 as *mut u8;
    ensure_eq!(free(outside), Err(HeapError::OutsideHeap { addr: outside as usize }));
    // SAFETY: pointer arithmetic inside the 256-byte block.
    let (odd, inner) = unsafe { (p.add(4), p.add(64)) };
    ensure_eq!(free(odd), Err(HeapError::Misaligned { addr: odd as usize }));
    ensure!(
        matches!(free(inner), Err(HeapError::Interior { block, offset: 64, .. }) if block == p as usize),
        "interior pointer not recognised"
    );
    ensure_ok!(heap().check(), "nothing changed");
    ensure_ok!(free(p), "the real pointer still frees");
    Ok(())
}

/// A block whose header was overwritten is reported, and its neighbour is
/// not merged into it; once repaired, it frees normally.
#[ktest]
fn corrupted_header_is_reported_and_never_merged() -> TestResult {
    let a = ensure_ok!(malloc(64), "a");
    let b = ensure_ok!(malloc(64), "b");
    let c = ensure_ok!(malloc(64), "c (keeps b off the heap's top)");
    // SAFETY: the 8-byte header precedes the payload; its first word is the
    // check word of its address.
    let check = unsafe { b.sub(8).cast::<u32>() };
    // SAFETY: as above; the test restores it below.
    let saved = unsafe { check.read() };
    // SAFETY: deliberate corruption of a header we own.
    unsafe { check.write(0x0BAD_F00D) };
    ensure!(
        matches!(
            free(b),
            Err(HeapError::Corrupted {
                what: Corruption::BadCheckWord { found: 0x0BAD_F00D, expected },
                ..
            }) if expected == saved
        ),
        "free of a block with a bad check word was not refused, or expected another word"
    );
    ensure!(heap().check().is_err(), "check did not notice the bad check word");
    // Freeing the neighbour after it must not merge it into the broken block.
    ensure_ok!(free(c), "freeing c");
    // SAFETY: repairing the header we broke.
    unsafe { check.write(saved) };
    ensure_ok!(heap().check(), "check after repair");
    ensure_ok!(free(b), "b frees once repaired");
    ensure_ok!(free(a), "a");
    Ok(())
}

/// Debug mode: a write past the requested size hits the canary.
#[ktest]
fn overflow_into_the_slack_is_caught_on_free() -> TestResult {
    let p = ensure_ok!(malloc(20), "malloc(20)");
    // SAFETY: deliberately one byte past the request, inside the block's slack.
    let past = unsafe { p.add(20) };
    // SAFETY: as above (the block is larger than 20 bytes).
    let saved = unsafe { past.read() };
    // SAFETY: deliberate overflow.
    unsafe { past.write(b'X') };
    match free(p) {
        Err(HeapError::Overflow { block, size: 20, at, found: b'X' }) => {
            ensure_eq!(block, p as usize);
            ensure_eq!(at, past as usize);
        }
        other => {
            return Err(crate::selftest::Failure::new(
                file!(),
                line!(),
                format_args!("free after overflow: {other:?}"),
            ));
        }
    }
    // SAFETY: undo the overflow.
    unsafe { past.write(saved) };
    ensure_ok!(free(p), "free once repaired");
    Ok(())
}

/// Debug mode: a write into freed memory breaks the poison, which `check`
/// (and the next allocation of that memory) reports.
#[ktest]
fn use_after_free_is_caught() -> TestResult {
    let p = ensure_ok!(malloc(128), "malloc");
    let keep = ensure_ok!(malloc(16), "a neighbour, so p stays a free block of its own");
    ensure_ok!(free(p), "free");
    // SAFETY: deliberately writing freed memory past the free-list links.
    let stale = unsafe { p.add(40) };
    // SAFETY: as above.
    let saved = unsafe { stale.read() };
    ensure_eq!(saved, 0xDD, "freed memory is poisoned");
    // SAFETY: deliberate use after free.
    unsafe { stale.write(0x42) };
    match heap().check() {
        Err(HeapError::UseAfterFree { at, found: 0x42, .. }) => ensure_eq!(at, stale as usize),
        other => {
            return Err(crate::selftest::Failure::new(
                file!(),
                line!(),
                format_args!("check after use-after-free: {other:?}"),
            ));
        }
    }
    // SAFETY: restore the poison.
    unsafe { stale.write(saved) };
    ensure_ok!(heap().check(), "check once repaired");
    ensure_ok!(free(keep), "free the neighbour");
    Ok(())
}
