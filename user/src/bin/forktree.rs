//! A tree of forks as deep and wide as memory allows: each process forks
//! up to 3 children, each of those does the same, down to 8 levels, while
//! more than `arg` frames (a reserve for the pages they will still write)
//! are free. Every process writes a page of its own, waits for its
//! children and exits with the size and height of its subtree (`size << 4
//! | height`); the root checks every status and reports the tree. The
//! kernel's test then checks that every frame came back.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{errno, how};
use user::println;
use user::sys::{self, Forked};

const WIDTH: usize = 3;
const DEPTH: u32 = 8;

/// A page each process writes, so each holds a copy of its own.
static mut PAGE: [u32; 1024] = [0; 1024];

/// What a fork costs at most, in frames: a directory, a few page tables,
/// a kernel stack, a stack page copied, the kernel heap's share.
const FORK_COST: u32 = 10;

fn run(reserve: u32) -> i32 {
    let root = sys::getpid();
    let mut depth = 0;
    let mut children = [0u32; WIDTH];
    let mut forked = 0;
    let mut refused = 0;
    while forked < WIDTH && depth < DEPTH {
        let free = sys::meminfo().map(|m| m.free_frames).unwrap_or(0);
        if free < reserve + FORK_COST {
            break;
        }
        match sys::fork() {
            Ok(Forked::Child) => {
                // A new node, one level down: its own children from none.
                depth += 1;
                forked = 0;
            }
            Ok(Forked::Parent(pid)) => {
                children[forked] = pid;
                forked += 1;
            }
            Err(errno::ENOMEM | errno::EAGAIN) => {
                refused += 1;
                break;
            }
            Err(e) => {
                println!("forktree: fork failed with {e}");
                return -1;
            }
        }
    }
    let me = sys::getpid();
    let page = &raw mut PAGE;
    for i in (0..1024).step_by(256) {
        // SAFETY: single-threaded; the static is this process's own copy.
        unsafe { (*page)[i] = me };
    }
    let (mut size, mut height) = (1, 1);
    let mut failed = false;
    for &pid in &children[..forked] {
        match sys::wait(pid) {
            Ok(s) if s.how == how::EXITED && s.code > 0 => {
                size += s.code >> 4;
                height = height.max((s.code & 15) + 1);
            }
            Ok(s) => {
                println!("forktree: process {pid} ended with {s:?}");
                failed = true;
            }
            Err(e) => {
                println!("forktree: wait({pid}) failed with {e}");
                failed = true;
            }
        }
    }
    // SAFETY: as above.
    if (0..1024).step_by(256).any(|i| unsafe { (*page)[i] } != me) {
        println!("forktree: process {me} lost its own page");
        failed = true;
    }
    if me != root {
        return if failed { -1 } else { (size << 4) | height };
    }
    println!(
        "forktree: {size} processes in a tree {height} levels deep, forking while more \
         than {reserve} frames were free ({refused} of the root's forks refused); all collected"
    );
    if failed { 1 } else { 0 }
}

user::program!(run);
