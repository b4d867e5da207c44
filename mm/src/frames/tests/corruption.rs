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

/// Holds one frame (`live`) for the whole test; frees three more so that the
/// second lies on the stack as an ordinary entry (the first freed into an
/// empty stack becomes its page) under the third; takes the third back;
/// overwrites the second's entry with `bad(live's address)`; and returns
/// the panic message of the next allocate, the stack page and the index.
fn overwrite_an_entry(bad: impl FnOnce(u32) -> u32) -> (String, u32, usize, u32) {
    let (mut mem, usable) = test_memory();
    let mut stack = new_stack(&mut mem, usable);
    let live = stack.allocate().unwrap();
    let bad = bad(live.start().as_u32());
    let [page, entry, top] = [(); 3].map(|()| stack.allocate().unwrap());
    let entry_addr = entry.start().as_u32();
    for f in [page, entry, top] {
        stack.free(f).unwrap();
    }
    let _top = stack.allocate().unwrap();
    let (page, index) = stack.window_mut().with_memory(|m| {
        let (page, index) = find_entry(m, entry_addr);
        m.words(PhysAddr::new(page))[index] = bad;
        (page, index)
    });
    let message = panic_message(|| {
        let got = stack.allocate();
        std::eprintln!("handed out {got:?}");
    });
    let _ = live;
    (message, page, index, bad)
}

/// The entry overwritten with `bad(address of a live frame)` must stop the
/// allocator with a message naming the place, the value and `why`.
fn assert_reported(bad: impl FnOnce(u32) -> u32, why: &str) {
    let (message, page, index, bad) = overwrite_an_entry(bad);
    let place = std::format!("entry {index} of stack page {page:#010x} holds {bad:#010x}");
    assert!(message.starts_with("frame stack corrupted: "), "{message}");
    assert!(message.contains(&place), "{message:?} should name {place:?}");
    assert!(message.contains(why), "{message:?} should say {why:?}");
}

#[test]
fn an_entry_naming_frame_0_is_reported_not_handed_out() {
    assert_reported(|_| 0, "not usable RAM");
}

#[test]
fn an_entry_naming_a_reserved_frame_is_reported_not_handed_out() {
    // 0x300000..0x340000 is reserved in the test memory map, 0x100000.. the kernel.
    assert_reported(|_| 0x0030_1000, "not usable RAM");
    assert_reported(|_| 0x0010_0000, "not usable RAM");
}

#[test]
fn an_entry_beyond_ram_is_reported_not_handed_out() {
    assert_reported(|_| 0x4000_0000, "not usable RAM");
}

#[test]
fn a_misaligned_entry_is_reported_not_handed_out() {
    assert_reported(|_| 0x0040_0010, "not 4 KiB-aligned");
}

#[test]
fn an_entry_naming_an_allocated_frame_is_reported_not_handed_out() {
    assert_reported(|live| live, "a frame allocated out");
}

#[test]
fn an_entry_naming_an_untouched_frame_is_reported_not_handed_out() {
    // Untouched frames are free with their bit clear, like stacked ones: only
    // the watermark tells that this one is still to come from untouched memory.
    assert_reported(|_| 0x0000_5000, "never handed out");
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
