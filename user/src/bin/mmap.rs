//! `mmap`/`munmap` churn: maps, touches, checks zero fill and rights,
//! unmaps parts and wholes, `arg` rounds; memory use must come back.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{errno, prot};
use user::rng::Rng;
use user::{println, sys};

fn touch(addr: u32, pages: u32, value: u32) -> bool {
    for i in 0..pages {
        let p = (addr + i * 4096) as *mut u32;
        // SAFETY: `addr..addr + pages * 4 KiB` is a writable mapping of ours.
        unsafe {
            if p.read_volatile() != 0 {
                return false; // not zero-filled
            }
            p.write_volatile(value);
        }
    }
    true
}

fn run(arg: u32) -> i32 {
    let rounds = arg.clamp(1, 1000);
    let before = sys::meminfo().unwrap_or_default();
    let mut rng = Rng::new(rounds);
    let mut live: [(u32, u32); 8] = [(0, 0); 8];
    for round in 0..rounds {
        let slot = rng.below(8) as usize;
        let (addr, pages) = live[slot];
        if pages != 0 {
            if sys::munmap(addr, pages * 4096).is_err() {
                return 1;
            }
            live[slot] = (0, 0);
        } else {
            let pages = 1 + rng.below(16);
            let Ok(addr) = sys::mmap(pages * 4096, prot::READ | prot::WRITE) else { return 2 };
            if !touch(addr, pages, round + 1) {
                println!("mmap: page of {addr:#x} not zero-filled");
                return 3;
            }
            live[slot] = (addr, pages);
        }
    }
    // A split: unmap the middle page of a three-page mapping.
    let Ok(a) = sys::mmap(3 * 4096, prot::READ | prot::WRITE) else { return 4 };
    touch(a, 3, 9);
    if sys::munmap(a + 4096, 4096).is_err() || sys::munmap(a, 3 * 4096) != Err(errno::EINVAL) {
        return 5;
    }
    let _ = sys::munmap(a, 4096);
    let _ = sys::munmap(a + 8192, 4096);
    // Read-only memory reads as zeros.
    let Ok(ro) = sys::mmap(4096, prot::READ) else { return 6 };
    // SAFETY: a readable mapping of ours.
    if unsafe { (ro as *const u32).read_volatile() } != 0 {
        return 7;
    }
    let _ = sys::munmap(ro, 4096);
    for (addr, pages) in live {
        if pages != 0 && sys::munmap(addr, pages * 4096).is_err() {
            return 8;
        }
    }
    let after = sys::meminfo().unwrap_or_default();
    if after.anonymous != 0 || after.mapped_bytes != 0 || after.regions != before.regions {
        println!("mmap: {} pages, {} bytes still mapped", after.anonymous, after.mapped_bytes);
        return 9;
    }
    println!("mmap: {rounds} rounds of mmap/munmap, all given back");
    0
}

user::program!(run);
