//! Processes on the real machine: user programs (boot modules) run in
//! ring 3, each in its own address space, and must end as expected; the
//! runner's leak check around every test proves that every frame a
//! process held came back when it ended.

use crate::memory::{self, boot_info};
use crate::process::{self, Exit, ExitRecord, KillReason, SpawnError};
use crate::selftest::{TestResult, ktest};
use crate::{ensure, ensure_eq, ensure_ok};
use alloc::vec::Vec;
use mm::frame::FrameAllocator;
use mm::space::fault::Violation;
use mm::space::{Access, RegionKind};

fn spawn(name: &str, arg: u32) -> Result<u32, crate::selftest::Failure> {
    Ok(ensure_ok!(process::spawn(name, arg), "starting {name}"))
}

fn record(pid: u32) -> Result<ExitRecord, crate::selftest::Failure> {
    Ok(ensure_ok!(process::exit_record(pid).ok_or(()), "no exit record for process {pid}"))
}

fn exited_ok(pid: u32) -> TestResult {
    let r = record(pid)?;
    ensure_eq!(r.exit, Exit::Code(0), "process {pid} ({})", r.name);
    Ok(())
}

fn seed() -> u32 {
    let cmdline = crate::cmdline::CommandLine::new(boot_info::get().command_line());
    cmdline.value("seed").and_then(crate::cmdline::parse_number).unwrap_or(0x5EED) as u32
}

#[ktest]
fn hello_world_runs_in_ring_3() -> TestResult {
    let free = memory::snapshot().free_frames;
    let pid = spawn("hello", 0)?;
    let summary = process::run();
    ensure_eq!(summary.succeeded, 1);
    exited_ok(pid)?;
    let r = record(pid)?;
    ensure!(r.written >= "hello, world from process 1\n".len() as u32, "wrote {} bytes", r.written);
    // At least: directory, two tables, an image page, a stack page, and
    // the kernel stack's two.
    ensure!(r.frames >= 7, "held only {} frames", r.frames);
    ensure_eq!(memory::snapshot().free_frames, free, "every frame back");
    Ok(())
}

#[ktest]
fn an_unknown_program_is_refused() -> TestResult {
    let refused = process::spawn("no-such-program", 0);
    ensure!(matches!(refused, Err(SpawnError::NoSuchProgram)), "{refused:?}");
    Ok(())
}

#[ktest]
fn a_heap_grown_by_brk_is_read_back() -> TestResult {
    // Several MiB where memory allows: half of what is free, at most 8 MiB.
    let free_bytes = memory::snapshot().free_frames * mm::PAGE_SIZE;
    let size = (free_bytes / 2).min(8 << 20) & !0xFFF;
    crate::println!("  growing a heap to {} KiB", size / 1024);
    let pid = spawn("heap", size)?;
    process::run();
    exited_ok(pid)
}

#[ktest]
fn mmap_and_munmap_churn() -> TestResult {
    let pid = spawn("mmap", 300)?;
    process::run();
    exited_ok(pid)
}

#[ktest]
fn a_deep_recursion_grows_the_stack() -> TestResult {
    // 400 KiB of stack, page by page.
    let pid = spawn("recurse", 400)?;
    process::run();
    exited_ok(pid)
}

#[ktest]
fn two_processes_same_address_own_data() -> TestResult {
    let (a, b) = (spawn("twins", 1)?, spawn("twins", 2)?);
    process::run();
    exited_ok(a)?;
    exited_ok(b)
}

#[ktest]
fn sleepers_wake_and_the_idle_loop_halts_meanwhile() -> TestResult {
    let start = process::ticks();
    let (a, b) = (spawn("ticker", 2)?, spawn("ticker", 3)?);
    process::run();
    exited_ok(a)?;
    exited_ok(b)?;
    let took = process::ticks() - start;
    ensure!(took >= 15, "five sleeps of 3 ticks took only {took} ticks");
    Ok(())
}

/// What `bad` must be killed for, case by case.
fn expected(case: u32, r: &KillReason) -> bool {
    use Violation::*;
    matches!(
        (case, r),
        (0, KillReason::Fault { addr: 0, access: Access::Read, violation: NullPointer, .. })
            | (
                1,
                KillReason::Fault {
                    access: Access::Write,
                    violation: Denied { kind: RegionKind::Image, .. },
                    ..
                }
            )
            | (2, KillReason::Fault { addr: 0xC010_0000, violation: KernelMemory, .. })
            | (3, KillReason::Exception { vector: 13, .. })
            | (4, KillReason::Fault { addr: 0x2000_0000, violation: Unmapped, .. })
            | (5, KillReason::Fault { access: Access::Write, violation: StackOverflow, .. })
            | (
                6,
                KillReason::Fault {
                    access: Access::Write,
                    violation: Denied { kind: RegionKind::Anonymous, .. },
                    ..
                }
            )
            | (7, KillReason::Exception { vector: 13, .. })
    )
}

