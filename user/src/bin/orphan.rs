//! A parent that never waits: one child ends at once and is left a
//! zombie (only its status kept), another sleeps past its parent's end
//! and becomes an orphan. When the parent exits, the kernel drops the
//! zombie and later reaps the orphan; nothing of either stays behind.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::println;
use user::sys::{self, Forked};

fn run(_arg: u32) -> i32 {
    match sys::fork() {
        Ok(Forked::Child) => {
            sys::sleep(20);
            return 5;
        }
        Ok(Forked::Parent(_)) => {}
        Err(_) => return 1,
    }
    match sys::fork() {
        Ok(Forked::Child) => return 6,
        Ok(Forked::Parent(_)) => {}
        Err(_) => return 2,
    }
    // Time for the second child to end and wait as a zombie.
    sys::sleep(5);
    println!("orphan: the parent exits without waiting for its two children");
    0
}

user::program!(run);
