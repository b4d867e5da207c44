//! The frame stack over emulated RAM: boundaries between stack pages,
//! draining and refilling, refused frees, corruption, and what it writes.

extern crate std;

use super::*;
use crate::addr::{PAGE_SIZE, PhysAddr};
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator, FreeError};
use crate::memmap::{ByteRange, MapEntry, MapKind, UsableMemory, clean};
use std::boxed::Box;
use std::collections::HashSet;
use std::vec;
use std::vec::Vec;

pub(super) const FILL: u32 = 0xA5A5_A5A5;

/// 12 MiB of RAM with a reserved hole and an occupied "kernel": 2700-odd
/// usable frames, so more than two stack pages' worth, in three ranges.
pub(super) fn test_memory() -> (PhysMemory, UsableMemory) {
    let map = [
        MapEntry::new(0, 0x9f000, MapKind::Usable),
        MapEntry::new(0x100000, 0xb00000, MapKind::Usable),
        MapEntry::new(0x300000, 0x40000, MapKind::Reserved),
    ];
    let kernel = ByteRange::new(0x100000, 0x80000);
    (PhysMemory::new(12 << 20), clean(map, &[kernel]).unwrap())
}

pub(super) fn new_stack(
    mem: &mut PhysMemory,
    usable: UsableMemory,
) -> FrameStack<EmulatedWindow<'_>> {
    // Dirty storage: the constructor must clear it.
    let bitmap = Box::leak(vec![u32::MAX; bitmap_words(&usable)].into_boxed_slice());
    // SAFETY: the emulated memory is used by nothing but this stack.
    unsafe { FrameStack::new(EmulatedWindow::new(mem), usable, bitmap) }.unwrap()
}

fn drain(stack: &mut impl FrameAllocator) -> Vec<Frame> {
    core::iter::from_fn(|| stack.allocate()).collect()
}

fn usable_numbers(usable: &UsableMemory) -> Vec<u32> {
    usable.iter().flat_map(|r| r.numbers()).collect()
}

#[test]
fn starts_with_every_usable_frame_free() {
    let (mut mem, usable) = test_memory();
    let total = usable.total_frames();
    assert!(total > 2 * 1024, "test needs more than two stack pages");
    let stack = new_stack(&mut mem, usable);
    assert_eq!((stack.free_count(), stack.total_count()), (total, total));
}

#[test]
fn drain_hands_out_each_usable_frame_once_then_refill_restores_counts() {
    let (mut mem, usable) = test_memory();
    let expected: HashSet<u32> = usable_numbers(&usable).into_iter().collect();
    let mut stack = new_stack(&mut mem, usable);
    for _round in 0..2 {
        let frames = drain(&mut stack);
        let numbers: HashSet<u32> = frames.iter().map(Frame::number).collect();
        assert_eq!(numbers.len(), frames.len(), "a frame was handed out twice");
        assert_eq!(numbers, expected);
        assert!(frames.iter().all(|f| f.start().is_aligned(PAGE_SIZE)));
        assert_eq!(stack.free_count(), 0);
        assert!(stack.allocate().is_none() && stack.allocate().is_none());
        for f in frames {
            stack.free(f).unwrap();
        }
        assert_eq!(stack.free_count(), stack.total_count());
    }
}

#[test]
fn last_in_first_out_so_stack_pages_leave_after_their_entries() {
    let (mut mem, usable) = test_memory();
    let mut ascending = usable_numbers(&usable);
    let mut stack = new_stack(&mut mem, usable);
    // Built in ascending order, so drained in descending order: each stack
    // page (the 1st, 1025th, ... frame pushed) right after its 1023 entries,
    // and the lowest frame, the bottom page, last of all.
    let drained: Vec<u32> = drain(&mut stack).iter().map(Frame::number).collect();
    ascending.reverse();
    assert_eq!(drained, ascending);
    // Frees come back in reverse order too, across page boundaries.
    let order = [5u32, 900, 17, 2000, 1500, 3, 2500];
    for &n in &order {
        stack.free(Frame::from_number(drained[n as usize])).unwrap();
    }
    for &n in order.iter().rev() {
        assert_eq!(stack.allocate().map(|f| f.number()), Some(drained[n as usize]));
    }
}

