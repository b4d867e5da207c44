//! Host tests of the reference-count table over emulated RAM: what it
//! costs (nothing until something is shared), its chunks coming and
//! going, running out of frames, the two bugs it reports, and random
//! share/release sequences against a model.

use super::counts::{FRAMES_PER_CHUNK, MAX_USERS, OutOfFrames, Released};
use super::*;
use crate::addr::PAGE_SIZE;
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator};
use crate::paging::testing::{RAM_FRAMES, TestFrames};
use proptest::prelude::*;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

fn table() -> FrameCounts<EmulatedFrames> {
    let memory = Rc::new(RefCell::new(PhysMemory::new(RAM_FRAMES * PAGE_SIZE)));
    FrameCounts::new(EmulatedFrames::new(memory))
}

#[test]
fn nothing_shared_costs_nothing() {
    let mut counts = table();
    assert_eq!(counts.frames_held(), 0);
    assert_eq!(counts.shared_frames(), 0);
    assert_eq!(counts.users(&Frame::from_number(300)), 1, "a frame it does not know has one user");
}

#[test]
fn sharing_takes_a_directory_and_a_chunk_and_gives_them_back() {
    let mut counts = table();
    let mut frames = TestFrames::new(16);
    let free = frames.free_count();
    let page = frames.allocate().unwrap();
    let second = counts.share(&page, &mut frames).unwrap();
    assert_eq!(second.start(), page.start(), "a token for the same frame");
    assert_eq!(counts.frames_held(), 2, "the directory and one chunk");
    assert_eq!(frames.free_count(), free - 3);
    let third = counts.share(&page, &mut frames).unwrap();
    assert_eq!(counts.users(&page), 3);
    assert_eq!(counts.frames_held(), 2, "the same chunk");
    assert_eq!(counts.shared_frames(), 1);

    assert_eq!(counts.release(third, &mut frames), Released::StillShared(2));
    assert_eq!(counts.release(second, &mut frames), Released::StillShared(1));
    assert_eq!(counts.frames_held(), 0, "nothing shared: the table's frames are back");
    assert_eq!(counts.users(&page), 1);
    assert_eq!(counts.release(page, &mut frames), Released::Freed);
    assert_eq!(frames.free_count(), free, "every frame back, the page with its last user");
}

#[test]
fn each_chunk_covers_8_mib_and_goes_with_its_last_shared_frame() {
    let mut counts = table();
    let mut frames = TestFrames::new(16);
    // Frames in chunks 0, 1 and 300: only their numbers are used.
    let low = Frame::from_number(7);
    let next = Frame::from_number(FRAMES_PER_CHUNK + 7);
    let high = Frame::from_number(300 * FRAMES_PER_CHUNK);
    let tokens: Vec<Frame> =
        [&low, &next, &high].iter().map(|f| counts.share(f, &mut frames).unwrap()).collect();
    assert_eq!(counts.frames_held(), 4, "the directory and three chunks");
    assert_eq!(counts.users(&next), 2);
    assert_eq!(counts.users(&Frame::from_number(FRAMES_PER_CHUNK + 8)), 1, "its neighbour");
    let mut tokens = tokens.into_iter();
    assert_eq!(counts.release(tokens.next().unwrap(), &mut frames), Released::StillShared(1));
    assert_eq!(counts.frames_held(), 3, "chunk 0 went");
    assert_eq!(counts.users(&low), 1);
    for t in tokens {
        counts.release(t, &mut frames);
    }
    assert_eq!(counts.frames_held(), 0);
    assert_eq!(frames.free_count(), 16);
}

#[test]
fn out_of_frames_changes_nothing() {
    let mut counts = table();
    let page = Frame::from_number(400);
    let mut none = TestFrames::new(0);
    assert_eq!(counts.share(&page, &mut none).unwrap_err(), OutOfFrames);
    // One frame: the directory is made, the chunk cannot be; the directory
    // goes back.
    let mut one = TestFrames::new(1);
    assert_eq!(counts.share(&page, &mut one).unwrap_err(), OutOfFrames);
    assert_eq!(one.free_count(), 1);
    assert_eq!(counts.frames_held(), 0);
    assert_eq!(counts.users(&page), 1);
    // With a directory already there, a new chunk alone fails cleanly too.
    let mut two = TestFrames::new(2);
    let token = counts.share(&page, &mut two).unwrap();
    let far = Frame::from_number(3 * FRAMES_PER_CHUNK);
    assert_eq!(counts.share(&far, &mut two).unwrap_err(), OutOfFrames);
    assert_eq!(counts.frames_held(), 2);
    assert_eq!(counts.users(&far), 1);
    counts.release(token, &mut two);
    assert_eq!(two.free_count(), 2);
}

#[test]
#[should_panic(expected = "the count overflows")]
fn a_count_that_would_overflow_is_a_bug() {
    let mut counts = table();
    let mut frames = TestFrames::new(4);
    let page = Frame::from_number(400);
    for _ in 1..MAX_USERS {
        // Each token is a user that never lets go.
        let _leaked = counts.share(&page, &mut frames).unwrap();
    }
    assert_eq!(counts.users(&page), MAX_USERS);
    let _ = counts.share(&page, &mut frames);
}

#[test]
#[should_panic(expected = "its count would fall below zero")]
fn a_release_below_zero_is_a_bug() {
    let mut counts = table();
    let mut frames = TestFrames::new(4);
    let page = frames.allocate().unwrap();
    let again = Frame::from_number(page.number());
    assert_eq!(counts.release(page, &mut frames), Released::Freed);
    counts.release(again, &mut frames);
}

#[derive(Clone, Debug)]
enum Op {
    Share(usize),
    Release(usize),
}

/// Frames in three chunks, two of them in one.
const NUMBERS: [u32; 4] = [5, 9, FRAMES_PER_CHUNK + 1, 100 * FRAMES_PER_CHUNK];

proptest! {
    #[test]
    fn counts_match_a_model(ops in proptest::collection::vec(
        prop_oneof![(0..4usize).prop_map(Op::Share), (0..4usize).prop_map(Op::Release)], 1..200))
    {
        let mut counts = table();
        let mut frames = TestFrames::new(8);
        let mut model: BTreeMap<u32, Vec<Frame>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Share(i) => {
                    let frame = Frame::from_number(NUMBERS[i]);
                    let token = counts.share(&frame, &mut frames).unwrap();
                    model.entry(NUMBERS[i]).or_default().push(token);
                }
                Op::Release(i) => {
                    // Only extra users are released here: the first user's
                    // frame is not the test allocator's to take back.
                    if let Some(token) = model.get_mut(&NUMBERS[i]).and_then(Vec::pop) {
                        let left = model[&NUMBERS[i]].len() as u32 + 1;
                        prop_assert_eq!(counts.release(token, &mut frames), Released::StillShared(left));
                    }
                }
            }
            let chunks: std::collections::BTreeSet<u32> = model
                .iter()
                .filter(|(_, t)| !t.is_empty())
                .map(|(n, _)| n / FRAMES_PER_CHUNK)
                .collect();
            let expected = if chunks.is_empty() { 0 } else { 1 + chunks.len() as u32 };
            prop_assert_eq!(counts.frames_held(), expected);
            prop_assert_eq!(frames.free_count() as u32, 8 - expected);
            for n in NUMBERS {
                let extra = model.get(&n).map_or(0, Vec::len) as u32;
                prop_assert_eq!(counts.users(&Frame::from_number(n)), 1 + extra);
            }
        }
    }
}
