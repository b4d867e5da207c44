//! What a torture run is told and what it tells back: its configuration,
//! the bookkeeping slots the caller provides, the report of a run that
//! passed and the error (with the seed to replay) of one that did not.

use core::fmt;

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
    pub(super) ptr: *mut u8,
    pub(super) len: usize,
    pub(super) tag: u8,
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
            Failure::Contents { addr, expected, found } => write!(
                f,
                "byte {addr:#x} of a live allocation is {found:#04x}, {expected:#04x} expected"
            )?,
            Failure::Misaligned { addr, align } => {
                write!(f, "{addr:#x} is not {align}-byte aligned")?
            }
            Failure::NotZeroed { addr } => write!(f, "calloc memory at {addr:#x} is not zero")?,
            Failure::Leak { live_before, live_after } => {
                write!(f, "{live_after} allocations live after freeing all, {live_before} before")?
            }
        }
        write!(f, " (replay: HEAP_TORTURE_SEED={:#x} cargo test -p mm torture_replay)", self.seed)
    }
}