#[test]
fn fast_path_does_not_remap() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let held: Vec<Frame> = (0..100).map(|_| stack.allocate().unwrap()).collect();
    let before = stack.window_mut().remaps();
    for _ in 0..5000 {
        let f = stack.allocate().unwrap();
        stack.free(f).unwrap();
    }
    assert_eq!(stack.window_mut().remaps(), before);
    // Crossing a page boundary does remap, once each way.
    let all: Vec<Frame> = drain(&mut stack);
    let pages = u64::from(stack.total_count()).div_ceil(1024);
    assert_eq!(stack.window_mut().remaps(), before + pages - 1);
    drop((all, held));
}

#[test]
fn double_free_is_refused_and_the_stack_stays_intact() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let a = stack.allocate().unwrap();
    let b = stack.allocate().unwrap();
    let (a_addr, b_num) = (a.start(), b.number());
    stack.free(a).unwrap();
    let forged = Frame::from_start(a_addr).unwrap();
    assert_eq!(stack.free(forged), Err(FreeError::DoubleFree(a_addr)));
    // A frame that was never handed out is free already, too.
    let never = Frame::from_number(0x200);
    assert_eq!(stack.free(never), Err(FreeError::DoubleFree(PhysAddr::new(0x200000))));
    assert_eq!(stack.free_count(), stack.total_count() - 1);
    let rest = drain(&mut stack);
    let numbers: HashSet<u32> = rest.iter().map(Frame::number).collect();
    assert_eq!(numbers.len(), rest.len());
    assert_eq!(rest.len() as u32, stack.total_count() - 1);
    assert!(!numbers.contains(&b_num));
}

#[test]
fn the_frame_freed_last_is_refused_again_whatever_happens_next() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let a = stack.allocate().unwrap();
    let b = stack.allocate().unwrap();
    let (a_addr, b_addr) = (a.start(), b.start());
    let again = |addr| Frame::from_start(addr).unwrap();
    // Freed last: its bitmap bit is settled lazily, the refusal is not.
    stack.free(a).unwrap();
    assert_eq!(stack.free(again(a_addr)), Err(FreeError::DoubleFree(a_addr)));
    stack.free(b).unwrap();
    assert_eq!(stack.free(again(a_addr)), Err(FreeError::DoubleFree(a_addr)));
    assert_eq!(stack.free(again(b_addr)), Err(FreeError::DoubleFree(b_addr)));
    // Allocated again and freed again: accepted each time.
    for _ in 0..3 {
        let f = stack.allocate().unwrap();
        assert_eq!(f.start(), b_addr);
        stack.free(f).unwrap();
    }
    assert_eq!(stack.free_count(), stack.total_count());
    let all = drain(&mut stack);
    assert_eq!(all.iter().map(Frame::number).collect::<HashSet<_>>().len(), all.len());
}

#[test]
fn the_frame_freed_last_can_be_the_only_stack_page() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let mut all = drain(&mut stack);
    let a = all.pop().unwrap();
    let a_addr = a.start();
    // Freed into an empty stack, it becomes the one stack page.
    stack.free(a).unwrap();
    assert_eq!(stack.free_count(), 1);
    assert_eq!(stack.free(Frame::from_start(a_addr).unwrap()), Err(FreeError::DoubleFree(a_addr)));
    let a = stack.allocate().unwrap();
    assert_eq!((a.start(), stack.allocate()), (a_addr, None));
    stack.free(a).unwrap();
    // A second frame goes into that page; the first is settled and refused.
    stack.free(all.pop().unwrap()).unwrap();
    assert_eq!(stack.free(Frame::from_start(a_addr).unwrap()), Err(FreeError::DoubleFree(a_addr)));
    assert_eq!(stack.free_count(), 2);
}

