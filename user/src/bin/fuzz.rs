//! System-call fuzzing from a seed (`arg`): tens of thousands of calls with
//! random numbers, arguments and pointers (kernel addresses, unmapped
//! pages, ranges that wrap, huge lengths, read-only memory). The kernel
//! must survive every one, and every call whose arguments are certainly
//! bad must get an error back. Exits 0 if none surprised it; the kernel's
//! test then checks that nothing leaked.
//!
//! `fork`, `exec` and `wait` are fuzzed too, bounded so the run cannot
//! fork-bomb the machine: at most [`FORKS`] children in all and [`LIVE`]
//! at once, none of which forks again. Each child makes [`CHILD_CALLS`]
//! random calls of its own (unmapping, growing and shrinking memory it
//! shares copy-on-write with its parent) and then ends in a way chosen
//! before the fork: an exit code, `exec` of `status` with that code, or a
//! null-pointer read. `wait`, with random ids and status pointers, must
//! report exactly that.
//!
//! Replay: `make test` prints the seed; `exec=fuzz:SEED` on the command
//! line runs the same calls again.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{WaitStatus, errno, errno_of, how, nr};
use user::rng::Rng;
use user::{println, sys};

const CALLS: u32 = 30_000;
/// Children forked in all, at most.
const FORKS: u32 = 40;
/// Children alive (or not yet collected) at once, at most.
const LIVE: usize = 3;
/// Random calls a child makes before it ends.
const CHILD_CALLS: u32 = 300;

static mut SCRATCH: [u8; 4096] = [0; 4096];

/// A pointer argument, and whether it is certainly bad for `len` bytes
/// (for a write into it, or a read out of it).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ptr {
    /// Certainly not usable: kernel half, null page, unmapped, wrapping.
    Bad(u32),
    /// Our scratch buffer: readable and writable.
    Scratch(u32),
    /// Our program text: readable, not writable.
    Text(u32),
    /// Anything else: no expectation.
    Random(u32),
}

impl Ptr {
    fn addr(self) -> u32 {
        match self {
            Ptr::Bad(a) | Ptr::Scratch(a) | Ptr::Text(a) | Ptr::Random(a) => a,
        }
    }
}

fn pointer(rng: &mut Rng) -> Ptr {
    let bad = [
        0,
        4,
        0x0000_1000,
        0x003F_F000,
        0x0030_0000, // the unmapped first 4 MiB
        0xBFE8_0000, // the gap below the stack
        0xC000_0000, // kernel half
        0xC010_0000, // kernel text
        0xD000_0000, // kernel heap
        0xFF80_0000, // fixmap
        0xFFFF_F000, // the page directory itself
        0xFFFF_FFF0, // wraps
    ];
    match rng.below(4) {
        0 => Ptr::Bad(rng.pick(&bad) + rng.below(16)),
        1 => Ptr::Scratch(&raw mut SCRATCH as u32 + rng.below(2048)),
        2 => Ptr::Text(run as *const () as u32 + rng.below(64)),
        _ => Ptr::Random(rng.next_u32()),
    }
}

fn length(rng: &mut Rng) -> u32 {
    match rng.below(5) {
        0 => 0,
        1 => 1 + rng.below(64),
        2 => rng.pick(&[0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000, 0x1000_0001]),
        3 => 1 + rng.below(2048),
        _ => rng.next_u32(),
    }
}

fn small_or_random(rng: &mut Rng) -> u32 {
    if rng.below(2) == 0 { rng.below(16) } else { rng.next_u32() }
}

struct Stats {
    calls: u32,
    errors: u32,
    surprises: u32,
    mapped: [(u32, u32); 64],
    /// Whether this is a forked child (which forks no further).
    child: bool,
    /// Children forked so far.
    forks: u32,
    /// Children not collected yet: their pid and the status expected.
    children: [Option<(u32, u32, i32)>; LIVE],
    /// Children collected, with the status expected.
    collected: u32,
}

impl Stats {
    fn expect_error(&mut self, call: &str, result: u32, want: u32) {
        if errno_of(result) != Some(want) {
            self.surprises += 1;
            if self.surprises <= 10 {
                println!("fuzz: {call} returned {result:#x}, expected error {want}");
            }
        }
    }
}

