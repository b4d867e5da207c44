//! Grows the heap with `sbrk` to `arg` bytes, writes every word, reads it
//! all back, checks `brk` and `meminfo`, then shrinks it to nothing.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::{println, sys};

fn run(arg: u32) -> i32 {
    let size = arg.max(4096) & !3;
    let Ok(start) = sys::sbrk(0) else { return 1 };
    if sys::sbrk(size as i32).is_err() {
        println!("heap: sbrk({size}) failed");
        return 2;
    }
    if sys::brk(0) != Ok(start + size) {
        return 3;
    }
    let words = size / 4;
    let base = start as *mut u32;
    for i in 0..words {
        // SAFETY: `start..start + size` is this process's heap now.
        unsafe { base.add(i as usize).write_volatile(i ^ 0xA5A5_0000) };
    }
    for i in 0..words {
        // SAFETY: as above.
        if unsafe { base.add(i as usize).read_volatile() } != i ^ 0xA5A5_0000 {
            println!("heap: word {i} read back wrong");
            return 4;
        }
    }
    let info = sys::meminfo().unwrap_or_default();
    if info.heap != size.div_ceil(4096) || info.heap_bytes != size {
        println!("heap: meminfo says {} pages, {} bytes", info.heap, info.heap_bytes);
        return 5;
    }
    println!("heap: {} KiB grown by sbrk, written and read back", size / 1024);
    if sys::brk(start) != Ok(start) || sys::meminfo().unwrap_or_default().heap != 0 {
        return 6;
    }
    // Below the heap's start and into the mapping area: refused.
    if sys::brk(start - 4096).is_ok() || sys::brk(0x4000_1000).is_ok() {
        return 7;
    }
    0
}

user::program!(run);
