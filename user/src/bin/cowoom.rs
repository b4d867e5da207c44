//! A copy that cannot be made kills only the process that needed it. The
//! parent fills 8 heap pages and forks. The child waits until the machine
//! has no free frame left; the parent takes them all (asking the kernel
//! to fill fresh pages of its heap and stack, which fails cleanly with
//! ENOMEM at the end). Then the child writes a page it shares with its
//! parent: no frame for the copy, so the kernel kills the child, and the
//! parent, untouched, collects its status and gives the memory back.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{errno, errno_of, how, nr};
use user::println;
use user::sys::{self, Forked};

const PAGES: u32 = 8;
/// The most heap the parent asks for: 1 GiB less the image.
const HEAP: u32 = 0x3F00_0000;

fn fill(base: u32) {
    for i in 0..PAGES {
        // SAFETY: `base` starts this process's heap pages.
        unsafe { ((base + i * 4096) as *mut u32).write_volatile(0x5A00 + i) };
    }
}

fn holds(base: u32) -> bool {
    // SAFETY: as in `fill`.
    (0..PAGES).all(|i| unsafe { ((base + i * 4096) as *const u32).read_volatile() } == 0x5A00 + i)
}

/// Asks the kernel to fill the page at `at` (a `meminfo` into it): 0, or
/// the error (ENOMEM when no frame is left).
fn fill_in(at: u32) -> u32 {
    errno_of(sys::syscall(nr::MEMINFO, at, 0, 0)).unwrap_or(0)
}

/// Takes every free frame, first as heap pages (each may need a page
/// table too), then as stack pages (whose table exists). How many.
fn exhaust(heap: u32) -> u32 {
    let mut taken = 0;
    let mut at = heap;
    while at < heap + HEAP && fill_in(at) == 0 {
        taken += 1;
        at += 4096;
    }
    // The stack's 1 MiB, from its bottom up (the top pages are in use).
    let mut at = 0xBFF0_0000;
    while at < 0xBFFF_0000 && sys::meminfo().map(|m| m.free_frames).unwrap_or(0) > 0 {
        match fill_in(at) {
            0 => taken += 1,
            errno::ENOMEM => break,
            e => {
                println!("cowoom: filling a stack page failed with {e}");
                break;
            }
        }
        at += 4096;
    }
    taken
}

fn run(_arg: u32) -> i32 {
    let Ok(base) = sys::sbrk((PAGES * 4096) as i32) else { return 1 };
    fill(base);
    let pid = match sys::fork() {
        Ok(Forked::Child) => {
            while sys::meminfo().map(|m| m.free_frames).unwrap_or(0) > 0 {
                sys::sleep(1);
            }
            // SAFETY: our heap; the page is shared with the parent, and
            // copying it needs a frame there is none of.
            unsafe { (base as *mut u32).write_volatile(0xDEAD) };
            println!("cowoom: the child wrote a shared page with no frame free");
            return 2;
        }
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => {
            println!("cowoom: fork failed: {e}");
            return 3;
        }
    };
    let Ok(heap) = sys::sbrk(HEAP as i32) else { return 4 };
    let taken = exhaust(heap);
    let free = sys::meminfo().map(|m| m.free_frames).unwrap_or(u32::MAX);
    println!("cowoom: the parent took the last {taken} frames ({free} free)");
    let status = sys::wait(pid).unwrap_or_default();
    if status.how != how::KILLED_OUT_OF_MEMORY {
        println!("cowoom: the child ended with {status:?}, expected an out-of-memory kill");
        return 5;
    }
    if !holds(base) {
        println!("cowoom: the parent's pages changed");
        return 6;
    }
    if sys::brk(base).is_err() {
        return 7;
    }
    println!("cowoom: the child was killed for want of a frame to copy into; the parent goes on");
    0
}

user::program!(run);