fn one_call(rng: &mut Rng, s: &mut Stats) {
    let choice = rng.below(14);
    s.calls += 1;
    let result = match choice {
        0 | 1 => {
            // write: a bad fd, or a bad buffer, or an empty one.
            let any = rng.next_u32();
            let fd = rng.pick(&[0, 1, 2, 3, 0xFFFF_FFFF, any]);
            // With a real fd, a buffer the kernel accepts would be printed:
            // keep those empty, or so long they cannot all be mapped.
            let p = pointer(rng);
            let len = match p {
                Ptr::Bad(_) => 1 + rng.below(64),
                Ptr::Random(_) if fd == 1 || fd == 2 => {
                    rng.pick(&[0x7FFF_FFFF, 0xFFFF_FFFF, 0x8000_0000])
                }
                Ptr::Random(_) => length(rng),
                _ => 0,
            };
            let r = sys::syscall(nr::WRITE, fd, p.addr(), len);
            if fd != 1 && fd != 2 {
                s.expect_error("write(bad fd)", r, errno::EBADF);
            } else if let Ptr::Bad(_) = p {
                s.expect_error("write(bad buffer)", r, errno::EFAULT);
            } else if matches!(p, Ptr::Random(_)) && errno_of(r).is_none() && r != len {
                s.surprises += 1;
            }
            r
        }
        2 | 3 => {
            // meminfo into anything.
            let p = pointer(rng);
            let r = sys::syscall(nr::MEMINFO, p.addr(), 0, 0);
            match p {
                Ptr::Bad(_) | Ptr::Text(_) => s.expect_error("meminfo(bad out)", r, errno::EFAULT),
                Ptr::Scratch(_) if r != 0 => s.surprises += 1,
                _ => {}
            }
            r
        }
        4 => {
            let len = length(rng);
            let r = sys::syscall(nr::MMAP, len, small_or_random(rng), 0);
            if errno_of(r).is_none()
                && let Some(slot) = s.mapped.iter_mut().find(|m| m.1 == 0)
            {
                *slot = (r, len);
            }
            r
        }
        5 => {
            let addr = match rng.below(3) {
                0 => pointer(rng).addr() & !0xFFF,
                1 => s.mapped[rng.below(64) as usize].0,
                _ => rng.next_u32(),
            };
            sys::syscall(nr::MUNMAP, addr, length(rng), 0)
        }
        6 => sys::syscall(nr::BRK, small_or_random(rng), 0, 0),
        7 => sys::syscall(nr::SBRK, small_or_random(rng), 0, 0),
        8 => sys::syscall(nr::GETPID, rng.next_u32(), rng.next_u32(), 0),
        9 => {
            let n = nr::COUNT + rng.below(1000);
            let r = sys::syscall(n, rng.next_u32(), rng.next_u32(), rng.next_u32());
            s.expect_error("unknown call", r, errno::ENOSYS);
            r
        }
        10 => {
            // sleep: only too long (refused) or none at all.
            let ticks = if rng.below(2) == 0 { 0 } else { 0x1000_0000 | rng.next_u32() };
            let r = sys::syscall(nr::SLEEP, ticks, 0, 0);
            if ticks != 0 {
                s.expect_error("sleep(too long)", r, errno::EINVAL);
            }
            r
        }
        11 => sys::syscall(nr::YIELD, rng.next_u32(), 0, 0),
        12 => exec(rng, s),
        _ if rng.below(2) == 0 => fork(rng, s),
        _ => wait(rng, s),
    };
    if errno_of(result).is_some() {
        s.errors += 1;
    }
}

/// `fork` with random (ignored) arguments, when the bounds allow one.
fn fork(rng: &mut Rng, s: &mut Stats) -> u32 {
    let free = s.children.iter().position(Option::is_none);
    let (Some(slot), false, true) = (free, s.child, s.forks < FORKS) else {
        return wait(rng, s);
    };
    // How the child ends, and its calls' seed: drawn before the fork.
    let (end, code, seed) = (rng.below(3), rng.below(256) as i32, rng.next_u32());
    let r = sys::syscall(nr::FORK, rng.next_u32(), rng.next_u32(), rng.next_u32());
    if r == 0 {
        child(seed, end, code, s);
    }
    if errno_of(r).is_none() {
        s.forks += 1;
        let expected = if end == 2 { (how::KILLED_FAULT, 14) } else { (how::EXITED, code) };
        s.children[slot] = Some((r, expected.0, expected.1));
    } else if !matches!(errno_of(r), Some(errno::ENOMEM | errno::EAGAIN)) {
        s.expect_error("fork", r, errno::ENOMEM);
    }
    r
}

/// A forked child: its own random calls, then the end chosen for it. A
/// surprise on the way ends it with 255, which its parent does not expect.
fn child(seed: u32, end: u32, code: i32, s: &mut Stats) -> ! {
    s.child = true;
    s.children = [None; LIVE];
    s.surprises = 0;
    let mut rng = Rng::new(seed);
    for _ in 0..CHILD_CALLS {
        one_call(&mut rng, s);
    }
    if s.surprises > 0 {
        sys::exit(255);
    }
    match end {
        0 => sys::exit(code),
        1 => {
            let e = sys::exec("status", code as u32);
            println!("fuzz: a child's exec(status) failed with {e}");
            sys::exit(255)
        }
        _ => {
            // SAFETY: none: a null-pointer read, which must kill this process.
            let v = unsafe { core::ptr::read_volatile(core::ptr::null::<u32>()) };
            sys::exit(v as i32)
        }
    }
}

