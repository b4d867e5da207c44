//! `exec` after `fork`. The parent fills 32 heap pages and forks; the
//! child writes them all (32 copies of its own), checks that `exec`
//! refuses what it must (no such program, a bad pointer, an empty or
//! overlong name) and leaves it running with its data, then execs
//! `status` with 42: that program must start fresh, with none of the old
//! image's memory, and exit with 42, which the parent collects.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{errno, errno_of, how, nr};
use user::println;
use user::sys::{self, Forked};

const PAGES: u32 = 32;

fn touch(base: u32, tag: u32) {
    for i in 0..PAGES {
        // SAFETY: `base` starts this process's heap pages.
        unsafe { ((base + i * 4096) as *mut u32).write_volatile(tag + i) };
    }
}

fn holds(base: u32, tag: u32) -> bool {
    // SAFETY: as in `touch`.
    (0..PAGES).all(|i| unsafe { ((base + i * 4096) as *const u32).read_volatile() } == tag + i)
}

fn child(base: u32) -> i32 {
    touch(base, 0xC000);
    let refusals = [
        ("no such program", sys::exec("no-such-program", 1), errno::ENOENT),
        ("an empty name", sys::exec("", 1), errno::ENOENT),
        (
            "a name too long",
            sys::exec(core::str::from_utf8(&[b'x'; 40]).unwrap_or(""), 1),
            errno::ENOENT,
        ),
        (
            "a kernel pointer",
            errno_of(sys::syscall(nr::EXEC, 0xC010_0000, 6, 1)).unwrap_or(0),
            errno::EFAULT,
        ),
        (
            "an unmapped pointer",
            errno_of(sys::syscall(nr::EXEC, 0x2000_0000, 6, 1)).unwrap_or(0),
            errno::EFAULT,
        ),
    ];
    for (what, got, want) in refusals {
        if got != want {
            println!("forkexec: exec with {what} returned error {got}, expected {want}");
            return 1;
        }
    }
    if !holds(base, 0xC000) {
        println!("forkexec: a failed exec changed the caller's memory");
        return 2;
    }
    let e = sys::exec("status", 42);
    println!("forkexec: exec(status) failed with {e}");
    3
}

fn run(_arg: u32) -> i32 {
    let Ok(base) = sys::sbrk((PAGES * 4096) as i32) else { return 10 };
    touch(base, 0xA000);
    let pid = match sys::fork() {
        Ok(Forked::Child) => return child(base),
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => {
            println!("forkexec: fork failed: {e}");
            return 11;
        }
    };
    let status = sys::wait(pid).unwrap_or_default();
    if status.pid != pid || status.how != how::EXITED || status.code != 42 {
        println!("forkexec: the child ended with {status:?}, expected exit code 42");
        return 12;
    }
    let m = sys::meminfo().unwrap_or_default();
    if !holds(base, 0xA000) || m.shared != 0 {
        println!("forkexec: the parent's memory is not its own ({} pages shared)", m.shared);
        return 13;
    }
    println!("forkexec: the child ran `status` through exec and exited with 42");
    0
}

user::program!(run);