#[test]
fn frames_outside_usable_ram_are_refused() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    for addr in [0, 0x9f000, 0xb8000, 0x100000, 0x310000, 0xc00000, 0x1000_0000, 0xffff_f000] {
        let f = Frame::from_start(PhysAddr::new(addr)).unwrap();
        assert_eq!(stack.free(f), Err(FreeError::NotUsable(PhysAddr::new(addr))), "{addr:#x}");
    }
    assert_eq!(stack.free_count(), stack.total_count());
    assert_eq!(drain(&mut stack).len() as u32, stack.total_count());
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
    let rest = drain(&mut stack);
    for f in rest {
        stack.free(f).unwrap();
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

#[test]
fn bitmap_carved_from_the_top_is_never_handed_out() {
    let (mut mem, mut usable) = test_memory();
    let carved = usable.take_top(bitmap_frames(&usable)).unwrap();
    let mut stack = new_stack(&mut mem, usable);
    assert!(drain(&mut stack).iter().all(|f| !carved.contains(f.number())));
    let f = Frame::from_number(carved.start());
    assert_eq!(
        stack.free(f),
        Err(FreeError::NotUsable(Frame::from_number(carved.start()).start()))
    );
}

#[test]
fn too_small_bitmap_is_an_error() {
    let (mut mem, usable) = test_memory();
    let needed = bitmap_words(&usable);
    let short = Box::leak(vec![0; needed - 1].into_boxed_slice());
    // SAFETY: the emulated memory is used by nothing but this stack.
    let result = unsafe { FrameStack::new(EmulatedWindow::new(&mut mem), usable, short) };
    assert_eq!(result.unwrap_err(), BitmapTooSmall { needed, given: needed - 1 });
    assert!(mem.words(PhysAddr::new(0x1000)).iter().all(|&w| w == FILL));
}

#[test]
fn an_empty_stack_refuses_everything() {
    let (mut mem, mut usable) = test_memory();
    usable.remove(ByteRange::new(0, 1 << 32)).unwrap();
    let mut stack = new_stack(&mut mem, usable);
    assert_eq!((stack.free_count(), stack.total_count()), (0, 0));
    assert!(stack.allocate().is_none());
    let f = Frame::from_number(5);
    assert_eq!(stack.free(f), Err(FreeError::NotUsable(PhysAddr::new(0x5000))));
}

/// Where the construction order puts things: frame `i` (0-based, ascending)
/// is a stack page if `i % 1024 == 0`, else entry `i % 1024` of page
/// `i - i % 1024`.
fn top_page_and_len(numbers: &[u32]) -> (PhysAddr, usize) {
    let last = numbers.len() - 1;
    (Frame::from_number(numbers[last - last % 1024]).start(), last % 1024)
}

#[test]
#[should_panic(expected = "frame stack corrupted: an entry")]
fn an_overwritten_entry_is_reported_not_handed_out() {
    let (mut mem, usable) = test_memory();
    let (top, len) = top_page_and_len(&usable_numbers(&usable));
    let mut stack = new_stack(&mut mem, usable);
    let a = stack.allocate().unwrap();
    // A use after free: someone writes a live frame's address into the stack.
    stack.window_mut().with_memory(|m| m.words(top)[len - 1] = a.start().as_u32());
    stack.allocate();
}

#[test]
#[should_panic(expected = "frame stack corrupted: stack page link")]
fn an_overwritten_link_is_reported() {
    let (mut mem, usable) = test_memory();
    let (top, _) = top_page_and_len(&usable_numbers(&usable));
    let mut stack = new_stack(&mut mem, usable);
    stack.window_mut().with_memory(|m| m.words(top)[0] = 0x1234);
    drain(&mut stack);
}

#[test]
fn debug_output_shows_counts() {
    let (mut mem, usable) = test_memory();
    let stack = new_stack(&mut mem, usable);
    let s = std::format!("{stack:?}");
    assert!(s.starts_with("FrameStack { free: ") && s.contains("total: "), "{s}");
}
