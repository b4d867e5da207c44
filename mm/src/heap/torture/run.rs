//! The torture loop: random operations on random slots, every allocation
//! filled with a pattern derived from a per-allocation tag and verified
//! before it is freed or resized, alignment and zeroing checked, and the
//! heap's own `check` run every few operations.

use super::HeapOps;
use super::rng::SplitMix64;
use super::types::{Failure, Slot, TortureConfig, TortureError, TortureReport};
use crate::heap::error::HeapError;

/// The pattern byte `i` of an allocation tagged `tag` holds.
fn pattern(tag: u8, i: usize) -> u8 {
    tag.wrapping_add((i as u8).wrapping_mul(13)) ^ (i >> 8) as u8
}

/// A request size: mostly small, some medium, a few large, now and then 0.
fn pick_size(rng: &mut SplitMix64, max: usize) -> usize {
    let max = max.max(1);
    match rng.below(100) {
        0..2 => 0,
        2..62 => rng.between(1, 128.min(max)),
        62..92 => rng.between(1, 2048.min(max)),
        92..99 => rng.between(1, 16384.min(max)),
        _ => rng.between(1, max),
    }
}

/// Runs the workload of `cfg` on `heap` with `slots` as bookkeeping (all
/// must be [`Slot::EMPTY`]; more slots mean more live allocations). Frees
/// everything it allocated before returning, also on failure when it can.
pub fn torture<H: HeapOps + ?Sized>(
    heap: &mut H,
    cfg: &TortureConfig,
    slots: &mut [Slot],
) -> Result<TortureReport, TortureError> {
    let live_before = heap.stats().live_allocations;
    let mut report = TortureReport::default();
    let result = run(heap, cfg, slots, &mut report);
    let cleanup = release_all(heap, slots);
    let fail = |op, failure| TortureError { seed: cfg.seed, op, failure };
    result.map_err(|(op, failure)| fail(op, failure))?;
    cleanup.map_err(|failure| fail(cfg.ops, failure))?;
    heap.check().map_err(|e| fail(cfg.ops, Failure::Heap(e)))?;
    let live_after = heap.stats().live_allocations;
    if live_after != live_before {
        return Err(fail(cfg.ops, Failure::Leak { live_before, live_after }));
    }
    Ok(report)
}

fn run<H: HeapOps + ?Sized>(
    heap: &mut H,
    cfg: &TortureConfig,
    slots: &mut [Slot],
    report: &mut TortureReport,
) -> Result<(), (u32, Failure)> {
    let mut rng = SplitMix64::new(cfg.seed);
    for op in 0..cfg.ops {
        let i = rng.below(slots.len());
        let choice = rng.below(100);
        let size = pick_size(&mut rng, cfg.max_size);
        let tag = rng.next_u64() as u8;
        let step = if slots[i].ptr.is_null() {
            allocate(heap, &mut slots[i], choice, size, tag, &mut rng, report)
        } else {
            change(heap, &mut slots[i], choice, size, tag, report)
        };
        step.map_err(|failure| (op, failure))?;
        if cfg.check_every != 0 && op % cfg.check_every == 0 {
            heap.check().map_err(|e| (op, Failure::Heap(e)))?;
            report.checks += 1;
        }
        report.peak_mapped = report.peak_mapped.max(heap.stats().mapped_bytes);
    }
    Ok(())
}

fn allocate<H: HeapOps + ?Sized>(
    heap: &mut H,
    slot: &mut Slot,
    choice: usize,
    size: usize,
    tag: u8,
    rng: &mut SplitMix64,
    report: &mut TortureReport,
) -> Result<(), Failure> {
    let (result, len, align, zeroed) = match choice {
        0..50 => {
            report.mallocs += 1;
            (heap.malloc(size), size, 8, false)
        }
        50..70 => {
            report.callocs += 1;
            let count = rng.between(1, 8);
            let each = size / count;
            (heap.calloc(count, each), count * each, 8, true)
        }
        _ => {
            report.aligned += 1;
            let align = 1 << rng.below(13);
            (heap.malloc_aligned(size, align), size, align.max(8), false)
        }
    };
    let ptr = match result {
        Ok(ptr) => ptr.as_ptr(),
        Err(HeapError::OutOfMemory { .. }) => {
            report.out_of_memory += 1;
            return Ok(());
        }
        Err(e) => return Err(Failure::Heap(e)),
    };
    if ptr.addr() % align != 0 {
        return Err(Failure::Misaligned { addr: ptr.addr(), align });
    }
    if zeroed {
        verify_zero(ptr, len)?;
    }
    fill(ptr, len, tag);
    *slot = Slot { ptr, len, tag };
    Ok(())
}

/// Frees or resizes the live allocation in `slot`, after verifying it.
fn change<H: HeapOps + ?Sized>(
    heap: &mut H,
    slot: &mut Slot,
    choice: usize,
    size: usize,
    tag: u8,
    report: &mut TortureReport,
) -> Result<(), Failure> {
    verify(*slot)?;
    if choice < 55 {
        report.frees += 1;
        // SAFETY: the slot holds a live allocation of this heap, forgotten below.
        unsafe { heap.free(slot.ptr) }.map_err(Failure::Heap)?;
        *slot = Slot::EMPTY;
        return Ok(());
    }
    report.reallocs += 1;
    // SAFETY: as above; on success the old pointer is replaced below.
    let ptr = match unsafe { heap.realloc(slot.ptr, size) } {
        Ok(ptr) => ptr.as_ptr(),
        Err(HeapError::OutOfMemory { .. }) => {
            report.out_of_memory += 1;
            return Ok(());
        }
        Err(e) => return Err(Failure::Heap(e)),
    };
    if ptr.addr() % 8 != 0 {
        return Err(Failure::Misaligned { addr: ptr.addr(), align: 8 });
    }
    verify(Slot { ptr, len: slot.len.min(size), tag: slot.tag })?;
    fill(ptr, size, tag);
    *slot = Slot { ptr, len: size, tag };
    Ok(())
}

/// Verifies and frees every live allocation.
fn release_all<H: HeapOps + ?Sized>(heap: &mut H, slots: &mut [Slot]) -> Result<(), Failure> {
    let mut first = Ok(());
    for slot in slots.iter_mut().filter(|s| !s.ptr.is_null()) {
        let checked = verify(*slot);
        // SAFETY: the slot holds a live allocation of this heap, forgotten below.
        let freed = unsafe { heap.free(slot.ptr) }.map_err(Failure::Heap);
        *slot = Slot::EMPTY;
        first = first.and(checked).and(freed);
    }
    first
}

fn fill(ptr: *mut u8, len: usize, tag: u8) {
    for i in 0..len {
        // SAFETY: `ptr` is a live allocation of at least `len` bytes (HeapOps).
        unsafe { ptr.add(i).write(pattern(tag, i)) };
    }
}

fn verify(slot: Slot) -> Result<(), Failure> {
    for i in 0..slot.len {
        // SAFETY: the slot's allocation is live and at least `len` bytes.
        let found = unsafe { slot.ptr.add(i).read() };
        let expected = pattern(slot.tag, i);
        if found != expected {
            return Err(Failure::Contents { addr: slot.ptr.addr() + i, expected, found });
        }
    }
    Ok(())
}

fn verify_zero(ptr: *mut u8, len: usize) -> Result<(), Failure> {
    for i in 0..len {
        // SAFETY: `ptr` is a live allocation of at least `len` bytes.
        if unsafe { ptr.add(i).read() } != 0 {
            return Err(Failure::NotZeroed { addr: ptr.addr() + i });
        }
    }
    Ok(())
}
