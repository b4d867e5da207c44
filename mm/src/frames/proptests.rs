//! Random allocate/free sequences over random memory maps, against a model:
//! a `Vec` of untouched frames (handed out from the top) and a `Vec` stack
//! of freed ones, which together give the exact order, the free count and
//! what each free must answer. Every held frame carries a pattern the
//! allocator must not touch; frames that are not usable keep the fill.

extern crate std;

use super::tests::{FILL, new_stack};
use crate::addr::PAGE_SIZE;
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator, FreeError};
use crate::memmap::{ByteRange, MapEntry, MapKind, UsableMemory, clean};
use proptest::prelude::*;
use std::collections::HashSet;
use std::vec::Vec;

/// Emulated RAM for each case: 8 MiB, 2048 frames, two stack pages' worth.
const RAM: u32 = 8 << 20;
const FRAMES: u32 = RAM / PAGE_SIZE;

#[derive(Clone, Debug)]
enum Op {
    /// Allocate this many frames (more than are free drains the allocator).
    Allocate(u32),
    /// Free this many held frames, picked from `seed` onwards.
    Free(u32, usize),
    /// Free a frame number we do not hold (untouched, freed, reserved or
    /// beyond RAM): refused either way.
    FreeForeign(u32),
    /// Free the frame freed last once more, unless it was allocated since.
    FreeLastAgain,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1u32..1200).prop_map(Op::Allocate),
        3 => (1u32..1200, any::<usize>()).prop_map(|(n, s)| Op::Free(n, s)),
        1 => (0u32..FRAMES + 64).prop_map(Op::FreeForeign),
        1 => Just(Op::FreeLastAgain),
    ]
}

/// A memory map inside the emulated RAM: usable and reserved entries in any
/// order, overlapping or not, plus occupied ranges (a kernel, modules).
fn memory_map() -> impl Strategy<Value = UsableMemory> {
    let entry =
        (0..RAM, 1..RAM, prop_oneof![3 => Just(MapKind::Usable), 1 => Just(MapKind::Reserved)])
            .prop_map(|(base, len, kind)| {
                MapEntry::new(u64::from(base), u64::from(len.min(RAM - base)), kind)
            });
    let occupied = (0..RAM, 1..RAM / 8)
        .prop_map(|(base, len)| ByteRange::new(u64::from(base), u64::from(len)));
    (proptest::collection::vec(entry, 1..8), proptest::collection::vec(occupied, 0..4))
        .prop_filter_map("no usable memory", |(map, occupied)| clean(map, &occupied).ok())
}

/// What an allocated frame holds while it is ours.
fn mark(number: u32) -> u32 {
    0x5000_0000 | number
}

/// The allocator as it should behave.
struct Model {
    /// Untouched frames, ascending: the last is handed out next.
    untouched: Vec<u32>,
    /// Freed frames, last freed last.
    freed: Vec<u32>,
}

impl Model {
    /// The frame `allocate` must return: the last freed, except that the
    /// stack's last frame (its bottom page) waits for untouched memory to
    /// run out; then the highest untouched one.
    fn allocate(&mut self) -> Option<u32> {
        if self.freed.len() > 1 || self.untouched.is_empty() {
            self.freed.pop()
        } else {
            self.untouched.pop()
        }
    }

    fn free_count(&self) -> usize {
        self.freed.len() + self.untouched.len()
    }
}

proptest! {
    #![proptest_config(crate::proptest_cases::config(128))]

    #[test]
    fn random_sequences_over_random_maps_match_the_model(
        usable in memory_map(),
        ops in proptest::collection::vec(op(), 1..24),
    ) {
        let mut mem = PhysMemory::new(RAM);
        let usable_copy = usable.clone();
        let mut model = Model {
            untouched: usable.iter().flat_map(|r| r.numbers()).collect(),
            freed: Vec::new(),
        };
        let mut stack = new_stack(&mut mem, usable);
        let mut held: HashSet<u32> = HashSet::new();
        let mut held_list: Vec<Frame> = Vec::new();
        let mut last_freed: Option<u32> = None;

        for op in ops {
            match op {
                Op::Allocate(n) => {
                    for _ in 0..n {
                        let got = stack.allocate();
                        prop_assert_eq!(got.as_ref().map(Frame::number), model.allocate());
                        let Some(f) = got else { break };
                        prop_assert!(usable_copy.contains(f.number()), "{:?} is not usable", f);
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
                        model.freed.push(f.number());
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
            prop_assert_eq!(stack.free_count() as usize, model.free_count());
            prop_assert_eq!(stack.free_count() + held.len() as u32, stack.total_count());
        }

        // Give everything back: every frame is free again, and a full drain
        // hands out each usable frame exactly once.
        let back = held_list.len() as u32;
        for f in held_list.drain(..) {
            prop_assert_eq!(stack.free(f), Ok(()));
        }
        prop_assert_eq!(stack.free_count(), stack.total_count());
        let all: Vec<Frame> = core::iter::from_fn(|| stack.allocate()).collect();
        let distinct: HashSet<u32> = all.iter().map(Frame::number).collect();
        prop_assert_eq!(distinct.len(), all.len());
        prop_assert_eq!(all.len() as u32, usable_copy.total_frames());
        prop_assert!(back <= usable_copy.total_frames());

        stack.window_mut().with_memory(|m| {
            for n in (0..FRAMES).filter(|&n| !usable_copy.contains(n)) {
                let page = m.words(Frame::from_number(n).start());
                assert!(page.iter().all(|&w| w == FILL), "unusable frame {n:#x} was written");
            }
        });
    }
}
