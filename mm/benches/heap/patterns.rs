//! Traces for the allocation patterns that decide an allocator's speed and
//! memory use, each generated from a fixed seed (so every run and every
//! target replays the same operations): small objects with random
//! lifetimes, two size classes with one freed (fragmentation), long runs
//! freed that must coalesce, a buffer grown by realloc with small blocks
//! allocated in between, and a mix up to 64 KiB with reallocs.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::trace::{Op, Trace};
use mm::heap::torture::SplitMix64;

pub fn all() -> Vec<Trace> {
    vec![random_small(), two_class(), coalesce(), realloc_interleaved(), mix_64k()]
}

/// Hands out ids and allocates and frees with them, tracking what is live.
struct Builder {
    rng: SplitMix64,
    ops: Vec<Op>,
    spare: Vec<u32>,
    next: u32,
    /// Size of each live id (0 when not live).
    size: Vec<u32>,
    /// Blocks due to die: (operation count at death, id).
    deaths: BinaryHeap<Reverse<(usize, u32)>>,
}

impl Builder {
    fn new(seed: u64) -> Self {
        Builder {
            rng: SplitMix64::new(seed),
            ops: Vec::new(),
            spare: Vec::new(),
            next: 0,
            size: Vec::new(),
            deaths: BinaryHeap::new(),
        }
    }

    fn alloc(&mut self, size: u32) -> u32 {
        let id = self.spare.pop().unwrap_or_else(|| {
            self.next += 1;
            self.size.push(0);
            self.next - 1
        });
        self.size[id as usize] = size;
        self.ops.push(Op::Alloc { id, size });
        id
    }

    fn realloc(&mut self, id: u32, size: u32) {
        self.size[id as usize] = size;
        self.ops.push(Op::Realloc { id, size });
    }

    fn free(&mut self, id: u32) {
        self.size[id as usize] = 0;
        self.ops.push(Op::Free { id });
        self.spare.push(id);
    }

    /// Allocates a block that dies after a random number of further
    /// operations, log-uniform between 1 and `2^max_log`: most blocks die
    /// young, a few live long, as in real programs.
    fn alloc_mortal(&mut self, size: u32, max_log: usize) -> u32 {
        let id = self.alloc(size);
        let shift = self.rng.between(0, max_log);
        let life = self.rng.between(1 << shift, (2 << shift) - 1);
        self.deaths.push(Reverse((self.ops.len() + life, id)));
        id
    }

    /// Frees the blocks whose time has come.
    fn reap(&mut self) {
        while let Some(&Reverse((when, id))) = self.deaths.peek() {
            if when > self.ops.len() {
                break;
            }
            self.deaths.pop();
            self.free(id);
        }
    }

    /// Frees every live block, in id order.
    fn free_all(&mut self) {
        self.deaths.clear();
        for id in 0..self.next {
            if self.size[id as usize] != 0 {
                self.free(id);
            }
        }
    }

    fn finish(mut self, name: &str, about: &str) -> Trace {
        self.free_all();
        Trace::new(name, about, self.ops).expect("a generated pattern is a valid trace")
    }

    /// A random size in `lo..=hi`.
    fn size(&mut self, lo: u32, hi: u32) -> u32 {
        self.rng.between(lo as usize, hi as usize) as u32
    }

    /// Allocates a block of a random size in `lo..=hi`.
    fn alloc_between(&mut self, lo: u32, hi: u32) -> u32 {
        let size = self.size(lo, hi);
        self.alloc(size)
    }
}

/// Small objects, most 8-64 B, random lifetimes (most short, a few long).
fn random_small() -> Trace {
    let mut b = Builder::new(11);
    while b.ops.len() < 300_000 {
        let size = match b.rng.below(100) {
            0..70 => b.size(8, 64),
            70..95 => b.size(65, 256),
            _ => b.size(257, 1024),
        };
        b.alloc_mortal(size, 13);
        b.reap();
    }
    b.finish("random-small", "8 B-1 KiB (70% <= 64 B), log-uniform lifetimes up to 16k ops")
}

