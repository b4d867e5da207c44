//! Heap benchmark: replays allocation traces (the six original workloads,
//! the allocation patterns, the kernel's own recorded self-test run, and
//! any `.rep` file given) against our kmalloc heap (the code the kernel
//! runs), `talc`, `rlsf` and `linked_list_allocator`, each over a region of
//! the same size grown by whole 4 KiB pages, and, when `make bench` hands
//! it the `heap-debug` build, against our heap with its debug checks.
//!
//! Every trace is first replayed on every allocator with its results
//! validated (`validate`); then timed in rounds that take turns between
//! the allocators over one region per round (the fastest replay counts: a busy
//! machine only ever adds time); then counted under callgrind (instructions per
//! operation of the timed loop alone). The report gives throughput relative
//! to talc, instructions per operation, utilisation (peak live bytes over
//! the peak extent, and over the peak pages mapped), heap-debug against
//! the normal build, and each target as met or NOT MET. A benchmark
//! measures: nothing here asserts a time.
//!
//! Environment: `HEAP_BENCH_ROUNDS` (default 21), `HEAP_BENCH_ONLY=a,b`
//! (those traces only), `HEAP_BENCH_TRACES=x.rep:y.rep` (more traces),
//! `HEAP_BENCH_DEBUG_BIN` (the `heap-debug` build of this bench),
//! `HEAP_BENCH_PROFILE=trace:allocator` (replay that pair 20 times, for a
//! profiler), `HEAP_BENCH_LLA=0` (leave out linked_list_allocator, the
//! slowest by far, while iterating), `HEAP_BENCH_CALLGRIND=0` (no
//! counting), `HEAP_BENCH_WRITE_TRACES=dir` (write every trace as a `.rep`
//! file and stop). Internal: `HEAP_BENCH_WORKER`, `HEAP_BENCH_COUNT` (see
//! `roster`, `callgrind`).

#[path = "heap/callgrind.rs"]
mod callgrind;
#[path = "heap/patterns.rs"]
mod patterns;
#[path = "heap/peers/mod.rs"]
mod peers;
#[path = "heap/replay.rs"]
mod replay;
#[path = "heap/report.rs"]
mod report;
#[path = "heap/roster.rs"]
mod roster;
#[path = "heap/suite.rs"]
mod suite;
#[path = "heap/svg.rs"]
mod svg;
#[path = "heap/targets.rs"]
mod targets;
#[path = "heap/trace.rs"]
mod trace;
#[path = "heap/validate.rs"]
mod validate;
#[path = "heap/worker.rs"]
mod worker;
#[path = "heap/workloads.rs"]
mod workloads;

use std::env::var;

use peers::Region;
use report::Results;
use roster::{NATIVE, REFERENCE, Who};
use svg::Scale;
use trace::Trace;
use worker::Worker;

/// Timing rounds of linked_list_allocator (fewer than the others').
const LLA_ROUNDS: usize = 3;
/// Worker processes the timing rounds are spread over.
const PROCESSES: usize = 3;

/// Where the chart and the callgrind dumps go (never the source tree).
const OUT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../build/bench");

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let traces = suite::load(
        var("HEAP_BENCH_TRACES").ok().as_deref(),
        var("HEAP_BENCH_ONLY").ok().as_deref(),
    )
    .unwrap_or_else(|e| fail(&e));
    if let Ok(dir) = var("HEAP_BENCH_WRITE_TRACES") {
        suite::write_all(&traces, &dir).unwrap_or_else(|e| fail(&e));
        return println!("{} traces written to {dir}", traces.len());
    }
    if var("HEAP_BENCH_WORKER").is_ok() {
        return worker::serve(&traces);
    }
    if let Ok(list) = var("HEAP_BENCH_COUNT") {
        return count(&traces, &list);
    }
    if let Ok(spec) = var("HEAP_BENCH_PROFILE") {
        return profile(&traces, &spec);
    }
    run(&traces);
}

fn fail(message: &str) -> ! {
    eprintln!("heap bench: {message}");
    std::process::exit(1);
}

/// `HEAP_BENCH_COUNT`: one replay per trace and allocator named in `list`,
/// each followed by its `count` line (see `callgrind`).
fn count(traces: &[Trace], list: &str) {
    let who: Vec<Who> =
        NATIVE.into_iter().filter(|w| list.split(',').any(|n| n == w.name())).collect();
    for t in traces {
        let region = Region::new(suite::region(t));
        for &w in &who {
            counted(w, t, &region);
            println!("count {} {} {}", t.name, w.name(), t.ops.len());
        }
    }
}

