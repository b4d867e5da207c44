//! The heap's targets, each judged on this run's numbers and printed as
//! `target: <what>: met|NOT MET|not measured: <numbers>`, so a shortfall is
//! stated with its size, never hidden. (The frame-pair and boot targets are
//! judged by their own benches; `scripts/bench.sh` prints them beside these.)

use super::report::{REALLOC_PATTERN, Results, geomean};
use super::roster::Who;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a target of this run was not met.
static SHORT: AtomicBool = AtomicBool::new(false);

fn line(what: &str, met: Option<bool>, numbers: &str) {
    let verdict = match met {
        Some(true) => "met",
        Some(false) => "NOT MET",
        None => "not measured",
    };
    if met == Some(false) {
        SHORT.store(true, Ordering::Relaxed);
    }
    println!("target: {what}: {verdict}: {numbers}");
}

/// `value(t)` on every trace, with the ones that fail `ok` listed.
fn per_trace(
    r: &Results,
    value: impl Fn(usize) -> f64,
    ok: impl Fn(f64) -> bool,
) -> (bool, String) {
    let misses: Vec<String> = (0..r.names.len())
        .filter(|&t| !ok(value(t)))
        .map(|t| format!("{} {:.2}", r.names[t], value(t)))
        .collect();
    (misses.is_empty(), if misses.is_empty() { "none".into() } else { misses.join(", ") })
}

pub fn print(r: &Results) {
    println!(
        "\nTargets (time ratios of this run's fastest replays: on a busy machine they can move \
         by tens of percent between runs; instruction counts do not move)\n"
    );
    let k = r.col(Who::Kmalloc).expect("kmalloc is always measured");
    let talc = r.col(Who::Talc).expect("talc is always measured");
    let rlsf = r.col(Who::Rlsf).expect("rlsf is always measured");
    let n = r.names.len();

    // Throughput against talc and rlsf on every trace.
    let vs = |w: usize| move |t: usize| r.secs[t][w] / r.secs[t][k];
    let (ok_t, miss_t) = per_trace(r, vs(talc), |x| x >= 1.0);
    let (ok_r, miss_r) = per_trace(r, vs(rlsf), |x| x >= 1.0);
    line(
        "throughput >= talc and >= rlsf on every trace",
        Some(ok_t && ok_r),
        &format!(
            "geometric mean {:.2}x talc, {:.2}x rlsf; below talc on: {miss_t}; below rlsf on: {miss_r}",
            geomean((0..n).map(vs(talc))),
            geomean((0..n).map(vs(rlsf)))
        ),
    );

    // Instructions per operation against talc.
    let counted = (0..n).all(|t| r.instr[t][k].is_some() && r.instr[t][talc].is_some());
    if counted {
        let ratio = |t: usize| r.instr[t][k].unwrap_or(0.0) / r.instr[t][talc].unwrap_or(1.0);
        let (ok, miss) = per_trace(r, ratio, |x| x <= 1.0);
        let mean = |w: usize| geomean((0..n).map(|t| r.instr[t][w].unwrap_or(1.0)));
        line(
            "instructions per operation <= talc's on every trace",
            Some(ok),
            &format!(
                "geometric mean {:.0} against talc's {:.0} ({:.2}x); above talc (ratio) on: {miss}",
                mean(k),
                mean(talc),
                mean(k) / mean(talc)
            ),
        );
    } else {
        line("instructions per operation <= talc's on every trace", None, "callgrind did not run");
    }

    // Utilisation, in bytes and in pages, against talc and rlsf.
    for (unit, util) in [
        ("bytes", Results::util_bytes as fn(&Results, usize, usize) -> f64),
        ("pages", Results::util_pages),
    ] {
        let gap = |t: usize| util(r, t, k) - util(r, t, talc).max(util(r, t, rlsf));
        let (ok, _) = per_trace(r, gap, |x| x >= -1e-9);
        let misses: Vec<String> = (0..n)
            .filter(|&t| gap(t) < -1e-9)
            .map(|t| {
                format!(
                    "{} {:.1}% (talc {:.1}%, rlsf {:.1}%)",
                    r.names[t],
                    100.0 * util(r, t, k),
                    100.0 * util(r, t, talc),
                    100.0 * util(r, t, rlsf)
                )
            })
            .collect();
        let below = if misses.is_empty() { "none".into() } else { misses.join(", ") };
        line(
            &format!("utilisation ({unit}) >= talc's and rlsf's on every trace"),
            Some(ok),
            &format!("below on: {below}"),
        );
    }
    match r.names.iter().position(|t| t == REALLOC_PATTERN) {
        Some(t) => {
            let (b, p) = (r.util_bytes(t, k), r.util_pages(t, k));
            line(
                &format!("utilisation >= 85% on the realloc pattern ({REALLOC_PATTERN})"),
                Some(b >= 0.85 && p >= 0.85),
                &format!(
                    "{:.1}% of the extent in bytes, {:.1}% of the pages (talc {:.1}%/{:.1}%, rlsf {:.1}%/{:.1}%)",
                    100.0 * b,
                    100.0 * p,
                    100.0 * r.util_bytes(t, talc),
                    100.0 * r.util_pages(t, talc),
                    100.0 * r.util_bytes(t, rlsf),
                    100.0 * r.util_pages(t, rlsf)
                ),
            );
        }
        None => line("utilisation >= 85% on the realloc pattern", None, "trace not in this run"),
    }

    // heap-debug against the normal build.
    match r.col(Who::Debug) {
        Some(d) => {
            let slower = |t: usize| r.secs[t][d] / r.secs[t][k];
            let (ok, miss) = per_trace(r, slower, |x| x <= 5.0);
            let worst = (0..n).max_by(|&a, &b| slower(a).total_cmp(&slower(b))).unwrap_or(0);
            let instr = (0..n)
                .map(|t| r.instr[t][d].zip(r.instr[t][k]).map(|(a, b)| a / b))
                .collect::<Option<Vec<f64>>>()
                .map_or("not counted".into(), |v| format!("{:.1}x", geomean(v)));
            line(
                "heap-debug at most 5x slower than the normal build on every trace",
                Some(ok),
                &format!(
                    "geometric mean {:.1}x slower (instructions {instr}), worst {} {:.1}x; over 5x on: {miss}",
                    geomean((0..n).map(slower)),
                    r.names[worst],
                    slower(worst)
                ),
            );
        }
        None => line(
            "heap-debug at most 5x slower than the normal build",
            None,
            "no heap-debug build given (HEAP_BENCH_DEBUG_BIN; make bench sets it)",
        ),
    }
    if SHORT.load(Ordering::Relaxed) {
        println!(
            "why each target NOT MET is short, with its numbers: docs/measurements.md, \
             \"The targets, as measured\""
        );
    }
}
