//! The shared torture workload on the host: fixed seeds, a seed given by
//! `HEAP_TORTURE_SEED` (to replay a kernel failure; a fixed seed without
//! it), and a run with the frame budget of a 4 MiB machine.

use super::{assert_sound, heap, heap_with_frames};
use crate::heap::torture::{Slot, TortureConfig, torture};

fn replay_seed() -> Option<u64> {
    let text = std::env::var("HEAP_TORTURE_SEED").ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.expect("HEAP_TORTURE_SEED must be a decimal or 0x-hex u64"))
}

#[test]
fn torture_fixed_seeds() {
    for seed in [1, 2, 0xDEAD_BEEF, 0x5EED_0000_0000_0042] {
        let mut h = heap();
        let mut slots = [Slot::EMPTY; 128];
        let cfg = TortureConfig { ops: 4000, check_every: 16, ..TortureConfig::new(seed) };
        let report = torture(&mut h, &cfg, &mut slots).unwrap_or_else(|e| panic!("{e}"));
        assert!(report.mallocs + report.callocs + report.aligned > 0 && report.frees > 0);
        assert_eq!(h.stats().mapped_bytes, 0);
        assert_sound(&h);
    }
}

#[test]
fn torture_with_four_mebibytes_of_frames() {
    // About what a 4 MiB machine has left for its heap.
    let mut h = heap_with_frames(512);
    let mut slots = [Slot::EMPTY; 256];
    let cfg = TortureConfig { ops: 6000, max_size: 256 * 1024, ..TortureConfig::new(0x4D1B) };
    let report = torture(&mut h, &cfg, &mut slots).unwrap_or_else(|e| panic!("{e}"));
    assert!(report.peak_mapped <= 512 * 4096);
    assert_eq!(h.source().mapped_pages(), 0);
    assert_sound(&h);
}

/// The seed `torture_replay` runs when `HEAP_TORTURE_SEED` is not set.
const DEFAULT_REPLAY_SEED: u64 = 0x6B65_726E_656C; // "kernel"

/// `HEAP_TORTURE_SEED=0x... cargo test -p mm torture_replay -- --nocapture`
/// replays a seed the kernel printed, with the kernel's configuration;
/// without the variable it runs the same replay on a fixed seed, so the
/// test can always fail.
#[test]
fn torture_replay() {
    let seed = replay_seed().unwrap_or(DEFAULT_REPLAY_SEED);
    let mut h = heap();
    let mut slots = [Slot::EMPTY; 256];
    let cfg = TortureConfig { check_every: 1, ..TortureConfig::new(seed) };
    match torture(&mut h, &cfg, &mut slots) {
        Ok(report) => {
            println!("seed {seed:#x}: passed: {report:?}");
            assert!(report.frees > 0 && report.checks >= cfg.ops, "the run did the work");
            assert_eq!(h.stats().live_allocations, 0);
            assert_sound(&h);
        }
        Err(e) => panic!("{e}"),
    }
}
