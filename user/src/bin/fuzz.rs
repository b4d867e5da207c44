//! System-call fuzzing from a seed (`arg`): tens of thousands of calls with
//! random numbers, arguments and pointers (kernel addresses, unmapped
//! pages, ranges that wrap, huge lengths, read-only memory). The kernel
//! must survive every one, and every call whose arguments are certainly
//! bad must get an error back. Exits 0 if none surprised it; the kernel's
//! test then checks that nothing leaked.
//!
//! Replay: `make test` prints the seed; `exec=fuzz:SEED` on the command
//! line runs the same calls again.
#![cfg_attr(target_os = "none", no_std, no_main)]

use user::abi::{errno, errno_of, nr};
use user::rng::Rng;
use user::{println, sys};

const CALLS: u32 = 30_000;

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
    let choice = rng.below(12);
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
        _ => sys::syscall(nr::YIELD, rng.next_u32(), 0, 0),
    };
    if errno_of(result).is_some() {
        s.errors += 1;
    }
}

fn run(seed: u32) -> i32 {
    println!("fuzz: seed {seed:#x}: {CALLS} random system calls (replay: exec=fuzz:{seed:#x})");
    let mut rng = Rng::new(seed);
    let heap_start = sys::brk(0).unwrap_or(0);
    let mut s = Stats { calls: 0, errors: 0, surprises: 0, mapped: [(0, 0); 64] };
    for i in 0..CALLS {
        one_call(&mut rng, &mut s);
        if (i + 1) % 10_000 == 0 {
            println!(
                "fuzz: {} calls, {} errors returned, {} surprises",
                s.calls, s.errors, s.surprises
            );
        }
    }
    // Give back what the calls took: mappings and the heap.
    let _ = sys::brk(heap_start);
    // (A mapping the random calls cut up is refused here: its frames go
    // back when the process exits, which the kernel's test checks.)
    for &(addr, len) in s.mapped.iter().filter(|m| m.1 != 0) {
        let _ = sys::munmap(addr, len);
    }
    let info = sys::meminfo().unwrap_or_default();
    println!(
        "fuzz: done: {} calls, {} errors returned, {} surprises; {} frames held",
        s.calls, s.errors, s.surprises, info.total
    );
    if s.surprises == 0 { 0 } else { 1 }
}

user::program!(run);