/// Two size classes allocated alternately, then one class freed: the holes
/// it leaves are too small for the next, larger requests.
fn two_class() -> Trace {
    let mut b = Builder::new(12);
    for _ in 0..6 {
        let pairs: Vec<(u32, u32)> = (0..3000)
            .map(|_| {
                let small = b.size(16, 48);
                let small = b.alloc(small);
                let large = b.size(200, 320);
                (small, b.alloc(large))
            })
            .collect();
        for &(_, large) in &pairs {
            b.free(large);
        }
        // Larger than any hole between the surviving small blocks.
        let big: Vec<u32> = (0..1500).map(|_| b.alloc_between(400, 700)).collect();
        // Half the small blocks die: some holes merge with their neighbours.
        for &(small, _) in &pairs {
            if b.rng.below(2) == 0 {
                b.free(small);
            }
        }
        // The freed class comes back.
        let again: Vec<u32> = (0..3000).map(|_| b.alloc_between(200, 320)).collect();
        for id in big.into_iter().chain(again) {
            b.free(id);
        }
        b.free_all();
    }
    b.finish(
        "two-class",
        "16-48 B and 200-320 B alternately, the larger freed, then 400-700 B requests",
    )
}

/// Long runs of neighbouring blocks freed (in random order within a run),
/// each run then needed whole by one larger request.
fn coalesce() -> Trace {
    let mut b = Builder::new(13);
    for _ in 0..5 {
        let blocks: Vec<(u32, u32)> = (0..20_000)
            .map(|_| {
                let s = b.size(16, 512);
                (b.alloc(s), s)
            })
            .collect();
        let mut at = 0;
        let mut runs = Vec::new();
        while at < blocks.len() {
            let len = b.rng.between(50, 400).min(blocks.len() - at);
            // The block after each run stays, so runs cannot merge with each other.
            let mut run: Vec<(u32, u32)> = blocks[at..at + len - 1].to_vec();
            for i in (1..run.len()).rev() {
                run.swap(i, b.rng.below(i + 1));
            }
            for &(id, _) in &run {
                b.free(id);
            }
            if !run.is_empty() {
                runs.push(run.iter().map(|&(_, s)| s).sum::<u32>());
            }
            at += len;
        }
        // One request per run, 60-90% of the bytes it freed.
        for total in runs {
            let share = b.size(60, 90);
            b.alloc(total / 100 * share);
        }
        b.free_all();
    }
    b.finish("coalesce", "20000 x 16-512 B, runs of 50-400 neighbours freed, then refilled whole")
}

/// A buffer grown through realloc by about 128 bytes at a time, with a
/// small block allocated between each two reallocs and the previous small
/// block freed: one small block is live at any time, but each lands
/// wherever the allocator puts it, perhaps right behind the buffer, where it
/// stops the next realloc from growing in place. (The shape of the malloc
/// lab's `realloc-bal` trace.)
fn realloc_interleaved() -> Trace {
    let mut b = Builder::new(14);
    for _ in 0..10 {
        let mut size = 512;
        let buffer = b.alloc(size);
        let mut small = b.alloc_between(16, 128);
        for _ in 0..4800 {
            size += b.size(64, 192);
            b.realloc(buffer, size);
            let next = b.alloc_between(16, 128);
            b.free(small);
            small = next;
        }
        b.free_all();
    }
    b.finish(
        "realloc-small",
        "a buffer grown ~128 B at a time to ~600 KiB by realloc, a small block allocated (and the last freed) between",
    )
}

/// Sizes up to 64 KiB (most small), random lifetimes, one operation in ten
/// a realloc of a live block to half or one and a half times its size.
fn mix_64k() -> Trace {
    let mut b = Builder::new(15);
    let mut live: Vec<u32> = Vec::new();
    while b.ops.len() < 200_000 {
        if b.rng.below(10) == 0 && !live.is_empty() {
            let id = live[b.rng.below(live.len())];
            let old = b.size[id as usize];
            if old != 0 {
                let new = if b.rng.below(2) == 0 { old / 2 } else { old + old / 2 };
                b.realloc(id, new.clamp(8, 64 * 1024));
                continue;
            }
        }
        let size = match b.rng.below(100) {
            0..60 => b.size(8, 128),
            60..85 => b.size(129, 1024),
            85..95 => b.size(1025, 8192),
            _ => b.size(8193, 64 * 1024),
        };
        let id = b.alloc_mortal(size, 11);
        live.push(id);
        if live.len() > 4096 {
            live.drain(..2048);
        }
        b.reap();
    }
    b.finish("mix-64k", "8 B-64 KiB (60% <= 128 B), random lifetimes, 10% reallocs by 0.5x/1.5x")
}
