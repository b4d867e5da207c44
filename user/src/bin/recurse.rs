//! Recurses `arg` KiB deep (a 1 KiB frame a call): the stack grows down
//! on demand, page by page; checks the sum and the stack pages in use.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::{println, sys};

#[inline(never)]
fn recurse(depth: u32) -> u32 {
    let frame = core::hint::black_box([(depth % 251) as u8; 1000]);
    if depth == 0 { 0 } else { recurse(depth - 1) + u32::from(frame[500]) }
}

fn run(arg: u32) -> i32 {
    let depth = arg.clamp(1, 960);
    let want: u32 = (1..=depth).map(|d| d % 251).sum();
    let got = recurse(depth);
    let stack = sys::meminfo().unwrap_or_default().stack;
    println!("recurse: {depth} calls deep, the stack grew to {stack} pages");
    if got != want || stack < depth / 4 {
        return 1;
    }
    0
}

user::program!(run);
