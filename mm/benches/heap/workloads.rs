//! The six original benchmark workloads, generated from fixed seeds as
//! traces, so every allocator replays exactly the same sequence and
//! generating it costs nothing inside the timed loop.

use super::trace::{Op, Trace};
use mm::heap::torture::SplitMix64;

fn trace(name: &str, about: &str, ops: Vec<Op>) -> Trace {
    Trace::new(name, about, ops).expect("a generated workload is a valid trace")
}

/// Slots toggled at random: an empty slot is allocated, a full one freed,
/// so lifetimes are random (geometric) and about half the slots are live.
fn churn(
    rng: &mut SplitMix64,
    ops: &mut Vec<Op>,
    live: &mut [bool],
    n: usize,
    size: impl Fn(&mut SplitMix64) -> u32,
) {
    for _ in 0..n {
        let slot = rng.below(live.len());
        if live[slot] {
            ops.push(Op::Free { id: slot as u32 });
        } else {
            ops.push(Op::Alloc { id: slot as u32, size: size(rng) });
        }
        live[slot] = !live[slot];
    }
}

/// Frees what is still live, in slot order.
fn drain(ops: &mut Vec<Op>, live: &mut [bool]) {
    for (slot, l) in live.iter_mut().enumerate() {
        if *l {
            ops.push(Op::Free { id: slot as u32 });
            *l = false;
        }
    }
}

/// A size between 8 bytes and 64 KiB, uniform in its logarithm.
fn log_uniform(rng: &mut SplitMix64) -> u32 {
    let shift = rng.between(3, 15);
    rng.between(1 << shift, (2 << shift) - 1).min(64 * 1024) as u32
}

pub fn all() -> Vec<Trace> {
    vec![small(), mixed(), all_then_free(), vec_growth(), vec_growth_x4(), pinned()]
}

fn small() -> Trace {
    let mut rng = SplitMix64::new(1);
    let (mut ops, mut live) = (Vec::new(), vec![false; 2000]);
    churn(&mut rng, &mut ops, &mut live, 400_000, |r| r.between(8, 256) as u32);
    drain(&mut ops, &mut live);
    trace("small", "8-256 B, random lifetimes, ~1000 live", ops)
}

fn mixed() -> Trace {
    let mut rng = SplitMix64::new(2);
    let (mut ops, mut live) = (Vec::new(), vec![false; 500]);
    churn(&mut rng, &mut ops, &mut live, 100_000, log_uniform);
    drain(&mut ops, &mut live);
    trace("mixed", "8 B-64 KiB log-uniform, random lifetimes, ~250 live", ops)
}

fn all_then_free() -> Trace {
    let mut rng = SplitMix64::new(3);
    let n = 5000;
    let mut ops = Vec::new();
    let mut order: Vec<u32> = (0..n).collect();
    for _ in 0..20 {
        for slot in 0..n {
            ops.push(Op::Alloc { id: slot, size: rng.between(16, 1024) as u32 });
        }
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }
        ops.extend(order.iter().map(|&slot| Op::Free { id: slot }));
    }
    trace("all-then-free", "5000 x 16-1024 B, then all freed in random order", ops)
}

fn vec_growth() -> Trace {
    let mut ops = Vec::new();
    for _ in 0..5000 {
        // One buffer doubling 16 B -> 1 MiB, as a Vec does.
        ops.push(Op::Alloc { id: 0, size: 16 });
        let mut size = 16;
        while size < 1024 * 1024 {
            size *= 2;
            ops.push(Op::Realloc { id: 0, size });
        }
        ops.push(Op::Free { id: 0 });
    }
    trace("vec-growth", "one buffer doubling 16 B -> 1 MiB by realloc", ops)
}

fn vec_growth_x4() -> Trace {
    let mut ops = Vec::new();
    for _ in 0..1000 {
        // Four buffers built side by side, each doubling 16 B -> 128 KiB.
        for slot in 0..4 {
            ops.push(Op::Alloc { id: slot, size: 16 });
        }
        let mut size = 16;
        while size < 128 * 1024 {
            size *= 2;
            for slot in 0..4 {
                ops.push(Op::Realloc { id: slot, size });
            }
        }
        for slot in 0..4 {
            ops.push(Op::Free { id: slot });
        }
    }
    trace("vec-growth-x4", "4 buffers doubling 16 B -> 128 KiB by realloc, side by side", ops)
}

fn pinned() -> Trace {
    let mut rng = SplitMix64::new(5);
    let slots = 1001;
    let (mut ops, mut live) = (Vec::new(), vec![false; slots - 1]);
    let pin = (slots - 1) as u32;
    let size = |r: &mut SplitMix64| r.between(16, 4096) as u32;
    for round in 0..10 {
        churn(&mut rng, &mut ops, &mut live, 10_000, size);
        if round == 0 {
            ops.push(Op::Alloc { id: pin, size: 1024 });
        }
        // Most of the churned blocks die; the pinned one stays.
        for (slot, l) in live.iter_mut().enumerate() {
            if *l && rng.below(10) < 9 {
                ops.push(Op::Free { id: slot as u32 });
                *l = false;
            }
        }
    }
    drain(&mut ops, &mut live);
    ops.push(Op::Free { id: pin });
    trace("pinned", "16 B-4 KiB churn in waves, one 1 KiB block pinned throughout", ops)
}
