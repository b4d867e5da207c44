//! The kmalloc heap in the kernel: real frames, real page tables.

use crate::memory;
use crate::memory::heap::{
    self, heap_check, heap_stats, kcalloc, kfree, kmalloc, kmalloc_aligned, krealloc,
};
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use mm::heap::{Exhausted, HeapError};
use mm::layout::{HEAP_END, HEAP_START};

fn in_heap(p: *mut u8) -> bool {
    (HEAP_START.as_u32()..HEAP_END.as_u32()).contains(&(p as u32))
}

/// kmalloc 400, kfree, 400, 400, kfree, 500, kfree, 500: freed space is
/// reused and live blocks never overlap, every step checked.
#[ktest]
fn free_and_reuse_sequence() -> TestResult {
    let p = kmalloc(400);
    ensure!(!p.is_null());
    // SAFETY: `p` came from kmalloc and is not used again.
    unsafe { kfree(p) };
    let p = kmalloc(400);
    let pp = kmalloc(400);
    ensure!(!p.is_null() && !pp.is_null() && p != pp, "{p:p} {pp:p}");
    // SAFETY: as above.
    unsafe { kfree(p) };
    let p = kmalloc(500);
    ensure!(!p.is_null() && p != pp, "{p:p} {pp:p}");
    // SAFETY: as above.
    unsafe { kfree(pp) };
    let q = kmalloc(500);
    ensure!(!q.is_null() && q != p, "{q:p} {p:p}");
    ensure_ok!(heap_check(), "heap check");
    // SAFETY: as above.
    unsafe {
        kfree(p);
        kfree(q);
    }
    Ok(())
}

#[ktest]
fn kmalloc_64_lands_in_the_heap_region() -> TestResult {
    let p = kmalloc(64);
    ensure!(in_heap(p), "kmalloc(64) = {p:p}, outside {HEAP_START}..{HEAP_END}");
    ensure_eq!(p as usize % 8, 0);
    // SAFETY: 64 writable bytes at `p`.
    unsafe { core::ptr::write_bytes(p, 0x5A, 64) };
    // SAFETY: from kmalloc.
    unsafe { kfree(p) };
    Ok(())
}

#[ktest]
fn heap_stats_add_up() -> TestResult {
    let p = kmalloc(1000);
    let s = heap_stats();
    crate::println!("  heap: {}", heap::StatsLine(s));
    ensure!(s.used_bytes >= 1000 && s.live_allocations >= 1);
    ensure_eq!(s.quarantined_blocks, 0);
    ensure_eq!(s.mapped_bytes, s.used_bytes + s.free_bytes);
    ensure!(s.largest_free <= s.free_bytes);
    ensure!(s.pages_grown >= s.pages_returned);
    ensure_eq!((s.pages_grown - s.pages_returned) as usize * 4096, s.mapped_bytes);
    // SAFETY: from kmalloc.
    unsafe { kfree(p) };
    Ok(())
}

/// Exhausts the heap — its frames, or on a machine with more RAM than the
/// 256 MiB heap region, the region — then frees everything: the heap and
/// the frame stack must be exactly where they were. The heap's error must
/// say which of the two ran out.
#[ktest]
fn allocate_until_null_then_everything_comes_back() -> TestResult {
    let frames_before = memory::lock().frames.free_count();
    let stats_before = heap_stats();
    // The allocations are chained through their first word, so nothing
    // else has to remember them while memory is gone.
    let mut chain: *mut u8 = core::ptr::null_mut();
    let mut count = 0u32;
    let mut bytes = 0usize;
    let mut kept_frames = None;
    let mut why = None;
    for size in [64 * 1024, 4096, 256, 16] {
        loop {
            let free_before_attempt = memory::lock().frames.free_count();
            let p = kmalloc(size);
            if p.is_null() {
                // The checked path says why (and must fail the same way;
                // if it does not, the block joins the chain to be freed).
                let checked = heap::heap().malloc(size);
                if let Ok(q) = checked {
                    // SAFETY: `q` has at least `size` >= 8 bytes, 8-byte aligned.
                    unsafe { q.as_ptr().cast::<*mut u8>().write(chain) };
                    chain = q.as_ptr();
                }
                why = Some(checked.map(|p| p.as_ptr()));
                // A failed attempt must not keep pages it mapped on the way.
                let after = memory::lock().frames.free_count();
                if after != free_before_attempt && kept_frames.is_none() {
                    kept_frames = Some((size, free_before_attempt, after));
                }
                break;
            }
            // SAFETY: `p` has at least `size` >= 8 bytes, 8-byte aligned.
            unsafe { p.cast::<*mut u8>().write(chain) };
            chain = p;
            count += 1;
            bytes += size;
        }
    }
    let frames_left = memory::lock().frames.free_count();
    let exhausted = heap_stats();
    let check_when_full = heap_check();
    crate::println!(
        "  exhausted after {count} allocations ({} KiB, {} KiB mapped); {frames_left} frames left",
        bytes / 1024,
        exhausted.mapped_bytes / 1024
    );
    if let Some(Err(e)) = why {
        crate::println!("  the last failure: {e}");
    }
    // Free everything before judging, so a failure cannot strand the heap full.
    while !chain.is_null() {
        // SAFETY: every link is a live allocation from above.
        let next = unsafe { chain.cast::<*mut u8>().read() };
        // SAFETY: from kmalloc, freed once.
        unsafe { kfree(chain) };
        chain = next;
    }
    ensure_ok!(check_when_full, "heap check when exhausted");
    ensure_eq!(kept_frames, None, "a failed kmalloc kept frames (size, before, after)");
    ensure!(bytes > 1 << 20, "only {bytes} bytes before running out");
    let region = (HEAP_END.as_u32() - HEAP_START.as_u32()) as usize;
    match why {
        Some(Err(HeapError::OutOfMemory { size: 16, cause: Exhausted::Frames })) => ensure!(
            frames_left <= 1,
            "the heap said no frame was left, yet {frames_left} frames are free"
        ),
        Some(Err(HeapError::OutOfMemory { size: 16, cause: Exhausted::AddressSpace })) => ensure!(
            exhausted.mapped_bytes + 64 * 1024 >= region,
            "the heap said its address space was used up with {} KiB mapped",
            exhausted.mapped_bytes / 1024
        ),
        other => ensure!(false, "the last 16-byte request: {other:?}, not out of memory"),
    }
    ensure_ok!(heap_check(), "heap check after freeing");
    let stats_after = heap_stats();
    ensure_eq!(stats_after.used_bytes, stats_before.used_bytes);
    ensure_eq!(stats_after.live_allocations, stats_before.live_allocations);
    ensure_eq!(stats_after.mapped_bytes, stats_before.mapped_bytes);
    ensure_eq!(memory::lock().frames.free_count(), frames_before);
    Ok(())
}

