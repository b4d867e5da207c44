//! The demonstration `make run` starts: a process watching its own memory
//! as it grows its heap, maps memory, recurses down its stack and gives it
//! all back, while two `ticker`s take turns beside it.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::prot;
use user::{println, sys};

fn show(what: &str) {
    match sys::meminfo() {
        Ok(m) => println!(
            "demo: {what:<28} {:>3} frames: image {}, heap {}, mmap {}, stack {}, tables {}",
            m.total, m.image, m.heap, m.anonymous, m.stack, m.page_tables
        ),
        Err(e) => println!("demo: meminfo failed: {e}"),
    }
}

#[inline(never)]
fn recurse(depth: u32) -> u32 {
    let frame = core::hint::black_box([depth as u8; 1024]);
    if depth == 0 { 0 } else { recurse(depth - 1) + u32::from(frame[7]) }
}

fn run(_arg: u32) -> i32 {
    println!("demo: process {} starts; memory comes only when touched", sys::getpid());
    show("at start");
    let heap = sys::sbrk(256 * 1024).unwrap_or(0);
    show("after sbrk(256 KiB)");
    for i in 0..64 {
        // SAFETY: the heap's 256 KiB start at `heap`; touching a page maps it.
        unsafe { ((heap + i * 4096) as *mut u32).write_volatile(i) };
    }
    show("after touching 64 heap pages");
    let map = sys::mmap(128 * 1024, prot::READ | prot::WRITE).unwrap_or(0);
    for i in 0..32 {
        // SAFETY: the mapping's 128 KiB start at `map`.
        unsafe { ((map + i * 4096) as *mut u32).write_volatile(i) };
    }
    show("after touching 32 mmap pages");
    let sum = recurse(100);
    show("after a 100 KiB recursion");
    let _ = sys::munmap(map, 128 * 1024);
    let _ = sys::brk(heap);
    show("after munmap and brk back");
    println!("demo: done (recursion sum {sum}); every frame goes back when it exits");
    0
}

user::program!(run);
