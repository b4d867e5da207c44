//! Run with every free frame taken: a system call that needs a frame (to
//! fill in a heap page never touched) must fail with ENOMEM, and calls that
//! only reserve address space must still work.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{errno, errno_of, nr, prot};
use user::sys;

fn run(_arg: u32) -> i32 {
    // Reserving needs no frame.
    let Ok(heap) = sys::sbrk(4096) else { return 1 };
    let Ok(map) = sys::mmap(4096, prot::READ | prot::WRITE) else { return 2 };
    // Filling the untouched heap page would: refused, not a fault.
    let r = sys::syscall(nr::MEMINFO, heap, 0, 0);
    if errno_of(r) != Some(errno::ENOMEM) {
        let _ = sys::write(1, b"nomem: meminfo into a fresh page did not fail with ENOMEM\n");
        return 3;
    }
    if sys::munmap(map, 4096).is_err() {
        return 4;
    }
    let _ = sys::write(1, b"nomem: with no frame left, the call failed with ENOMEM\n");
    0
}

user::program!(run);
