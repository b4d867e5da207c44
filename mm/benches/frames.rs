//! How fast is the frame stack, next to the fastest stack there is?
//!
//! Runs the kernel's `FrameStack` unchanged over emulated physical memory
//! (`EmulatedWindow`, bitmap checks on) and, in the same run, a bare
//! `Vec<u32>` doing the same pushes and pops. Reports the median over several
//! rounds of the time per allocate+free pair and the ratio. It measures and
//! reports; it asserts nothing about time.
//!
//! Every operation goes through `black_box(&mut container)` on both sides, so
//! neither can keep its state in registers across iterations: both pay what
//! an allocator in a static behind a lock pays.

use mm::FrameAllocator;
use mm::emulate::PhysMemory;
use mm::frame::Frame;
use mm::frames::{EmulatedWindow, FrameStack, bitmap_words};
use mm::memmap::{MapEntry, MapKind, clean};
use std::hint::black_box;
use std::time::Instant;

/// Emulated RAM: 64 MiB, all usable (frame 0 aside): 16383 frames, 16 stack pages.
const RAM: u32 = 64 << 20;
const PAIRS: u32 = 4_000_000;
const ROUNDS: usize = 15;

fn new_stack(mem: &mut PhysMemory) -> FrameStack<EmulatedWindow<'_>> {
    let usable = clean([MapEntry::new(0, u64::from(RAM), MapKind::Usable)], &[]).unwrap();
    let bitmap = Box::leak(vec![0u32; bitmap_words(&usable)].into_boxed_slice());
    // SAFETY: the emulated memory belongs to this stack alone.
    unsafe { FrameStack::new(EmulatedWindow::new(mem), usable, bitmap) }.unwrap()
}

/// Nanoseconds per iteration of `f`, run `n` times.
fn per_op(n: u32, f: impl FnOnce()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_nanos() as f64 / f64::from(n)
}

#[inline(never)]
fn steady_stack(stack: &mut FrameStack<EmulatedWindow<'_>>) -> f64 {
    per_op(PAIRS, || {
        for _ in 0..PAIRS {
            let s = black_box(&mut *stack);
            let f = s.allocate().expect("frames are free");
            s.free(black_box(f)).expect("it was ours");
        }
    })
}

#[inline(never)]
fn steady_vec(v: &mut Vec<u32>) -> f64 {
    per_op(PAIRS, || {
        for _ in 0..PAIRS {
            let v = black_box(&mut *v);
            let x = v.pop().expect("values are there");
            v.push(black_box(x));
        }
    })
}

fn drain_refill_stack(stack: &mut FrameStack<EmulatedWindow<'_>>, out: &mut Vec<Frame>) -> f64 {
    let n = stack.free_count();
    per_op(n, || {
        while let Some(f) = black_box(&mut *stack).allocate() {
            out.push(black_box(f));
        }
        for f in out.drain(..) {
            black_box(&mut *stack).free(f).expect("it was ours");
        }
    })
}

fn drain_refill_vec(v: &mut Vec<u32>, out: &mut Vec<u32>) -> f64 {
    let n = v.len() as u32;
    per_op(n, || {
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

fn main() {
    let mut mem = PhysMemory::new(RAM);
    let mut stack = new_stack(&mut mem);
    let frames = stack.free_count();
    let mut vec: Vec<u32> = (1..=frames).map(|n| n << 12).collect();
    let mut frames_out = Vec::with_capacity(frames as usize);
    let mut words_out = Vec::with_capacity(frames as usize);
    // Hold a few frames so the steady loop runs mid-page, as it usually does,
    // not at a stack-page boundary where every operation would remap.
    let held: Vec<Frame> = (0..300).map(|_| stack.allocate().unwrap()).collect();
    vec.truncate(vec.len() - held.len());

    let (mut s_stack, mut s_vec, mut d_stack, mut d_vec) = (vec![], vec![], vec![], vec![]);
    // Interleave the rounds so both sides see the same machine conditions.
    for _ in 0..ROUNDS {
        s_stack.push(steady_stack(&mut stack));
        s_vec.push(steady_vec(&mut vec));
        d_stack.push(drain_refill_stack(&mut stack, &mut frames_out));
        d_vec.push(drain_refill_vec(&mut vec, &mut words_out));
    }

    println!(
        "frame stack over emulated RAM: {frames} frames ({} MiB, {} stack pages); \
         median of {ROUNDS} rounds",
        RAM >> 20,
        frames.div_ceil(1024)
    );
    println!(
        "{:<38} {:>11} {:>10} {:>7} {:>14}",
        "ns per allocate+free pair", "FrameStack", "Vec<u32>", "ratio", "round ratios"
    );
    for (name, stack, vec) in [
        ("steady state (same frame, mid-page)", s_stack, s_vec),
        ("drain all, then refill all", d_stack, d_vec),
    ] {
        // Per-round ratios show how much the machine's load moved the numbers.
        let ratios: Vec<f64> = stack.iter().zip(&vec).map(|(a, b)| a / b).collect();
        let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ratios.iter().copied().fold(0.0, f64::max);
        let (a, b) = (median(stack), median(vec));
        println!("{name:<38} {a:>11.2} {b:>10.2} {:>6.2}x {lo:>6.2}-{hi:.2}x", a / b);
    }
    drop(held);
}
