//! How fast is the frame stack, next to the fastest stack there is?
//!
//! Runs the kernel's `FrameStack` unchanged over emulated physical memory
//! (`EmulatedWindow`, bitmap checks on) and, in the same run, a bare
//! `Vec<u32>` doing the same pops and pushes. Reports the median over several
//! rounds of the time per allocate+free pair, and the ratio. It measures and
//! reports; it asserts nothing about time.
//!
//! Every operation goes through `black_box(&mut container)` on both sides, so
//! neither can keep its state in registers across iterations: both pay what
//! an allocator in a static behind a lock pays.
//!
//! On a shared machine other work steals time in bursts. So within a round
//! the two sides alternate in short chunks (about 0.1 ms), a round keeps each
//! side's fastest chunk (one nobody interrupted), and the report gives the
//! median of those over the rounds.

use mm::FrameAllocator;
use mm::emulate::PhysMemory;
use mm::frame::Frame;
use mm::frames::{EmulatedWindow, FrameStack, bitmap_words};
use mm::memmap::{MapEntry, MapKind, clean};
use std::hint::black_box;
use std::time::Instant;

/// Emulated RAM: 64 MiB, all usable but frame 0: 16383 frames, 16 stack pages.
const RAM: u32 = 64 << 20;
/// Steady-state pairs per chunk, and chunks per round.
const PAIRS: u32 = 20_000;
const CHUNKS: u32 = 40;
/// Drain-then-refill passes (over all free frames) per round, one per chunk.
const PASSES: u32 = 40;
const ROUNDS: usize = 21;

type Stack<'m> = FrameStack<EmulatedWindow<'m>>;

fn new_stack(mem: &mut PhysMemory) -> Stack<'_> {
    let usable = clean([MapEntry::new(0, u64::from(RAM), MapKind::Usable)], &[]).unwrap();
    let bitmap = Box::leak(vec![0u32; bitmap_words(&usable)].into_boxed_slice());
    // SAFETY: the emulated memory belongs to this stack alone.
    unsafe { FrameStack::new(EmulatedWindow::new(mem), usable, bitmap) }.unwrap()
}

/// Nanoseconds `f` takes.
fn time(f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_nanos() as f64
}

#[inline(never)]
fn steady_stack(stack: &mut Stack<'_>) -> f64 {
    time(|| {
        for _ in 0..PAIRS {
            let s = black_box(&mut *stack);
            let f = s.allocate().expect("frames are free");
            s.free(black_box(f)).expect("it was ours");
        }
    })
}

#[inline(never)]
fn steady_vec(v: &mut Vec<u32>) -> f64 {
    time(|| {
        for _ in 0..PAIRS {
            let v = black_box(&mut *v);
            let x = v.pop().expect("values are there");
            v.push(black_box(x));
        }
    })
}

#[inline(never)]
fn drain_refill_stack(stack: &mut Stack<'_>, out: &mut Vec<Frame>) -> f64 {
    time(|| {
        while let Some(f) = black_box(&mut *stack).allocate() {
            out.push(black_box(f));
        }
        for f in out.drain(..) {
            black_box(&mut *stack).free(f).expect("it was ours");
        }
    })
}

#[inline(never)]
fn drain_refill_vec(v: &mut Vec<u32>, out: &mut Vec<u32>) -> f64 {
    time(|| {
        while let Some(x) = black_box(&mut *v).pop() {
            out.push(black_box(x));
        }
        for x in out.drain(..) {
            black_box(&mut *v).push(x);
        }
    })
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One row of samples: ns per pair for each side, one sample per round.
#[derive(Default)]
struct Row {
    stack: Vec<f64>,
    vec: Vec<f64>,
}

impl Row {
    fn print(self, name: &str) {
        // The spread of per-round ratios shows how much the machine's load
        // moved the numbers.
        let ratios: Vec<f64> = self.stack.iter().zip(&self.vec).map(|(a, b)| a / b).collect();
        let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ratios.iter().copied().fold(0.0, f64::max);
        let (a, b) = (median(self.stack), median(self.vec));
        println!("{name:<36} {a:>10.2} {b:>9.2} {:>6.2}x   {lo:.2}-{hi:.2}x", a / b);
    }
}

fn main() {
    let mut mem = PhysMemory::new(RAM);
    let mut stack = new_stack(&mut mem);
    let frames = stack.free_count();
    // Hold some frames so the steady loop runs mid-page, as it usually does,
    // not at a stack-page boundary where every operation would remap.
    let held: Vec<Frame> = (0..300).map(|_| stack.allocate().unwrap()).collect();
    let free = stack.free_count();
    let mut vec: Vec<u32> = (1..=free).map(|n| n << 12).collect();
    let mut frames_out = Vec::with_capacity(free as usize);
    let mut words_out = Vec::with_capacity(free as usize);

    let (mut steady, mut drain) = (Row::default(), Row::default());
    for _ in 0..ROUNDS {
        let (mut s, mut v) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..CHUNKS {
            s = s.min(steady_stack(&mut stack));
            v = v.min(steady_vec(&mut vec));
        }
        steady.stack.push(s / f64::from(PAIRS));
        steady.vec.push(v / f64::from(PAIRS));
        let (mut s, mut v) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..PASSES {
            s = s.min(drain_refill_stack(&mut stack, &mut frames_out));
            v = v.min(drain_refill_vec(&mut vec, &mut words_out));
        }
        drain.stack.push(s / f64::from(free));
        drain.vec.push(v / f64::from(free));
    }

    println!(
        "frame stack over emulated RAM: {frames} frames ({} MiB, {} stack pages), \
         {} held; median over {ROUNDS} rounds of each round's fastest chunk",
        RAM >> 20,
        frames.div_ceil(1024),
        held.len()
    );
    println!(
        "{:<36} {:>10} {:>9} {:>7}   ratio range",
        "ns per allocate+free pair", "FrameStack", "Vec<u32>", "ratio"
    );
    steady.print("steady state (same frame, mid-page)");
    drain.print("drain all, then refill all");
}
