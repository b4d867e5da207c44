//! Hello, world: one `write` and an exit code of 0.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::{println, sys};

fn run(_arg: u32) -> i32 {
    println!("hello, world from process {}", sys::getpid());
    0
}

user::program!(run);