/// `exec` with a random name pointer and length: always refused (no
/// program has a name made of these bytes), so the caller goes on.
fn exec(rng: &mut Rng, s: &mut Stats) -> u32 {
    let p = pointer(rng);
    let len = if rng.below(2) == 0 { rng.below(40) } else { length(rng) };
    let r = sys::syscall(nr::EXEC, p.addr(), len, rng.next_u32());
    if len == 0 || len > 32 {
        s.expect_error("exec(bad length)", r, errno::ENOENT);
    } else if let Ptr::Bad(_) = p {
        s.expect_error("exec(bad name)", r, errno::EFAULT);
    } else if errno_of(r).is_none() {
        s.surprises += 1;
    }
    r
}

/// `wait` for a random id (0, a child's, or any) into a random pointer.
fn wait(rng: &mut Rng, s: &mut Stats) -> u32 {
    let pid = match rng.below(3) {
        0 => 0,
        1 => s.children.iter().flatten().map(|c| c.0).next().unwrap_or(0),
        _ => small_or_random(rng),
    };
    let p = if rng.below(2) == 0 { Ptr::Scratch(&raw mut SCRATCH as u32) } else { pointer(rng) };
    let r = sys::syscall(nr::WAIT, pid, p.addr(), 0);
    let child = s.children.iter().position(|c| c.is_some_and(|c| c.0 == r));
    if matches!(p, Ptr::Bad(_) | Ptr::Text(_)) && p.addr() != 0 {
        s.expect_error("wait(bad status)", r, errno::EFAULT);
    } else if let Some(slot) = child {
        let (pid, how, code) = s.children[slot].take().unwrap_or_default();
        s.collected += 1;
        if let Ptr::Scratch(at) = p {
            // SAFETY: the kernel just wrote a `WaitStatus` there.
            let got = unsafe { core::ptr::read_unaligned(at as *const WaitStatus) };
            if got != (WaitStatus { pid, how, code }) {
                s.surprises += 1;
                println!("fuzz: child {pid} ended with {got:?}, expected {how}/{code}");
            }
        }
    } else if matches!(p, Ptr::Scratch(_)) || p.addr() == 0 {
        // (A random pointer may be refused first, with EFAULT.)
        let theirs = s.children.iter().flatten().any(|c| c.0 == pid);
        if s.children.iter().all(Option::is_none) || (pid != 0 && !theirs) {
            s.expect_error("wait(no such child)", r, errno::ECHILD);
        }
    }
    r
}

/// Collects the children still there, checking each status.
fn collect_all(s: &mut Stats) {
    while s.children.iter().any(Option::is_some) {
        let Ok(got) = sys::wait(0) else {
            println!("fuzz: wait refused with children left");
            s.surprises += 1;
            return;
        };
        let slot = s.children.iter().position(|c| c.is_some_and(|c| c.0 == got.pid));
        let Some((pid, how, code)) = slot.and_then(|i| s.children[i].take()) else {
            println!("fuzz: wait returned {got:?}, not a child of this process");
            s.surprises += 1;
            return;
        };
        s.collected += 1;
        if got != (WaitStatus { pid, how, code }) {
            s.surprises += 1;
            println!("fuzz: child {pid} ended with {got:?}, expected {how}/{code}");
        }
    }
}

fn run(seed: u32) -> i32 {
    println!("fuzz: seed {seed:#x}: {CALLS} random system calls (replay: exec=fuzz:{seed:#x})");
    let mut rng = Rng::new(seed);
    let heap_start = sys::brk(0).unwrap_or(0);
    let mut s = Stats {
        calls: 0,
        errors: 0,
        surprises: 0,
        mapped: [(0, 0); 64],
        child: false,
        forks: 0,
        children: [None; LIVE],
        collected: 0,
    };
    for i in 0..CALLS {
        one_call(&mut rng, &mut s);
        if (i + 1) % 10_000 == 0 {
            println!(
                "fuzz: {} calls, {} errors returned, {} surprises",
                s.calls, s.errors, s.surprises
            );
        }
    }
    collect_all(&mut s);
    // Give back what the calls took: mappings and the heap.
    let _ = sys::brk(heap_start);
    // (A mapping the random calls cut up is refused here: its frames go
    // back when the process exits, which the kernel's test checks.)
    for &(addr, len) in s.mapped.iter().filter(|m| m.1 != 0) {
        let _ = sys::munmap(addr, len);
    }
    let info = sys::meminfo().unwrap_or_default();
    println!(
        "fuzz: done: {} calls, {} errors returned, {} surprises; {} frames held; \
         {} children forked and collected",
        s.calls, s.errors, s.surprises, info.total, s.collected
    );
    if s.surprises == 0 { 0 } else { 1 }
}

user::program!(run);