#[ktest]
fn one_mebibyte_and_more() -> TestResult {
    let mem = crate::selftest::args().mem;
    let size = 1 << 20;
    let p = kmalloc(size);
    ensure!(!p.is_null(), "kmalloc(1 MiB) failed (mem={mem:?})");
    // SAFETY: 1 MiB writable at `p`.
    unsafe {
        core::ptr::write_bytes(p, 0xC3, size);
        ensure_eq!(*p.add(size - 1), 0xC3);
        kfree(p);
    }
    ensure!(kmalloc(usize::MAX).is_null());
    ensure!(kmalloc(usize::MAX - 7).is_null());
    ensure!(kmalloc(1 << 30).is_null(), "1 GiB does not fit a 256 MiB region");
    Ok(())
}

#[ktest]
fn kcalloc_zeroes_and_checks_overflow() -> TestResult {
    // Dirty some memory first so zeroing is real.
    let d = kmalloc(4096);
    // SAFETY: 4096 writable bytes.
    unsafe {
        core::ptr::write_bytes(d, 0xFF, 4096);
        kfree(d);
    }
    let p = kcalloc(100, 40);
    ensure!(!p.is_null());
    for i in 0..4000 {
        // SAFETY: 4000 bytes at `p`.
        ensure_eq!(unsafe { *p.add(i) }, 0, "byte {}", i);
    }
    // SAFETY: from kcalloc.
    unsafe { kfree(p) };
    ensure!(kcalloc(usize::MAX / 2, 3).is_null(), "count * size overflow not caught");
    ensure!(kcalloc(1 << 16, 1 << 16).is_null(), "4 GiB calloc succeeded");
    Ok(())
}

#[ktest]
fn krealloc_keeps_contents_and_grows_in_place_at_the_top() -> TestResult {
    let mut p = kmalloc(16);
    ensure!(!p.is_null());
    // SAFETY: 16 bytes.
    unsafe { core::ptr::write_bytes(p, 7, 16) };
    let mut moves = 0;
    let mut size = 16;
    while size < 256 * 1024 {
        size *= 2;
        // SAFETY: `p` is live; on success it is replaced.
        let q = unsafe { krealloc(p, size) };
        ensure!(!q.is_null(), "krealloc to {size} failed");
        if q != p {
            moves += 1;
        }
        p = q;
        // SAFETY: the first 16 bytes were carried over.
        ensure_eq!(unsafe { *p.add(15) }, 7);
    }
    crate::println!("  grew 16 B -> 256 KiB by doubling: moved {moves} of 14 times");
    ensure!(moves <= 2, "a block at the top of the heap should grow in place");
    // SAFETY: live.
    let q = unsafe { krealloc(p, 8) };
    ensure_eq!(q, p, "shrinking moved the block");
    // SAFETY: live.
    unsafe { kfree(q) };
    // SAFETY: null is allowed: krealloc(null, n) = kmalloc(n).
    let r = unsafe { krealloc(core::ptr::null_mut(), 32) };
    ensure!(!r.is_null());
    // SAFETY: from krealloc.
    unsafe { kfree(r) };
    Ok(())
}

