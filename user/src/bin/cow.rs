//! Fork, then write in the child and the parent: each sees its own data,
//! and memory is spent only on the pages written.
//!
//! The parent fills 64 heap pages and forks. The child checks what the
//! fork cost the machine (its directory, page tables and kernel stack,
//! the reference-count table's growth, a stack page or two copied: no heap
//! page), writes all 64 pages (64 copies, 64 frames) and exits with 42.
//! The parent, meanwhile waiting for it, then finds its own data intact,
//! and writes the same pages: it is now their last user, so nothing is
//! copied and no frame is spent.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{MemInfo, how};
use user::println;
use user::sys::{self, Forked};

const PAGES: u32 = 64;

fn fill(base: u32, tag: u32) {
    for i in 0..PAGES {
        for word in [0, 511, 1023] {
            let at = (base + i * 4096) as *mut u32;
            // SAFETY: `base` starts this process's 64 heap pages.
            unsafe { at.add(word).write_volatile(tag ^ i ^ word as u32) };
        }
    }
}

fn holds(base: u32, tag: u32) -> bool {
    (0..PAGES).all(|i| {
        [0, 511, 1023].iter().all(|&word| {
            let at = (base + i * 4096) as *const u32;
            // SAFETY: as in `fill`.
            unsafe { at.add(word).read_volatile() == tag ^ i ^ word as u32 }
        })
    })
}

fn info() -> MemInfo {
    sys::meminfo().unwrap_or_default()
}

fn child(base: u32, before: &MemInfo) -> i32 {
    let after = info();
    // What the fork cost the machine, as far as this child can tell: its
    // structure, plus the count table's growth, plus stack pages copied
    // by either process since (at most a few).
    let used = before.free_frames.saturating_sub(after.free_frames);
    let table = after.count_table.saturating_sub(before.count_table);
    let structure = after.directory + after.page_tables + after.kernel_stack + table;
    println!(
        "cow: the fork used {used} frames: directory {}, page tables {}, kernel stack {}, \
         count table {}, stack copies {}; {} pages shared, none copied",
        after.directory,
        after.page_tables,
        after.kernel_stack,
        table,
        used.saturating_sub(structure),
        after.shared
    );
    if used < structure || used > structure + 3 || after.shared < PAGES {
        println!("cow: the fork cost more than the child's structure ({structure} frames)");
        return 1;
    }
    if !holds(base, 0x5050_0000) {
        println!("cow: the child does not see its parent's data");
        return 2;
    }
    fill(base, 0xC0C0_0000);
    let written = info();
    let copied = written.copied - after.copied;
    // A chunk of the count table whose counts all went back to 0 was
    // freed meanwhile: add it back to see the copies alone.
    let table = after.count_table.saturating_sub(written.count_table);
    let spent = after.free_frames.saturating_sub(written.free_frames) + table;
    println!(
        "cow: the child wrote {PAGES} pages: {copied} copied, {spent} frames spent \
         ({table} of the count table given back meanwhile)"
    );
    // The parent is waiting: only the child's writes spend frames (a tick
    // may still let the parent copy a stack page of its own).
    if copied != PAGES || !(PAGES..=PAGES + 2).contains(&spent) {
        return 3;
    }
    if !holds(base, 0xC0C0_0000) {
        return 4;
    }
    42
}

fn parent(base: u32, pid: u32) -> i32 {
    let status = match sys::wait(pid) {
        Ok(status) => status,
        Err(e) => {
            println!("cow: wait failed: {e}");
            return 10;
        }
    };
    if status.how != how::EXITED || status.code != 42 {
        println!("cow: the child ended with {status:?}");
        return 11;
    }
    if !holds(base, 0x5050_0000) {
        println!("cow: the parent's data changed under it");
        return 12;
    }
    let before = info();
    if before.shared != 0 {
        println!("cow: {} pages still shared with a child that ended", before.shared);
        return 13;
    }
    fill(base, 0xAAAA_0000);
    let after = info();
    let (copied, reclaimed) = (after.copied - before.copied, after.reclaimed - before.reclaimed);
    let spent = before.free_frames.wrapping_sub(after.free_frames);
    println!(
        "cow: the parent wrote the same {PAGES} pages as their last user: {copied} copied, \
         {reclaimed} made writable again, {spent} frames spent"
    );
    if copied != 0 || reclaimed != PAGES || spent != 0 || !holds(base, 0xAAAA_0000) {
        return 14;
    }
    0
}

fn run(_arg: u32) -> i32 {
    let Ok(base) = sys::sbrk((PAGES * 4096) as i32) else { return 20 };
    fill(base, 0x5050_0000);
    let before = info();
    match sys::fork() {
        Ok(Forked::Child) => child(base, &before),
        Ok(Forked::Parent(pid)) => parent(base, pid),
        Err(e) => {
            println!("cow: fork failed: {e}");
            21
        }
    }
}

user::program!(run);
