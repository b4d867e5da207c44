//! Random allocate/free sequences against two models: a `HashSet` of the
//! frames held (uniqueness and counts) and a plain `Vec` stack (the exact
//! last-in first-out order). Every held frame carries a pattern the
//! allocator must not touch; reserved frames must keep the fill pattern.

extern crate std;

use super::tests::{FILL, new_stack, test_memory};
use crate::addr::PAGE_SIZE;
use crate::frame::{Frame, FrameAllocator, FreeError};
use proptest::prelude::*;
use std::collections::HashSet;
use std::vec::Vec;

#[derive(Clone, Debug)]
enum Op {
    /// Allocate this many frames (more than are free drains the stack).
    Allocate(u32),
    /// Free this many held frames, picked from `seed` onwards.
    Free(u32, usize),
    /// Free a frame number we do not hold: refused either way.
    FreeForeign(u32),
    /// Free the frame freed last once more, unless it was allocated since.
    FreeLastAgain,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..1500).prop_map(Op::Allocate),
        3 => (1u32..1500, any::<usize>()).prop_map(|(n, s)| Op::Free(n, s)),
        1 => (0u32..0xd00).prop_map(Op::FreeForeign),
        1 => Just(Op::FreeLastAgain),
    ]
}

/// What an allocated frame holds while it is ours.
fn mark(number: u32) -> u32 {
    0x5000_0000 | number
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(128))]

    #[test]
    fn random_allocate_free_sequences_match_the_models(ops in proptest::collection::vec(op(), 1..24)) {
        let (mut mem, usable) = test_memory();
        let frames_in_mem = mem.size() / PAGE_SIZE;
        let usable_copy = usable.clone();
        let mut order: Vec<u32> = usable.iter().flat_map(|r| r.numbers()).collect();
        let mut stack = new_stack(&mut mem, usable);
        let mut held: HashSet<u32> = HashSet::new();
        let mut held_list: Vec<Frame> = Vec::new();
        let mut last_freed: Option<u32> = None;

        for op in ops {
            match op {
                Op::Allocate(n) => {
                    for _ in 0..n {
                        let got = stack.allocate();
                        prop_assert_eq!(got.as_ref().map(Frame::number), order.pop());
                        let Some(f) = got else { break };
                        prop_assert!(usable_copy.contains(f.number()));
                        prop_assert!(held.insert(f.number()), "{:?} handed out twice", f);
                        stack.window_mut().with_memory(|m| {
                            let page = m.words(f.start());
                            page[0] = mark(f.number());
                            page[1023] = mark(f.number());
                        });
                        held_list.push(f);
                    }
                }
                Op::Free(n, seed) => {
                    for i in 0..n as usize {
                        if held_list.is_empty() {
                            break;
                        }
                        let f = held_list.swap_remove(seed.wrapping_add(i * 7) % held_list.len());
                        let intact = stack.window_mut().with_memory(|m| {
                            let page = m.words(f.start());
                            page[0] == mark(f.number()) && page[1023] == mark(f.number())
                        });
                        prop_assert!(intact, "the allocator wrote into held {:?}", f);
                        held.remove(&f.number());
                        order.push(f.number());
                        last_freed = Some(f.number());
                        prop_assert_eq!(stack.free(f), Ok(()));
                    }
                }
                Op::FreeForeign(n) => {
                    if held.contains(&n) {
                        continue;
                    }
                    let f = Frame::from_number(n);
                    let addr = f.start();
                    let expected = if usable_copy.contains(n) {
                        FreeError::DoubleFree(addr)
                    } else {
                        FreeError::NotUsable(addr)
                    };
                    prop_assert_eq!(stack.free(f), Err(expected));
                }
                Op::FreeLastAgain => {
                    let Some(n) = last_freed.filter(|n| !held.contains(n)) else { continue };
                    let f = Frame::from_number(n);
                    let addr = f.start();
                    prop_assert_eq!(stack.free(f), Err(FreeError::DoubleFree(addr)));
                }
            }
            prop_assert_eq!(stack.free_count() as usize, order.len());
            prop_assert_eq!(stack.free_count() + held.len() as u32, stack.total_count());
        }

        stack.window_mut().with_memory(|m| {
            for n in (0..frames_in_mem).filter(|&n| !usable_copy.contains(n)) {
                let page = m.words(Frame::from_number(n).start());
                assert!(page.iter().all(|&w| w == FILL), "reserved frame {n:#x} was written");
            }
        });
    }
}