#[ktest]
fn every_alignment_up_to_4096() -> TestResult {
    let mut align = 1;
    while align <= 4096 {
        let p = kmalloc_aligned(24, align);
        ensure!(!p.is_null() && (p as usize).is_multiple_of(align), "align {align}: {p:p}");
        // SAFETY: from kmalloc_aligned.
        unsafe { kfree(p) };
        align *= 2;
    }
    ensure!(kmalloc_aligned(24, 8192).is_null(), "alignment above 4096 accepted");
    ensure!(kmalloc_aligned(24, 48).is_null(), "alignment not a power of two accepted");
    #[repr(align(4096))]
    struct Page([u8; 4096]);
    let page = Box::new(Page([1; 4096]));
    ensure_eq!(&*page as *const Page as usize % 4096, 0);
    ensure_eq!(page.0[4095], 1);
    Ok(())
}

#[ktest]
fn vec_string_and_btreemap() -> TestResult {
    let mut v: Vec<u32> = Vec::new();
    for i in 0..20_000 {
        v.push(i * 3);
    }
    ensure_eq!(v.iter().map(|&x| u64::from(x)).sum::<u64>(), 3 * 19_999 * 20_000 / 2);
    let mut map = BTreeMap::new();
    for i in 0..3000u32 {
        map.insert(i.wrapping_mul(2_654_435_761), alloc::format!("value {i}"));
    }
    for i in (0..3000u32).step_by(2) {
        map.remove(&i.wrapping_mul(2_654_435_761));
    }
    ensure_eq!(map.len(), 1500);
    ensure_eq!(map.get(&1u32.wrapping_mul(2_654_435_761)).map(String::as_str), Some("value 1"));
    let mut s = String::new();
    for word in ["the", "heap", "works"] {
        s.push_str(word);
        s.push(' ');
    }
    ensure_eq!(s.trim_end(), "the heap works");
    drop((v, map, s));
    ensure_ok!(heap_check(), "heap check");
    Ok(())
}

/// Kernel side of the shared torture workload: each operation takes the
/// heap lock on its own, as real kernel code would.
struct LockedHeap;

// SAFETY: every method forwards to the one kernel heap, whose operations
// have exactly the semantics `HeapOps` asks for.
unsafe impl mm::heap::torture::HeapOps for LockedHeap {
    fn malloc(&mut self, size: usize) -> Result<core::ptr::NonNull<u8>, mm::heap::HeapError> {
        heap::heap().malloc(size)
    }
    fn calloc(
        &mut self,
        count: usize,
        size: usize,
    ) -> Result<core::ptr::NonNull<u8>, mm::heap::HeapError> {
        heap::heap().calloc(count, size)
    }
    fn malloc_aligned(
        &mut self,
        size: usize,
        align: usize,
    ) -> Result<core::ptr::NonNull<u8>, mm::heap::HeapError> {
        heap::heap().malloc_aligned(size, align)
    }
    unsafe fn realloc(
        &mut self,
        ptr: *mut u8,
        size: usize,
    ) -> Result<core::ptr::NonNull<u8>, mm::heap::HeapError> {
        // SAFETY: forwarded contract.
        unsafe { heap::heap().realloc(ptr, size) }
    }
    unsafe fn free(&mut self, ptr: *mut u8) -> Result<(), mm::heap::HeapError> {
        // SAFETY: forwarded contract.
        unsafe { heap::heap().free(ptr) }
    }
    fn check(&mut self) -> Result<(), mm::heap::HeapError> {
        heap::heap().check()
    }
    fn stats(&mut self) -> mm::heap::HeapStats {
        heap::heap().stats()
    }
}

/// Bookkeeping for the torture run, outside the heap under test and off
/// the stack (256 slots).
static SLOTS: crate::sync::IrqMutex<[mm::heap::torture::Slot; 256]> =
    crate::sync::IrqMutex::new([mm::heap::torture::Slot::EMPTY; 256]);

#[ktest]
fn seeded_torture() -> TestResult {
    use mm::heap::torture::{TortureConfig, torture};
    let seed = crate::selftest::args().seed;
    crate::println!(
        "  torture seed {seed:#x} (replay: HEAP_TORTURE_SEED={seed:#x} cargo test -p mm --features heap-debug torture_replay)"
    );
    let mut slots = SLOTS.lock();
    let report = torture(&mut LockedHeap, &TortureConfig::new(seed), &mut *slots);
    drop(slots);
    let report = ensure_ok!(report.map_err(TortureFailure), "torture");
    crate::println!(
        "  {} mallocs, {} callocs, {} aligned, {} reallocs, {} frees, {} checks, {} out of memory, peak {} KiB mapped",
        report.mallocs,
        report.callocs,
        report.aligned,
        report.reallocs,
        report.frees,
        report.checks,
        report.out_of_memory,
        report.peak_mapped / 1024
    );
    Ok(())
}

/// Shows a torture error with `Display` (it carries the replay command).
struct TortureFailure(mm::heap::torture::TortureError);
impl core::fmt::Debug for TortureFailure {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.0, f)
    }
}
