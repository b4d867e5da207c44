//! fork, exec and wait on the real machine: user programs that fork and
//! check what they see (their own data, the frames spent, their
//! children's statuses), and the kernel's records of how each ended. The
//! runner's leak check around every test proves that every frame came
//! back once the last process of a tree had exited.

use crate::memory::{self, heap};
use crate::process::{self, Exit, ExitRecord, KillReason};
use crate::selftest::{Failure, TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use alloc::vec::Vec;
use mm::frame::{Frame, FrameAllocator};
use mm::space::RegionKind;

fn spawn(name: &str, arg: u32) -> Result<u32, Failure> {
    Ok(ensure_ok!(process::spawn(name, arg), "starting {name}"))
}

fn record(pid: u32) -> Result<ExitRecord, Failure> {
    Ok(ensure_ok!(process::exit_record(pid).ok_or(()), "no exit record for process {pid}"))
}

fn exited_with(pid: u32, code: i32) -> TestResult {
    let r = record(pid)?;
    ensure_eq!(r.exit, Exit::Code(code), "process {pid} ({})", r.name);
    Ok(())
}

/// Takes free frames until about `left` are free (or none are left to
/// take); give them back with [`release`].
fn hold_until(left: u32) -> Vec<Frame> {
    let free = memory::snapshot().free_frames;
    let mut held = Vec::with_capacity(free.saturating_sub(left) as usize);
    let mut memory = memory::lock();
    while memory.frames.free_count() > left && held.len() < held.capacity() {
        match memory.frames.allocate() {
            Some(frame) => held.push(frame),
            None => break,
        }
    }
    held
}

fn release(mut held: Vec<Frame>) -> TestResult {
    // The vector's own block is freed after the memory lock is released:
    // the heap may give pages back as it shrinks, which takes that lock.
    let mut memory = memory::lock();
    for frame in held.drain(..) {
        ensure_ok!(memory.frames.free(frame), "giving a held frame back");
    }
    Ok(())
}

/// Pages the kernel heap has mapped now.
fn heap_pages() -> u32 {
    (heap::heap_stats().mapped_bytes / mm::PAGE_SIZE as usize) as u32
}

/// Free frames right after a 4 MiB boot, less a little: on a larger
/// machine, tests that fill memory first hold frames down to this.
const FREE_AT_4_MIB: u32 = 700;

#[ktest]
fn fork_then_write_in_parent_and_child_each_sees_its_own() -> TestResult {
    let free = memory::snapshot().free_frames;
    let pid = spawn("cow", 0)?;
    let summary = process::run();
    exited_with(pid, 0)?;
    let child = record(pid + 1)?;
    ensure_eq!(child.exit, Exit::Code(42), "the child");
    ensure_eq!(child.parent, Some(pid), "the child's parent collected it");
    ensure!(child.copied >= 64, "the child copied {} pages", child.copied);
    ensure!(record(pid)?.reclaimed >= 64, "the parent reclaimed {}", record(pid)?.reclaimed);
    ensure_eq!((summary.succeeded, summary.failed, summary.killed), (1, 1, 0));
    ensure_eq!(memory::snapshot().free_frames, free, "every frame back");
    ensure_eq!(memory::lock().counts.frames_held(), 0, "nothing shared any more");
    Ok(())
}

#[ktest]
fn a_tree_of_forks_as_large_as_4_mib_allows() -> TestResult {
    let held = hold_until(FREE_AT_4_MIB);
    let (free, heap) = (memory::snapshot().free_frames, heap_pages());
    // Forking stops with 40 frames free: room for the pages the tree's
    // processes still write (their stacks, a page each).
    let root = spawn("forktree", 40)?;
    let summary = process::run();
    // The kernel heap grew for the processes' records and may keep a few
    // of those pages mapped (they are not lost: the runner's leak check,
    // after this test, sees the heap as it was).
    let (after, heap_after) = (memory::snapshot().free_frames, heap_pages());
    release(held)?;
    exited_with(root, 0)?;
    let processes = summary.succeeded + summary.failed;
    crate::println!("  {processes} processes in the tree, from {free} free frames");
    ensure_eq!(summary.killed, 0, "no process killed");
    ensure!(processes >= 30, "only {processes} processes in the tree");
    ensure_eq!(after + heap_after, free + heap, "every frame back once all had exited");
    ensure_eq!(process::zombies(), 0);
    Ok(())
}

#[ktest]
fn exec_after_fork_runs_a_fresh_program() -> TestResult {
    let pid = spawn("forkexec", 0)?;
    process::run();
    exited_with(pid, 0)?;
    let child = record(pid + 1)?;
    ensure_eq!(child.name.as_str(), "status", "the child's program after exec");
    ensure_eq!(child.exit, Exit::Code(42));
    // Its 32 copied heap pages went with the old program.
    ensure!(child.frames < 16, "the exec'd program held {} frames", child.frames);
    Ok(())
}

#[ktest]
fn wait_returns_each_childs_status() -> TestResult {
    let pid = spawn("waiter", 0)?;
    process::run();
    exited_with(pid, 0)?;
    ensure_eq!(process::zombies(), 0);
    Ok(())
}

#[ktest]
fn zombies_and_orphans_are_reaped_with_their_parent_gone() -> TestResult {
    let free = memory::snapshot().free_frames;
    let pid = spawn("orphan", 0)?;
    let summary = process::run();
    exited_with(pid, 0)?;
    let (sleeper, quick) = (record(pid + 1)?, record(pid + 2)?);
    ensure_eq!(sleeper.exit, Exit::Code(5), "the orphan");
    ensure_eq!(sleeper.parent, None, "orphaned when its parent exited");
    ensure_eq!(quick.exit, Exit::Code(6), "the zombie");
    ensure_eq!(quick.parent, Some(pid), "dropped as its parent's zombie");
    ensure_eq!(summary.succeeded + summary.failed, 3);
    ensure_eq!(process::zombies(), 0, "no status left behind");
    ensure_eq!(memory::snapshot().free_frames, free);
    Ok(())
}

#[ktest]
fn a_fork_under_memory_exhaustion_fails_cleanly() -> TestResult {
    for left in 0..=4 {
        let pid = spawn("forkfail", left)?;
        let held = hold_until(left);
        let summary = process::run();
        release(held)?;
        ensure_eq!(summary.killed, 0, "with {left} frames free");
        exited_with(pid, 0)?;
    }
    Ok(())
}

#[ktest]
fn a_copy_that_cannot_be_made_kills_only_its_process() -> TestResult {
    let held = hold_until(FREE_AT_4_MIB);
    let pid = spawn("cowoom", 0)?;
    process::run();
    release(held)?;
    exited_with(pid, 0)?;
    let child = record(pid + 1)?;
    let killed = matches!(
        child.exit,
        Exit::Killed(KillReason::OutOfMemory { kind: RegionKind::Heap, copy: true, .. })
    );
    ensure!(killed, "the child ended with {:?}", child.exit);
    Ok(())
}
