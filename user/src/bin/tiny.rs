//! As small as a process gets: yields `arg` times and exits. Its first
//! stack page is mapped when it starts, so it needs no frame to run.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::sys;

fn run(arg: u32) -> i32 {
    for _ in 0..arg.min(100) {
        sys::yield_now();
    }
    0
}

user::program!(run);
