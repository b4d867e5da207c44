//! How fast is the frame allocator, next to the fastest stack there is?
//!
//! Runs the kernel's `FrameStack` unchanged over emulated physical memory
//! (`EmulatedWindow`, every check on) and, in the same run, a bare
//! `Vec<u32>` doing the same pops and pushes. Three workloads:
//!
//! - steady state: allocate and free the same frame, mid-page;
//! - drain and refill: every free frame taken and given back, so every pop
//!   is checked against the usable ranges and the bitmap;
//! - first allocation: every frame taken from a fresh allocator, so from
//!   untouched memory below the watermark (the `Vec` pops instead).
//!
//! The memory map is the one QEMU gives the kernel (a hole below 1 MiB, the
//! kernel image at 1 MiB), so the check of each popped frame has several
//! usable ranges to look in.
//!
//! Reports the median over several rounds of the time per operation, the
//! ratio, and, when valgrind is installed, instructions per operation
//! counted by callgrind (stable on a busy machine, unlike time). It measures
//! and reports; it asserts nothing about time.
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
use mm::memmap::{ByteRange, MapEntry, MapKind, clean};
use std::hint::black_box;
use std::process::Command;
use std::time::Instant;

/// Emulated RAM: 64 MiB.
const RAM: u32 = 64 << 20;
/// Steady-state pairs per chunk, and chunks per round.
const PAIRS: u32 = 20_000;
const CHUNKS: u32 = 40;
/// Drain-then-refill and first-allocation passes per round, one per chunk.
const PASSES: u32 = 40;
const ROUNDS: usize = 21;
/// Frames held during the stack rows.
const HELD: u32 = 300;
/// Set in the child process that callgrind runs: the workload to count.
const COUNT_ENV: &str = "FRAMES_BENCH_COUNT";

type Stack<'m> = FrameStack<EmulatedWindow<'m>>;

/// A fresh allocator over `mem`, with the memory map QEMU gives the kernel:
/// usable RAM below 640 KiB and from 1 MiB up, minus the kernel image (80
/// frames at 1 MiB) and a frame of boot information: three ranges.
fn new_stack(mem: &mut PhysMemory) -> Stack<'_> {
    let map = [
        MapEntry::new(0, 0x9_fc00, MapKind::Usable),
        MapEntry::new(0xf_0000, 0x1_0000, MapKind::Reserved),
        MapEntry::new(0x10_0000, u64::from(RAM - 0x10_0000), MapKind::Usable),
    ];
    let occupied = [ByteRange::new(0x10_0000, 80 * 4096), ByteRange::new(0x1_0000, 4096)];
    let usable = clean(map, &occupied).unwrap();
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
fn steady_stack(stack: &mut Stack<'_>, pairs: u32) {
    for _ in 0..pairs {
        let s = black_box(&mut *stack);
        let f = s.allocate().expect("frames are free");
        s.free(black_box(f)).expect("it was ours");
    }
}

#[inline(never)]
fn steady_vec(v: &mut Vec<u32>, pairs: u32) {
    for _ in 0..pairs {
        let v = black_box(&mut *v);
        let x = v.pop().expect("values are there");
        v.push(black_box(x));
    }
}

#[inline(never)]
fn drain_refill_stack(stack: &mut Stack<'_>, out: &mut Vec<Frame>) {
    while let Some(f) = black_box(&mut *stack).allocate() {
        out.push(black_box(f));
    }
    for f in out.drain(..) {
        black_box(&mut *stack).free(f).expect("it was ours");
    }
}

#[inline(never)]
fn drain_refill_vec(v: &mut Vec<u32>, out: &mut Vec<u32>) {
    while let Some(x) = black_box(&mut *v).pop() {
        out.push(black_box(x));
    }
    for x in out.drain(..) {
        black_box(&mut *v).push(x);
    }
}

/// Allocates every frame of a fresh allocator: all from untouched memory.
#[inline(never)]
fn untouched_stack(stack: &mut Stack<'_>, out: &mut Vec<Frame>) {
    while let Some(f) = black_box(&mut *stack).allocate() {
        out.push(black_box(f));
    }
}

/// Pops every value of a full `Vec`.
#[inline(never)]
fn untouched_vec(v: &mut Vec<u32>, out: &mut Vec<u32>) {
    while let Some(x) = black_box(&mut *v).pop() {
        out.push(black_box(x));
    }
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// One row of samples: ns per operation for each side, one sample per round.
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
        println!("{name:<40} {a:>10.2} {b:>9.2} {:>6.2}x   {lo:.2}-{hi:.2}x", a / b);
    }
}

/// Runs workload `name` once, set up as in the timed runs: what the
/// callgrind child does (`COUNT_ENV`). `count_ops` says how many operations.
fn count_one(name: &str) {
    let mut mem = PhysMemory::new(RAM);
    let mut stack = new_stack(&mut mem);
    let frames = stack.free_count();
    let mut frames_out = Vec::with_capacity(frames as usize);
    let mut words_out = Vec::with_capacity(frames as usize);
    let mut vec: Vec<u32> = (1..=frames).map(|n| n << 12).collect();
    if name.starts_with("untouched") {
        match name {
            "untouched_stack" => untouched_stack(&mut stack, &mut frames_out),
            _ => untouched_vec(&mut vec, &mut words_out),
        }
        return;
    }
    fill(&mut stack);
    let held = hold(&mut stack);
    vec.truncate(stack.free_count() as usize);
    match name {
        "steady_stack" => steady_stack(&mut stack, PAIRS),
        "steady_vec" => steady_vec(&mut vec, PAIRS),
        "drain_refill_stack" => drain_refill_stack(&mut stack, &mut frames_out),
        "drain_refill_vec" => drain_refill_vec(&mut vec, &mut words_out),
        _ => panic!("{COUNT_ENV}={name}: no such workload"),
    }
    drop(held);
}

