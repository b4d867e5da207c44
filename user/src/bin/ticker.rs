//! Prints a line every `arg` ticks (10 ms each), five times: processes
//! sleeping, waking and taking turns.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::{println, sys};

fn run(arg: u32) -> i32 {
    let every = arg.clamp(1, 100);
    for i in 1..=5 {
        sys::sleep(every);
        println!("ticker {}: tick {i} (every {every} ticks)", sys::getpid());
    }
    0
}

user::program!(run);
