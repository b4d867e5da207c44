//! Exits with its argument as its exit code, after checking that its
//! memory is its own and fresh: what a program started by `exec` must
//! find (nothing of the program it replaced, nothing shared).
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::{println, sys};

fn run(arg: u32) -> i32 {
    let m = sys::meminfo().unwrap_or_default();
    println!(
        "status: process {} runs with {} frames (heap {}, shared {}); exits with {}",
        m.pid, m.total, m.heap, m.shared, arg as i32
    );
    if m.heap != 0 || m.shared != 0 || m.heap_bytes != 0 {
        return 100;
    }
    arg as i32
}

user::program!(run);
