//! The timed replay: a trace's operations on a fresh allocator, with only
//! what any program does with its memory (one byte written into each new
//! block) and none of the validation's checks. The loop is a function of
//! its own, never inlined, so that callgrind can count exactly it
//! (`--toggle-collect` on `run_ops`), without building the allocator.

use std::hint::black_box;
use std::mem::MaybeUninit;
use std::time::Instant;

use super::peers::{BenchAlloc, Region};
use super::trace::{Op, Trace};

/// Operations a timed sample replays at least: a short trace is replayed
/// several times (each time on a fresh allocator), so that its sample has
/// as many chances of an undisturbed replay as a long one.
const SAMPLE_OPS: usize = 200_000;

/// How many replays make one timed sample of `trace`.
pub fn replays(trace: &Trace) -> usize {
    SAMPLE_OPS.div_ceil(trace.ops.len().max(1))
}

/// Replays `trace` `replays(trace)` times, each on a fresh `A` over
/// `region` with the data placed as `shift` says; returns the seconds of
/// the fastest replay (the one that other work on the machine disturbed
/// least).
pub fn timed<A: BenchAlloc>(trace: &Trace, region: &Region, shift: usize) -> f64 {
    (0..replays(trace)).map(|_| once::<A>(trace, region, shift)).fold(f64::INFINITY, f64::min)
}

/// Replays `trace` once on a fresh `A` over `region`; seconds.
///
/// Where the loop's own data lies (the operations, the table of live
/// blocks, the allocator's state) decides which of it shares cache sets
/// with the heap's memory, and that alone can move a replay's time by a
/// factor of two. So each round places them anew, `shift` (any number)
/// moving each by a different fraction of a page, the same for every
/// allocator in the round: the fastest replay is then the fastest over
/// several placements, not one placement's luck.
pub fn once<A: BenchAlloc>(trace: &Trace, region: &Region, shift: usize) -> f64 {
    let pad = |unit: usize, salt: usize| (shift.wrapping_mul(salt) >> 3) % (4096 / unit).max(1);
    let skip_ops = pad(size_of::<Op>(), 0x9E37);
    let mut ops = Vec::with_capacity(skip_ops + trace.ops.len());
    ops.resize(skip_ops, Op::Free { id: 0 });
    ops.extend_from_slice(&trace.ops);
    let skip_blocks = pad(size_of::<(*mut u8, usize)>(), 0x85EB);
    let mut blocks = vec![(std::ptr::null_mut(), 0); skip_blocks + trace.ids];
    let skip_state = pad(size_of::<A>(), 0xC2B2).min(8);
    let mut state: Vec<MaybeUninit<A>> = Vec::with_capacity(skip_state + 1);
    state.resize_with(skip_state + 1, MaybeUninit::uninit);
    // SAFETY: allocators over a region live only inside this function and
    // `validate` (which makes its own region), neither of which calls the
    // other, and a `Region` cannot be shared between threads: no other
    // allocator uses `region` while `a` lives, and `region` outlives it.
    let a = state[skip_state].write(unsafe { A::new(region) });
    let start = Instant::now();
    run_ops(a, &ops[skip_ops..], &mut blocks[skip_blocks..]);
    let secs = start.elapsed().as_secs_f64();
    // SAFETY: written above, dropped once.
    unsafe { state[skip_state].assume_init_drop() };
    secs
}

/// The timed loop. Sizes of 0 are asked as 1, as in the validation.
#[inline(never)]
pub fn run_ops<A: BenchAlloc>(a: &mut A, ops: &[Op], blocks: &mut [(*mut u8, usize)]) {
    for op in ops {
        match *op {
            Op::Alloc { id, size } => {
                let size = (size as usize).max(1);
                let p = a.alloc(size);
                assert!(!p.is_null(), "{} ran out of its region", A::NAME);
                // SAFETY: a fresh allocation of at least one byte.
                unsafe { p.write(size as u8) };
                blocks[id as usize] = (p, size);
            }
            Op::Free { id } => {
                let (p, size) = blocks[id as usize];
                // SAFETY: the trace frees only live blocks (checked when it was
                // built), so `p` is live with `size` bytes.
                unsafe { a.dealloc(black_box(p), size) };
            }
            Op::Realloc { id, size } => {
                let size = (size as usize).max(1);
                let (p, old) = blocks[id as usize];
                // SAFETY: as above.
                let q = unsafe { a.realloc(p, old, size) };
                assert!(!q.is_null(), "{} ran out of its region", A::NAME);
                blocks[id as usize] = (q, size);
            }
        }
    }
}
