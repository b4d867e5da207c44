//! Run with almost no free frame (the kernel's test takes the rest): the
//! fork must fail with ENOMEM and give back everything it took: the free
//! count is the same before and after, nothing is left shared, and the
//! process writes its own pages without a single copy. Exits 0 then; 3 if
//! the fork succeeded after all.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::errno;
use user::println;
use user::sys::{self, Forked};

static mut DATA: [u32; 1024] = [7; 1024];

fn run(_arg: u32) -> i32 {
    let data = &raw mut DATA;
    // SAFETY: single-threaded; this process's own static.
    unsafe { (*data)[0] = 1 };
    let Ok(before) = sys::meminfo() else { return 1 };
    match sys::fork() {
        Err(errno::ENOMEM) => {}
        Err(e) => {
            println!("forkfail: fork failed with {e}, expected ENOMEM");
            return 2;
        }
        Ok(Forked::Child) => return 0,
        Ok(Forked::Parent(pid)) => {
            let _ = sys::wait(pid);
            return 3;
        }
    }
    // SAFETY: as above; the page must be writable again, with no copy.
    unsafe { (*data)[1] = 2 };
    let Ok(after) = sys::meminfo() else { return 4 };
    println!(
        "forkfail: with {} frames free, fork failed with ENOMEM; {} free after, {} pages \
         shared, {} copied",
        before.free_frames, after.free_frames, after.shared, after.copied
    );
    if after.free_frames != before.free_frames || after.shared != 0 || after.copied != 0 {
        return 5;
    }
    0
}

user::program!(run);
