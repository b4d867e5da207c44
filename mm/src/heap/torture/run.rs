//! The torture loop: random operations on random slots, every allocation
//! filled with a pattern derived from a per-allocation tag and verified
//! before it is freed or resized, alignment and zeroing checked, and the
//! heap's own `check` run every few operations.

use core::fmt;

use super::rng::SplitMix64;
use super::HeapOps;
use crate::heap::error::HeapError;

/// How a torture run behaves.
#[derive(Clone, Copy, Debug)]
pub struct TortureConfig {
    /// The seed: the same seed replays the same run.
    pub seed: u64,
    /// How many operations.
    pub ops: u32,
    /// The largest request (sizes are mostly small, some medium, a few up to this).
    pub max_size: usize,
    /// Run the heap's `check` every this many operations (0: only at the end).
    pub check_every: u32,
}

impl TortureConfig {
    /// 10 000 operations of up to 64 KiB, checking every 64.
    pub const fn new(seed: u64) -> Self {
        TortureConfig { seed, ops: 10_000, max_size: 64 * 1024, check_every: 64 }
    }
}

/// One live allocation of the workload (bookkeeping the caller provides).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    ptr: *mut u8,
    len: usize,
    tag: u8,
}

impl Slot {
    /// An unused slot.
    pub const EMPTY: Slot = Slot { ptr: core::ptr::null_mut(), len: 0, tag: 0 };
}

// SAFETY: a slot is inert bookkeeping: its pointer is only dereferenced by
// `torture`, which holds the slots mutably, so sharing or moving slots
// between threads (e.g. a kernel `static` behind a lock) cannot race.
unsafe impl Send for Slot {}
// SAFETY: as above; `&Slot` exposes no way to reach the memory.
unsafe impl Sync for Slot {}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TortureReport {
    pub mallocs: u32,
    pub callocs: u32,
    pub aligned: u32,
    pub reallocs: u32,
    pub frees: u32,
    pub checks: u32,
    /// Allocations refused for lack of memory (legitimate, counted, not a failure).
    pub out_of_memory: u32,
    /// The most bytes the heap had mapped during the run.
    pub peak_mapped: usize,
}

/// What went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The heap returned an error other than running out of memory.
    Heap(HeapError),
    /// Data in a live allocation changed.
    Contents { addr: usize, expected: u8, found: u8 },
    /// An allocation is not aligned as requested.
    Misaligned { addr: usize, align: usize },
    /// `calloc` memory was not zero.
    NotZeroed { addr: usize },
    /// After freeing everything, the heap's live count did not come back.
    Leak { live_before: usize, live_after: usize },
}

/// A failed run: the seed to replay it and the operation that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TortureError {
    pub seed: u64,
    pub op: u32,
    pub failure: Failure,
}

impl fmt::Display for TortureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "heap torture seed {:#x} failed at operation {}: ", self.seed, self.op)?;
        match self.failure {
            Failure::Heap(e) => write!(f, "{e}")?,
            Failure::Contents { addr, expected, found } => {
                write!(f, "byte {addr:#x} of a live allocation is {found:#04x}, {expected:#04x} expected")?
            }
            Failure::Misaligned { addr, align } => write!(f, "{addr:#x} is not {align}-byte aligned")?,
            Failure::NotZeroed { addr } => write!(f, "calloc memory at {addr:#x} is not zero")?,
            Failure::Leak { live_before, live_after } => {
                write!(f, "{live_after} allocations live after freeing all, {live_before} before")?
            }
        }
        write!(f, " (replay: HEAP_TORTURE_SEED={:#x} cargo test -p mm torture_replay)", self.seed)
    }
}

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
