//! `wait` returns each child's status. Six children end in six ways
//! (exit codes 0, 7, -3 and 255, a null-pointer read, a privileged
//! instruction; one of them after sleeping); the parent collects some by
//! id, in another order than they were made, and the rest with "any".
//! Then: no child left is ECHILD, as is waiting for a process that is not
//! one's child, and a bad status pointer is EFAULT and loses no status.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{WaitStatus, errno, errno_of, how, nr};
use user::println;
use user::sys::{self, Forked};

/// How each child ends: (how, code) as `wait` must report it.
const ENDS: [(u32, i32); 6] = [
    (how::EXITED, 0),
    (how::EXITED, 7),
    (how::EXITED, -3),
    (how::KILLED_FAULT, 14),
    (how::EXITED, 255),
    (how::KILLED_EXCEPTION, 13),
];

fn child(case: usize) -> i32 {
    match case {
        3 => {
            // SAFETY: none: a null-pointer read, which must kill this process.
            let v = unsafe { core::ptr::read_volatile(core::ptr::null::<u32>()) };
            v as i32
        }
        4 => {
            sys::sleep(3);
            255
        }
        5 => {
            // SAFETY: none: `cli` is privileged, which must kill this process.
            unsafe { core::arch::asm!("cli") };
            0
        }
        _ => ENDS[case].1,
    }
}

fn check(pid: u32, status: WaitStatus, case: usize) -> bool {
    let (how, code) = ENDS[case];
    if status.pid != pid || status.how != how || status.code != code {
        println!("waiter: child {case} (pid {pid}) ended with {status:?}, expected {how}/{code}");
        return false;
    }
    true
}

fn run(_arg: u32) -> i32 {
    let mut pids = [0u32; 6];
    for (case, slot) in pids.iter_mut().enumerate() {
        match sys::fork() {
            Ok(Forked::Child) => return child(case),
            Ok(Forked::Parent(pid)) => *slot = pid,
            Err(e) => {
                println!("waiter: fork failed: {e}");
                return 1;
            }
        }
    }
    // A bad status pointer: refused, and the child's status is not lost.
    let r = sys::syscall(nr::WAIT, pids[4], 0xC000_0000, 0);
    if errno_of(r) != Some(errno::EFAULT) {
        println!("waiter: wait into kernel memory returned {r:#x}");
        return 2;
    }
    // By id, the sleeper first (the others end meanwhile), then backwards.
    for case in [4, 2, 5] {
        match sys::wait(pids[case]) {
            Ok(status) if check(pids[case], status, case) => {}
            _ => return 3,
        }
    }
    // The rest with "any", in whatever order they come.
    let mut left = [0, 1, 3];
    for _ in 0..3 {
        let Ok(status) = sys::wait(0) else { return 4 };
        let Some(case) = left.iter().copied().find(|&c| c < pids.len() && pids[c] == status.pid)
        else {
            println!("waiter: wait(0) returned {status:?}, not a child left");
            return 5;
        };
        if !check(status.pid, status, case) {
            return 6;
        }
        left[left.iter().position(|&c| c == case).unwrap_or(0)] = usize::MAX;
    }
    let refusals = [
        ("no child left", sys::wait(0).err(), errno::ECHILD),
        ("a collected child", sys::wait(pids[0]).err(), errno::ECHILD),
        ("itself", sys::wait(sys::getpid()).err(), errno::ECHILD),
        ("no such process", sys::wait(999_999).err(), errno::ECHILD),
    ];
    for (what, got, want) in refusals {
        if got != Some(want) {
            println!("waiter: wait for {what} returned {got:?}, expected error {want}");
            return 7;
        }
    }
    println!("waiter: 6 children, 6 statuses: exits 0, 7, -3, 255, a fault, a #GP");
    0
}

user::program!(run);
