//! Where frames come from: untouched memory from the top down, freed frames
//! last in first out, the stack's pages after the frames they hold, and the
//! window moved only at page boundaries.

use super::*;
use crate::addr::PAGE_SIZE;
use std::collections::HashSet;

#[test]
fn starts_with_every_usable_frame_free_and_writes_no_frame() {
    let (mut mem, usable) = test_memory();
    let total = usable.total_frames();
    assert!(total > 2 * 1024, "test needs more than two stack pages");
    let mut stack = new_stack(&mut mem, usable);
    assert_eq!((stack.free_count(), stack.total_count()), (total, total));
    // Nothing is listed at boot: every frame of RAM still holds the fill.
    assert_eq!(stack.window_mut().remaps(), 0);
    stack.window_mut().with_memory(|m| {
        for n in 0..m.size() / PAGE_SIZE {
            let page = m.words(Frame::from_number(n).start());
            assert!(page.iter().all(|&w| w == FILL), "frame {n:#x} was written");
        }
    });
}

#[test]
fn untouched_frames_go_from_the_top_down_without_a_stack() {
    let (mut mem, usable) = test_memory();
    let mut descending = usable_numbers(&usable);
    descending.reverse();
    let mut stack = new_stack(&mut mem, usable);
    let drained: Vec<u32> = drain(&mut stack).iter().map(Frame::number).collect();
    assert_eq!(drained, descending);
    assert_eq!((stack.free_count(), stack.window_mut().remaps()), (0, 0));
}

#[test]
fn drain_hands_out_each_usable_frame_once_then_refill_restores_counts() {
    let (mut mem, usable) = test_memory();
    let expected: HashSet<u32> = usable_numbers(&usable).into_iter().collect();
    let mut stack = new_stack(&mut mem, usable);
    // Round 0 drains untouched memory, the later rounds a stack of every frame.
    for _round in 0..3 {
        let frames = drain(&mut stack);
        let numbers: HashSet<u32> = frames.iter().map(Frame::number).collect();
        assert_eq!(numbers.len(), frames.len(), "a frame was handed out twice");
        assert_eq!(numbers, expected);
        assert!(frames.iter().all(|f| f.start().is_aligned(PAGE_SIZE)));
        assert_eq!(stack.free_count(), 0);
        assert!(stack.allocate().is_none() && stack.allocate().is_none());
        free_all(&mut stack, frames);
        assert_eq!(stack.free_count(), stack.total_count());
    }
}

#[test]
fn freed_and_untouched_frames_together_are_each_handed_out_once() {
    let (mut mem, usable) = test_memory();
    let expected: HashSet<u32> = usable_numbers(&usable).into_iter().collect();
    let total = usable.total_frames();
    let mut stack = new_stack(&mut mem, usable);
    let mut held: Vec<Frame> = (0..2000).map(|_| stack.allocate().unwrap()).collect();
    // Every other one back: a stack of 1000 frames over untouched memory.
    let kept: Vec<Frame> = held
        .drain(..)
        .enumerate()
        .filter_map(|(i, f)| {
            if i % 2 == 0 {
                Some(f)
            } else {
                stack.free(f).unwrap();
                None
            }
        })
        .collect();
    assert_eq!(stack.free_count(), total - 1000);
    let rest = drain(&mut stack);
    let numbers: HashSet<u32> = rest.iter().chain(&kept).map(Frame::number).collect();
    assert_eq!(numbers.len(), rest.len() + kept.len(), "a frame was handed out twice");
    assert_eq!(numbers, expected);
}

#[test]
fn freed_frames_come_back_first_and_the_last_stack_page_after_untouched_ones() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let mut held: Vec<Option<Frame>> = (0..2000).map(|_| stack.allocate()).collect();
    let next_untouched = held[1999].as_ref().unwrap().number() - 1;
    // Freed in a scrambled order, across stack-page boundaries.
    let order: Vec<usize> = (0..1800).map(|i| (i * 7919) % 2000).collect();
    let mut freed = Vec::new();
    for &i in &order {
        let f = held[i].take().unwrap();
        freed.push(f.number());
        stack.free(f).unwrap();
    }
    // All but the first freed come back, last first ...
    for &n in freed[1..].iter().rev() {
        assert_eq!(stack.allocate().map(|f| f.number()), Some(n));
    }
    // ... then untouched memory, keeping the first freed (the stack's bottom
    // page) until untouched memory is used up.
    assert_eq!(stack.allocate().map(|f| f.number()), Some(next_untouched));
    let rest: Vec<u32> = drain(&mut stack).iter().map(Frame::number).collect();
    assert_eq!(rest.last(), Some(&freed[0]));
    // 200 frames are still held, 1800 were taken back.
    assert_eq!(rest.len() as u32, stack.total_count() - 2000);
}

#[test]
fn fast_path_does_not_remap() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    // Right after boot the stack is empty: the first free makes a stack page
    // (one remap), and pairs after it stay in that page.
    for _ in 0..5000 {
        let f = stack.allocate().unwrap();
        stack.free(f).unwrap();
    }
    assert_eq!(stack.window_mut().remaps(), 1);
    // Mid-page in a stack of several pages: no remap either.
    let held: Vec<Frame> = (0..2500).map(|_| stack.allocate().unwrap()).collect();
    free_all(&mut stack, held.into_iter().skip(100));
    // The page made by the first free already holds one frame.
    let pages = u64::from((2400_u32 + 1).div_ceil(1024));
    assert_eq!(stack.window_mut().remaps(), 1 + pages - 1);
    let before = stack.window_mut().remaps();
    for _ in 0..5000 {
        let f = stack.allocate().unwrap();
        stack.free(f).unwrap();
    }
    assert_eq!(stack.window_mut().remaps(), before);
    // Crossing a page boundary remaps, once per page left.
    drain(&mut stack);
    assert_eq!(stack.window_mut().remaps(), before + pages - 1);
}

#[test]
fn writes_only_into_free_frames() {
    let (mut mem, usable) = test_memory();
    let reserved: Vec<u32> = (0..mem.size() / PAGE_SIZE).filter(|&n| !usable.contains(n)).collect();
    let mut stack = new_stack(&mut mem, usable);
    // Hold some frames with a pattern in them while others come and go.
    let held: Vec<Frame> = (0..1500).map(|_| stack.allocate().unwrap()).collect();
    stack
        .window_mut()
        .with_memory(|m| held.iter().for_each(|f| m.words(f.start()).fill(f.number())));
    for _ in 0..2 {
        let rest = drain(&mut stack);
        free_all(&mut stack, rest);
    }
    stack.window_mut().with_memory(|m| {
        for f in &held {
            assert!(m.words(f.start()).iter().all(|&w| w == f.number()), "{f:?} was written");
        }
        for &n in &reserved {
            let page = m.words(Frame::from_number(n).start());
            assert!(page.iter().all(|&w| w == FILL), "reserved frame {n:#x} was written");
        }
    });
}
