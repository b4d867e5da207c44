//! Property test: long random sequences of every operation against a
//! simple model (a list of live allocations with their contents), checking
//! contents, alignment, disjointness and `check` after every step.

use proptest::prelude::*;

use super::{TestOps, assert_sound, fill, heap_with_frames, verify};
use crate::heap::HeapError;

#[derive(Clone, Debug)]
enum Op {
    Malloc(usize),
    Calloc(usize, usize),
    Aligned(usize, u32),
    Realloc(usize, usize),
    Free(usize),
    Trim,
}

fn size() -> impl Strategy<Value = usize> {
    prop_oneof![6 => 0..=256usize, 3 => 0..=4096usize, 1 => 0..=70_000usize]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => size().prop_map(Op::Malloc),
        1 => (1..8usize, size()).prop_map(|(count, size)| Op::Calloc(count, size / count)),
        2 => (size(), 0..13u32).prop_map(|(size, shift)| Op::Aligned(size, shift)),
        3 => (any::<usize>(), size()).prop_map(|(i, size)| Op::Realloc(i, size)),
        4 => any::<usize>().prop_map(Op::Free),
        1 => Just(Op::Trim),
    ]
}

/// A live allocation of the model.
struct Live {
    ptr: *mut u8,
    len: usize,
    key: u8,
}

fn run(ops: Vec<Op>, frames: usize) {
    let mut h = heap_with_frames(frames);
    let mut model: Vec<Live> = Vec::new();
    for (step, op) in ops.into_iter().enumerate() {
        let key = step as u8;
        let allocated = match op {
            Op::Malloc(size) => Some((h.malloc(size), size, 8)),
            Op::Calloc(count, size) => Some((h.calloc(count, size), count * size, 8)),
            Op::Aligned(size, shift) => {
                Some((h.malloc_aligned(size, 1 << shift), size, 1 << shift))
            }
            Op::Realloc(_, _) | Op::Free(_) if model.is_empty() => None,
            Op::Realloc(i, size) => {
                let i = i % model.len();
                let live = &model[i];
                match h.test_realloc(live.ptr, size) {
                    Ok(p) => {
                        verify(p.as_ptr(), live.len.min(size), live.key);
                        fill(p.as_ptr(), size, key);
                        model[i] = Live { ptr: p.as_ptr(), len: size, key };
                    }
                    Err(HeapError::OutOfMemory { .. }) => {}
                    Err(e) => panic!("step {step}: realloc: {e}"),
                }
                None
            }
            Op::Free(i) => {
                let live = model.swap_remove(i % model.len());
                verify(live.ptr, live.len, live.key);
                h.test_free(live.ptr).unwrap();
                None
            }
            Op::Trim => {
                h.trim().unwrap();
                None
            }
        };
        if let Some((result, len, align)) = allocated {
            match result {
                Ok(p) => {
                    let p = p.as_ptr();
                    assert_eq!(p as usize % align.max(8), 0, "step {step}: alignment");
                    if matches!(op, Op::Calloc(..)) {
                        // SAFETY: `p` is a live calloc allocation of `len` bytes.
                        (0..len).for_each(|i| assert_eq!(unsafe { p.add(i).read() }, 0));
                    }
                    fill(p, len, key);
                    model.push(Live { ptr: p, len, key });
                }
                Err(HeapError::OutOfMemory { .. }) => {}
                Err(e) => panic!("step {step}: {op:?}: {e}"),
            }
        }
        assert_sound(&h);
        assert_eq!(h.stats().live_allocations, model.len());
        let mut ranges: Vec<_> = model.iter().map(|l| (l.ptr as usize, l.len.max(1))).collect();
        ranges.sort();
        for w in ranges.windows(2) {
            assert!(w[0].0 + w[0].1 <= w[1].0, "step {step}: allocations overlap");
        }
        model.iter().for_each(|l| verify(l.ptr, l.len, l.key));
    }
    for live in model {
        h.test_free(live.ptr).unwrap();
    }
    let s = h.stats();
    assert_eq!((s.mapped_bytes, s.live_allocations), (0, 0));
    assert_eq!(s.pages_grown, s.pages_returned);
    assert_sound(&h);
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(64))]

    #[test]
    fn random_sequences_match_the_model(ops in proptest::collection::vec(op(), 1..300)) {
        run(ops, usize::MAX);
    }

    #[test]
    fn random_sequences_survive_running_out_of_frames(
        ops in proptest::collection::vec(op(), 1..300),
        frames in 1..48usize,
    ) {
        run(ops, frames);
    }
}