/// `HEAP_BENCH_PROFILE=trace:allocator`: that pair replayed 20 times, for
/// a profiler (`valgrind --tool=callgrind`, then `callgrind_annotate`).
fn profile(traces: &[Trace], spec: &str) {
    let (name, alloc) =
        spec.split_once(':').unwrap_or_else(|| fail("HEAP_BENCH_PROFILE=trace:allocator"));
    let t =
        traces.iter().find(|t| t.name == name).unwrap_or_else(|| fail(&format!("no trace {name}")));
    let w = NATIVE
        .into_iter()
        .find(|w| w.name() == alloc)
        .unwrap_or_else(|| fail(&format!("no allocator {alloc}")));
    let region = Region::new(suite::region(t));
    let secs: f64 = (0..20).map(|_| w.once(t, &region)).sum();
    println!(
        "{spec}: 20 x {} operations, {:.2} Mops/s",
        t.ops.len(),
        20.0 * t.ops.len() as f64 / secs / 1e6
    );
}

/// One replay to count; callgrind dumps when it returns (`callgrind::DUMP`).
#[inline(never)]
fn counted(w: Who, t: &Trace, region: &Region) {
    w.once(t, region);
}

fn run(traces: &[Trace]) {
    let rounds: usize =
        var("HEAP_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(21).max(1);
    let debug_bin = var("HEAP_BENCH_DEBUG_BIN").ok();
    let mut debug = debug_bin.as_deref().map(|b| Worker::start(b).unwrap_or_else(|e| fail(&e)));
    let mut who = NATIVE.to_vec();
    if var("HEAP_BENCH_LLA").is_ok_and(|v| v == "0") {
        who.retain(|&w| w != Who::Lla);
    }
    if debug.is_some() {
        who.push(Who::Debug);
    }
    println!(
        "heap benchmark on {} ({}-bit): {} traces, {} allocators; every allocator gets the same \
         region per trace, grown in 4 KiB pages",
        std::env::consts::ARCH,
        usize::BITS,
        traces.len(),
        who.len()
    );
    if debug.is_none() {
        println!("(heap-debug not measured: `make bench` builds it and sets HEAP_BENCH_DEBUG_BIN)");
    }

    let (mut foot, mut whole) = (Vec::new(), Vec::new());
    for t in traces {
        let mut check = |w: &Who| {
            w.validate(t, debug.as_mut())
                .unwrap_or_else(|e| fail(&format!("trace {}: {e}", t.name)))
        };
        foot.push(who.iter().map(&mut check).collect::<Vec<_>>());
        whole.push(REFERENCE.iter().map(&mut check).collect::<Vec<_>>());
    }
    println!(
        "validated: every trace on every allocator (non-null, 8-byte aligned, inside the region, \
         no overlap with a live block, contents kept across realloc and until free)"
    );

    let secs = time_all(traces, &who, rounds, debug.as_mut());
    drop(debug);

    let instr = instructions(traces, &who, debug_bin.as_deref());
    let results = Results {
        names: traces.iter().map(|t| t.name.clone()).collect(),
        ops: traces.iter().map(|t| t.ops.len()).collect(),
        who,
        secs,
        foot,
        instr,
        whole,
    };
    results.print_tables();
    println!();
    for t in traces {
        println!("  {:<16} {}", t.name, t.about);
    }
    targets::print(&results);
    chart(&results);
}

/// Times every trace on every allocator: `rounds` rounds (`LLA_ROUNDS` for
/// linked_list_allocator, 50-1000 times as slow and no target's measure),
/// allocators taking turns in each, the rounds spread over `PROCESSES`
/// worker processes (see `worker`); the fastest replay counts. Seconds,
/// `[trace][allocator]`.
fn time_all(
    traces: &[Trace],
    who: &[Who],
    rounds: usize,
    mut debug: Option<&mut Worker>,
) -> Vec<Vec<f64>> {
    println!(
        "timing: {rounds} rounds per trace ({LLA_ROUNDS} for linked_list_allocator) in \
         {PROCESSES} processes, allocators taking turns; the fastest replay counts (a round \
         replays a short trace several times, 200000 operations at least)"
    );
    let me = std::env::current_exe().expect("the bench's own path");
    let mut workers: Vec<Worker> = (0..PROCESSES)
        .map(|_| Worker::start(&me.to_string_lossy()).unwrap_or_else(|e| fail(&e)))
        .collect();
    let mut secs = Vec::new();
    for t in traces {
        let mut samples = vec![Vec::new(); who.len()];
        for round in 0..rounds {
            let process = &mut workers[round % PROCESSES];
            for i in 0..who.len() {
                let w = (i + round) % who.len();
                if who[w] == Who::Lla && round >= LLA_ROUNDS {
                    continue;
                }
                samples[w].push(match (who[w], debug.as_deref_mut()) {
                    (Who::Debug, Some(d)) => {
                        let name = d.kmalloc.clone();
                        d.time(t, &name, round)
                    }
                    (w, _) => process.time(t, w.name(), round),
                });
            }
        }
        secs.push(samples.into_iter().map(fastest).collect());
    }
    secs
}

fn fastest(v: Vec<f64>) -> f64 {
    v.into_iter().fold(f64::INFINITY, f64::min)
}

/// Instructions per operation, `[trace][allocator]`, from callgrind runs of
/// this binary (and of the heap-debug build).
fn instructions(traces: &[Trace], who: &[Who], debug_bin: Option<&str>) -> Vec<Vec<Option<f64>>> {
    let mut instr = vec![vec![None; who.len()]; traces.len()];
    if var("HEAP_BENCH_CALLGRIND").is_ok_and(|v| v == "0") {
        println!("instructions: not counted (HEAP_BENCH_CALLGRIND=0)");
        return instr;
    }
    if !callgrind::available() {
        println!("instructions: not counted: valgrind is not installed (`make bench` installs it)");
        return instr;
    }
    let me = std::env::current_exe().expect("the bench's own path");
    let me = me.to_string_lossy();
    let dir = format!("{OUT}/callgrind");
    println!("counting instructions under callgrind (dumps in build/bench/callgrind)");
    let mut runs = vec![(me.to_string(), "kmalloc,talc,rlsf", "native")];
    if who.contains(&Who::Lla) {
        runs.push((me.to_string(), "linked_list_allocator", "lla"));
    }
    if let Some(bin) = debug_bin {
        runs.push((bin.to_string(), "kmalloc-debug", "debug"));
    }
    // All at once: a count does not depend on what else runs.
    let jobs: Vec<_> =
        runs.iter().map(|(bin, list, label)| callgrind::start(bin, list, &dir, label)).collect();
    let mut counts = Vec::new();
    for job in jobs {
        match job.and_then(callgrind::Job::finish) {
            Ok(c) => counts.extend(c),
            Err(e) => println!("instructions: {e}"),
        }
    }
    for c in counts {
        let t = traces.iter().position(|t| t.name == c.trace);
        let w = who.iter().position(|w| w.name() == c.allocator);
        if let (Some(t), Some(w)) = (t, w) {
            instr[t][w] = Some(c.per_op());
        }
    }
    instr
}

/// Writes the chart under build/ (the source tree stays as it was).
fn chart(r: &Results) {
    let native: Vec<usize> = (0..r.who.len()).filter(|&w| r.who[w] != Who::Debug).collect();
    let names: Vec<&str> = native.iter().map(|&w| r.who[w].name()).collect();
    let per = |f: &dyn Fn(usize, usize) -> f64| -> Vec<Vec<f64>> {
        (0..r.names.len()).map(|t| native.iter().map(|&w| f(t, w)).collect()).collect()
    };
    let labels: Vec<&str> = r.names.iter().map(String::as_str).collect();
    let talc = r.col(Who::Talc).expect("talc is always measured");
    let mut panels = vec![(
        "Throughput relative to talc (higher is better, log scale)",
        per(&|t, w| r.speed(t, w)),
        Scale::Log,
    )];
    if (0..r.names.len()).all(|t| r.instr[t][talc].is_some()) {
        panels.push((
            "Instructions per operation relative to talc (lower is better, log scale; no bar: not counted)",
            per(&|t, w| r.instr[t][w].zip(r.instr[t][talc]).map_or(f64::NAN, |(i, base)| i / base)),
            Scale::Log,
        ));
    }
    panels.push((
        "Utilisation: peak live bytes / peak extent (higher is better)",
        per(&|t, w| r.util_bytes(t, w)),
        Scale::Percent,
    ));
    let svg = svg::chart(&labels, &names, &panels);
    let path = format!("{OUT}/heap.svg");
    match std::fs::create_dir_all(OUT).and_then(|()| std::fs::write(&path, svg)) {
        Ok(()) => println!("\nchart written to build/bench/heap.svg"),
        Err(e) => println!("\ncould not write {path}: {e}"),
    }
}