/// Operations one run of workload `name` does.
fn count_ops(name: &str, frames: u32) -> u32 {
    match name {
        "steady_stack" | "steady_vec" => PAIRS,
        "untouched_stack" | "untouched_vec" => frames,
        _ => frames - HELD,
    }
}

/// Puts every free frame on the stack: all handed out, then all freed.
fn fill(stack: &mut Stack<'_>) {
    let all: Vec<Frame> = std::iter::from_fn(|| stack.allocate()).collect();
    for f in all {
        stack.free(f).expect("it was ours");
    }
}

/// Takes `HELD` frames, so that the steady loop runs mid-page, as it
/// usually does, not at a stack-page boundary where every operation would
/// remap.
fn hold(stack: &mut Stack<'_>) -> Vec<Frame> {
    (0..HELD).map(|_| stack.allocate().unwrap()).collect()
}

/// Instructions per operation of workload `name`, counted by callgrind in a
/// child process that runs only it; `None` without valgrind.
fn instructions(name: &str, ops: u32) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let out =
        std::env::temp_dir().join(format!("frames-bench-{}-{name}.callgrind", std::process::id()));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg("--collect-atstart=no")
        .arg(format!("--toggle-collect=*frames::{name}*"))
        .arg(&exe)
        .env(COUNT_ENV, name)
        .output()
        .ok()?;
    if !status.status.success() {
        return None;
    }
    let text = std::fs::read_to_string(&out).ok();
    let _ = std::fs::remove_file(&out);
    let total: f64 =
        text?.lines().find_map(|l| l.strip_prefix("summary: "))?.trim().parse().ok()?;
    Some(total / f64::from(ops))
}

fn main() {
    if let Ok(name) = std::env::var(COUNT_ENV) {
        count_one(&name);
        return;
    }
    let mut mem = PhysMemory::new(RAM);
    let mut stack = new_stack(&mut mem);
    let frames = stack.free_count();
    let mut frames_out = Vec::with_capacity(frames as usize);
    let mut words_out = Vec::with_capacity(frames as usize);

    // First allocation: a fresh allocator for each pass.
    let mut untouched = Row::default();
    let mut vec: Vec<u32> = Vec::with_capacity(frames as usize);
    for _ in 0..ROUNDS {
        let (mut s, mut v) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..PASSES {
            stack = new_stack(&mut mem);
            s = s.min(time(|| untouched_stack(&mut stack, &mut frames_out)));
            frames_out.drain(..).for_each(std::mem::forget);
            vec.extend((1..=frames).map(|n| n << 12));
            v = v.min(time(|| untouched_vec(&mut vec, &mut words_out)));
            words_out.clear();
        }
        untouched.stack.push(s / f64::from(frames));
        untouched.vec.push(v / f64::from(frames));
    }

    // The others run on a stack holding every free frame (a fresh
    // allocator's, all handed out and freed once), some frames held.
    stack = new_stack(&mut mem);
    fill(&mut stack);
    let held = hold(&mut stack);
    let free = stack.free_count();
    let mut vec: Vec<u32> = (1..=free).map(|n| n << 12).collect();
    let (mut steady, mut drain) = (Row::default(), Row::default());
    for _ in 0..ROUNDS {
        let (mut s, mut v) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..CHUNKS {
            s = s.min(time(|| steady_stack(&mut stack, PAIRS)));
            v = v.min(time(|| steady_vec(&mut vec, PAIRS)));
        }
        steady.stack.push(s / f64::from(PAIRS));
        steady.vec.push(v / f64::from(PAIRS));
        let (mut s, mut v) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..PASSES {
            s = s.min(time(|| drain_refill_stack(&mut stack, &mut frames_out)));
            v = v.min(time(|| drain_refill_vec(&mut vec, &mut words_out)));
        }
        drain.stack.push(s / f64::from(free));
        drain.vec.push(v / f64::from(free));
    }

    println!(
        "frame allocator over emulated RAM: {frames} frames in {} ranges ({} MiB), \
         {} held for the stack rows; median over {ROUNDS} rounds of each round's fastest chunk",
        stack.usable().ranges().len(),
        RAM >> 20,
        held.len()
    );
    println!(
        "{:<40} {:>10} {:>9} {:>7}   ratio range",
        "ns per operation", "FrameStack", "Vec<u32>", "ratio"
    );
    steady.print("allocate+free pair: steady (same frame)");
    drain.print("allocate+free pair: drain all, refill all");
    untouched.print("allocate: every frame of a fresh one");

    let rows = [
        ("allocate+free pair: steady (same frame)", "steady_stack", "steady_vec"),
        ("allocate+free pair: drain all, refill all", "drain_refill_stack", "drain_refill_vec"),
        ("allocate: every frame of a fresh one", "untouched_stack", "untouched_vec"),
    ];
    let mut counted = Vec::new();
    for (label, s, v) in rows {
        let (so, vo) = (count_ops(s, frames), count_ops(v, frames));
        match (instructions(s, so), instructions(v, vo)) {
            (Some(a), Some(b)) => counted.push((label, a, b)),
            _ => {
                println!("(instruction counts need valgrind: not counted)");
                return;
            }
        }
    }
    println!(
        "{:<40} {:>10} {:>9} {:>7}",
        "instructions per operation (callgrind)", "FrameStack", "Vec<u32>", "ratio"
    );
    for (label, a, b) in counted {
        println!("{label:<40} {a:>10.1} {b:>9.1} {:>6.2}x", a / b);
    }
}
