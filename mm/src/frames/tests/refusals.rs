//! What the allocator refuses: a second free, frames it does not manage,
//! a bitmap too small; and that a refusal leaves everything as it was.

use super::*;
use crate::addr::PhysAddr;
use crate::frame::FreeError;
use std::collections::HashSet;

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

#[test]
fn debug_output_shows_counts() {
    let (mut mem, usable) = test_memory();
    let stack = new_stack(&mut mem, usable);
    let s = std::format!("{stack:?}");
    assert!(s.starts_with("FrameStack { free: ") && s.contains("total: "), "{s}");
}
