//! A stack entry overwritten while its frame is free (a use after free, a
//! stray DMA) must stop the allocator with the stack page and the index of
//! the bad entry, never be handed out.

extern crate std;

use super::{drain, free_all, new_stack, test_memory};
use crate::addr::{PAGE_SIZE, PhysAddr};
use crate::emulate::PhysMemory;
use crate::frame::{Frame, FrameAllocator};
use std::string::String;
use std::vec::Vec;

/// Where the stack keeps frame `addr`: (stack page, word index). Found by
/// searching emulated RAM, so the test needs no knowledge of the layout.
fn find_entry(mem: &mut PhysMemory, addr: u32) -> (u32, usize) {
    let mut found = Vec::new();
    for page in (0..mem.size()).step_by(PAGE_SIZE as usize) {
        let words = mem.words(PhysAddr::new(page));
        for (i, &w) in words.iter().enumerate().skip(1) {
            if w == addr {
                found.push((page, i));
            }
        }
    }
    assert_eq!(found.len(), 1, "frame {addr:#x} should be on the stack exactly once");
    found[0]
}

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .expect_err("the allocator handed out a corrupted entry instead of stopping");
    match err.downcast::<String>() {
        Ok(s) => *s,
        Err(e) => String::from(*e.downcast::<&str>().expect("a string panic")),
    }
}

/// Frees two frames so that the first lies on the stack as an ordinary
/// entry under the second; takes the second back; overwrites the first's
/// entry with `bad`; and returns the panic message of the next allocate.
fn overwrite_an_entry_with(bad: u32) -> (String, u32, usize) {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let held: Vec<Frame> = (0..3).map(|_| stack.allocate().unwrap()).collect();
    let [first, second, keep] = <[Frame; 3]>::try_from(held).unwrap();
    let first_addr = first.start().as_u32();
    stack.free(keep).unwrap();
    stack.free(first).unwrap();
    stack.free(second).unwrap();
    let _second = stack.allocate().unwrap();
    let (page, index) = stack.window_mut().with_memory(|m| {
        let (page, index) = find_entry(m, first_addr);
        m.words(PhysAddr::new(page))[index] = bad;
        (page, index)
    });
    let message = panic_message(|| {
        let got = stack.allocate();
        std::eprintln!("handed out {got:?}");
    });
    (message, page, index)
}

fn assert_reported(bad: u32, why: &str) {
    let (message, page, index) = overwrite_an_entry_with(bad);
    let place = std::format!("entry {index} of stack page {page:#010x} holds {bad:#010x}");
    assert!(message.starts_with("frame stack corrupted: "), "{message}");
    assert!(message.contains(&place), "{message:?} should name {place:?}");
    assert!(message.contains(why), "{message:?} should say {why:?}");
}

#[test]
fn an_entry_naming_frame_0_is_reported_not_handed_out() {
    assert_reported(0, "not usable RAM");
}

#[test]
fn an_entry_naming_a_reserved_frame_is_reported_not_handed_out() {
    // 0x300000..0x340000 is reserved in the test memory map, 0x100000.. the kernel.
    assert_reported(0x0030_1000, "not usable RAM");
    assert_reported(0x0010_0000, "not usable RAM");
}

#[test]
fn an_entry_beyond_ram_is_reported_not_handed_out() {
    assert_reported(0x4000_0000, "not usable RAM");
}

#[test]
fn a_misaligned_entry_is_reported_not_handed_out() {
    assert_reported(0x0040_0010, "not 4 KiB-aligned");
}

#[test]
fn an_entry_naming_an_allocated_frame_is_reported_not_handed_out() {
    // A frame held for the whole test, written into a free entry.
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let live = stack.allocate().unwrap();
    let live_addr = live.start().as_u32();
    let [page, a, b] = [(); 3].map(|()| stack.allocate().unwrap());
    let a_addr = a.start().as_u32();
    // The first frame freed into an empty stack becomes its page, the next an entry.
    stack.free(page).unwrap();
    stack.free(a).unwrap();
    stack.free(b).unwrap();
    let _b = stack.allocate().unwrap();
    let (page, index) = stack.window_mut().with_memory(|m| {
        let (page, index) = find_entry(m, a_addr);
        m.words(PhysAddr::new(page))[index] = live_addr;
        (page, index)
    });
    let message = panic_message(|| {
        stack.allocate();
    });
    let place = std::format!("entry {index} of stack page {page:#010x} holds {live_addr:#010x}");
    assert!(message.contains(&place) && message.contains("allocated out"), "{message}");
    let _ = live;
}

#[test]
fn an_entry_naming_an_untouched_frame_is_reported_not_handed_out() {
    // Untouched frames are free with their bit clear, like stacked ones: only
    // the watermark tells that this one is still to come from untouched memory.
    let (message, _, _) = overwrite_an_entry_with(0x0000_5000);
    assert!(message.contains("never handed out"), "{message}");
}

#[test]
fn an_overwritten_link_is_reported_with_its_page() {
    for (bad, why) in
        [(0x1234, "not 4 KiB-aligned"), (0, "not usable RAM"), (0x0030_0000, "not usable RAM")]
    {
        let (mut mem, usable) = test_memory();
        let mut stack = new_stack(&mut mem, usable);
        let held: Vec<Frame> = (0..2100).map(|_| stack.allocate().unwrap()).collect();
        let addrs: Vec<u32> = held.iter().map(|f| f.start().as_u32()).collect();
        free_all(&mut stack, held);
        // The third page links to the second.
        let (second, third) = (addrs[1024], addrs[2048]);
        stack.window_mut().with_memory(|m| {
            assert_eq!(m.words(PhysAddr::new(third))[0], second, "layout as documented");
            m.words(PhysAddr::new(third))[0] = bad;
        });
        let message = panic_message(|| {
            drain(&mut stack);
        });
        let place = std::format!("the link (word 0) of stack page {third:#010x} holds {bad:#010x}");
        assert!(message.contains(&place), "{message:?} should name {place:?}");
        assert!(
            message.contains(why) && message.contains("2 stack pages are counted below"),
            "{message}"
        );
    }
}

#[test]
fn a_link_written_into_the_bottom_page_is_reported() {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let held: Vec<Frame> = (0..1100).map(|_| stack.allocate().unwrap()).collect();
    let bottom = held[0].start().as_u32();
    let valid_looking = held[1099].start().as_u32();
    free_all(&mut stack, held);
    stack.window_mut().with_memory(|m| m.words(PhysAddr::new(bottom))[0] = valid_looking);
    let message = panic_message(|| {
        drain(&mut stack);
    });
    assert!(message.contains(&std::format!("bottom stack page {bottom:#010x}")), "{message}");
}
