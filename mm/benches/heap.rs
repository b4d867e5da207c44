//! Heap benchmark: replays the same workloads against our kmalloc heap (the
//! code the kernel runs, over the host arena source), `talc` and
//! `linked_list_allocator`, each growing its own arena of the same size by
//! whole pages on demand. Prints operations per second (median of several
//! rounds) and peak footprint (the most pages each had mapped or claimed),
//! both also as ratios to talc, and draws them in build/bench/heap.svg
//! (`make bench-docs` copies that chart into docs/bench/).
//!
//! `HEAP_BENCH_ROUNDS=n` changes the number of rounds (default 7);
//! `HEAP_BENCH_PROFILE=workload:allocator` replays one pair 20 times (for a
//! profiler: under callgrind, the inclusive count of `run_ops` divided by
//! the operations printed is the instructions per operation). A benchmark measures: nothing here asserts a time.

#[path = "heap/peers.rs"]
mod peers;
#[path = "heap/svg.rs"]
mod svg;
#[path = "heap/workloads.rs"]
mod workloads;

use std::hint::black_box;
use std::time::Instant;

use peers::{BenchAlloc, Kmalloc, Lla, PAGE, TalcAlloc};
use workloads::{Op, Workload};

/// Each allocator's arena: far more than any workload's peak.
const ARENA: usize = 32 << 20;

/// Replays `w` once on a fresh `A`; returns (seconds, peak pages).
fn replay<A: BenchAlloc>(w: &Workload) -> (f64, usize) {
    let mut a = A::new(ARENA);
    let mut slots: Vec<(*mut u8, usize)> = vec![(std::ptr::null_mut(), 0); w.slots];
    let start = Instant::now();
    run_ops(&mut a, w, &mut slots);
    let secs = start.elapsed().as_secs_f64();
    (secs, a.peak_pages())
}

/// The timed loop. Never inlined, so that a profiler (callgrind) counts
/// exactly the operations, without building and dropping the arena.
#[inline(never)]
fn run_ops<A: BenchAlloc>(a: &mut A, w: &Workload, slots: &mut [(*mut u8, usize)]) {
    for op in &w.ops {
        match *op {
            Op::Alloc { slot, size } => {
                let p = a.alloc(size as usize);
                assert!(!p.is_null(), "{} ran out of its arena", A::NAME);
                // SAFETY: a fresh allocation of at least one byte.
                unsafe { p.write(size as u8) };
                slots[slot as usize] = (p, size as usize);
            }
            Op::Free { slot } => {
                let (p, size) = slots[slot as usize];
                // SAFETY: the slot holds a live allocation of `size` bytes.
                unsafe { a.dealloc(black_box(p), size) };
            }
            Op::Realloc { slot, size } => {
                let (p, old) = slots[slot as usize];
                // SAFETY: as above.
                let q = unsafe { a.realloc(p, old, size as usize) };
                assert!(!q.is_null(), "{} ran out of its arena", A::NAME);
                slots[slot as usize] = (q, size as usize);
            }
        }
    }
}

/// Replays `w` `rounds` times on each allocator, taking turns so that a
/// slow moment of a shared machine hits all three alike; returns each one's
/// median seconds and peak pages (the same every round).
fn measure(w: &Workload, rounds: usize) -> [(f64, usize); 3] {
    let mut times = [const { Vec::new() }; 3];
    let mut peaks = [0; 3];
    for _ in 0..rounds {
        for (i, run) in [replay::<Kmalloc>, replay::<TalcAlloc>, replay::<Lla>].iter().enumerate() {
            let (secs, pages) = run(w);
            times[i].push(secs);
            peaks[i] = pages;
        }
    }
    [0, 1, 2].map(|i| {
        times[i].sort_by(f64::total_cmp);
        (times[i][rounds / 2], peaks[i])
    })
}

/// `HEAP_BENCH_PROFILE=workload:allocator`: replay one pair many times.
fn profile(spec: &str) {
    let (name, alloc) = spec.split_once(':').expect("HEAP_BENCH_PROFILE=workload:allocator");
    let all = workloads::all();
    let w = all.iter().find(|w| w.name == name).expect("no such workload");
    let run = match alloc {
        "kmalloc" => replay::<Kmalloc>,
        "talc" => replay::<TalcAlloc>,
        _ => replay::<Lla>,
    };
    let secs: f64 = (0..20).map(|_| run(w).0).sum();
    let ops = 20 * w.ops.len();
    println!("{spec}: {ops} operations, {:.2} Mops/s", ops as f64 / secs / 1e6);
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    if let Ok(spec) = std::env::var("HEAP_BENCH_PROFILE") {
        return profile(&spec);
    }
    let rounds = std::env::var("HEAP_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7usize)
        .max(1);
    let names = [Kmalloc::NAME, TalcAlloc::NAME, Lla::NAME];
    println!(
        "heap benchmark: {rounds} rounds per workload, median time; footprint = peak pages mapped"
    );
    println!(
        "size_of: kmalloc Heap {} B (its free-list heads live there, not in the heap)",
        std::mem::size_of::<mm::heap::Heap<mm::heap::ArenaSource>>()
    );
    println!();
    println!("| workload | ops | allocator | Mops/s | vs talc | peak KiB | vs talc |");
    println!("|---|---:|---|---:|---:|---:|---:|");
    let all = workloads::all();
    let (mut speed, mut footprint) = (Vec::new(), Vec::new());
    for w in &all {
        let results = measure(w, rounds);
        let ops = w.ops.len() as f64;
        let talc = results[1];
        let (mut s, mut f) = ([0.0; 3], [0.0; 3]);
        for (i, &(secs, pages)) in results.iter().enumerate() {
            s[i] = talc.0 / secs;
            f[i] = pages as f64 / talc.1 as f64;
            println!(
                "| {} | {} | {} | {:.2} | {:.2}x | {} | {:.2}x |",
                w.name,
                w.ops.len(),
                names[i],
                ops / secs / 1e6,
                s[i],
                pages * PAGE / 1024,
                f[i]
            );
        }
        speed.push(s);
        footprint.push(f);
    }
    println!();
    for w in &all {
        println!("  {:<14} {}", w.name, w.about);
    }
    let labels: Vec<&str> = all.iter().map(|w| w.name).collect();
    let chart = svg::chart(&labels, names, &speed, &footprint);
    // Under build/, not docs/: a run leaves the work tree as it was.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../build/bench");
    match std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(format!("{dir}/heap.svg"), chart))
    {
        Ok(()) => println!("\nchart written to build/bench/heap.svg"),
        Err(e) => println!("\ncould not write build/bench/heap.svg: {e}"),
    }
}