#[ktest]
fn each_forbidden_access_kills_only_its_process() -> TestResult {
    for case in 0..8 {
        let bystander = spawn("tiny", 20)?;
        let bad = spawn("bad", case)?;
        let summary = process::run();
        let r = record(bad)?;
        let Exit::Killed(reason) = r.exit else {
            return Err(crate::selftest::Failure::new(
                file!(),
                line!(),
                format_args!("case {case}: {:?}", r.exit),
            ));
        };
        ensure!(expected(case, &reason), "case {case}: killed for {reason}");
        // The report names the faulting instruction inside the program.
        let eip = match reason {
            KillReason::Fault { eip, .. } | KillReason::Exception { eip, .. } => eip,
            KillReason::OutOfMemory { eip, .. } => eip,
        };
        ensure!((0x0040_0000..0x0050_0000).contains(&eip), "case {case}: eip {eip:#x}");
        exited_ok(bystander)?;
        ensure_eq!((summary.succeeded, summary.killed), (1, 1), "case {case}");
    }
    Ok(())
}

#[ktest]
fn out_of_memory_kills_the_hog_and_the_others_go_on() -> TestResult {
    let bystander = spawn("tiny", 50)?;
    let hog = spawn("hog", 0)?;
    process::run();
    let r = record(hog)?;
    ensure!(
        matches!(r.exit, Exit::Killed(KillReason::OutOfMemory { kind: RegionKind::Anonymous, .. })),
        "hog: {:?}",
        r.exit
    );
    exited_ok(bystander)
}

#[ktest]
fn a_call_that_needs_a_frame_fails_when_none_is_left() -> TestResult {
    let pid = spawn("nomem", 0)?;
    // Take every free frame (the process's own are mapped already).
    let free = memory::snapshot().free_frames as usize;
    let mut held: Vec<mm::frame::Frame> = Vec::with_capacity(free);
    {
        let mut memory = memory::lock();
        while let Some(frame) = memory.frames.allocate() {
            if held.len() == held.capacity() {
                ensure_ok!(memory.frames.free(frame), "giving a frame back");
                break;
            }
            held.push(frame);
        }
    }
    let summary = process::run();
    {
        let mut memory = memory::lock();
        for frame in held.drain(..) {
            ensure_ok!(memory.frames.free(frame), "giving a held frame back");
        }
    }
    ensure_eq!(summary.killed, 0);
    exited_ok(pid)
}

#[ktest]
fn as_many_processes_as_4_mib_allow() -> TestResult {
    // On a larger machine, hold frames until about a 4 MiB machine's worth
    // (the free frames of a 4 MiB boot) is left.
    const FREE_AT_4_MIB: u32 = 730;
    let free = memory::snapshot().free_frames;
    let mut held: Vec<mm::frame::Frame> =
        Vec::with_capacity(free.saturating_sub(FREE_AT_4_MIB) as usize);
    {
        let mut memory = memory::lock();
        while memory.frames.free_count() > FREE_AT_4_MIB && held.len() < held.capacity() {
            match memory.frames.allocate() {
                Some(frame) => held.push(frame),
                None => break,
            }
        }
    }
    let mut pids = Vec::with_capacity(process::MAX_PROCESSES);
    let stop = loop {
        match process::spawn("tiny", 3) {
            Ok(pid) => pids.push(pid),
            Err(e) => break e,
        }
        if pids.len() == process::MAX_PROCESSES {
            break SpawnError::TooManyProcesses;
        }
    };
    let left = memory::snapshot().free_frames;
    crate::println!("  {} processes started before: {stop} ({left} frames free)", pids.len());
    let summary = process::run();
    {
        let mut memory = memory::lock();
        for frame in held.drain(..) {
            ensure_ok!(memory.frames.free(frame), "giving a held frame back");
        }
    }
    ensure!(matches!(stop, SpawnError::OutOfMemory), "stopped by {stop}");
    ensure!(pids.len() >= 30, "only {} processes fit", pids.len());
    ensure_eq!(summary.succeeded as usize, pids.len(), "all ran and exited 0 ({summary:?})");
    Ok(())
}

#[ktest]
fn fuzzing_system_calls_from_a_seed() -> TestResult {
    let seed = seed();
    crate::println!("  fuzz seed {seed:#x} (replay: exec=fuzz:{seed:#x} on the command line)");
    let pid = spawn("fuzz", seed)?;
    process::run();
    exited_ok(pid)
}
