//! Maps 1 GiB and touches it page after page until memory runs out: the
//! kernel must kill it (out of memory) and carry on.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::prot;
use user::{println, sys};

fn run(_arg: u32) -> i32 {
    let Ok(base) = sys::mmap(1 << 30, prot::READ | prot::WRITE) else { return 1 };
    let mut at = base;
    loop {
        // SAFETY: inside our 1 GiB mapping; each new page is mapped on touch.
        unsafe { (at as *mut u32).write_volatile(at) };
        at += 4096;
        if at - base == 1 << 30 {
            println!("hog: touched all of 1 GiB without running out");
            return 1;
        }
    }
}

user::program!(run);
