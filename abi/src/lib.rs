//! The system-call interface, shared by the kernel and user programs so
//! the two cannot disagree: the call numbers, the error codes and the
//! structure the memory-use call fills in.
//!
//! ## Calling convention (`int 0x80`)
//!
//! ```text
//!   eax  call number          returns: eax = result
//!   ebx  argument 1                     (-4095..=-1 as i32: -errno)
//!   ecx  argument 2
//!   edx  argument 3           every other register is preserved
//!   esi  argument 4
//!   edi  argument 5
//! ```
//!
//! A result in `-4095..=-1` (read as `i32`) is an error, `-errno`; any
//! other value is the call's answer. A process starts with `eax` = the
//! argument the kernel was asked to pass it (a seed, a count).
#![no_std]
#![forbid(unsafe_code)]

/// The call numbers.
pub mod nr {
    /// `exit(code)`: ends the process; never returns.
    pub const EXIT: u32 = 0;
    /// `write(fd, buf, len)`: writes `len` bytes to fd 1 or 2 (the console).
    pub const WRITE: u32 = 1;
    /// `getpid()`: the process's id.
    pub const GETPID: u32 = 2;
    /// `yield()`: gives the CPU to the next process.
    pub const YIELD: u32 = 3;
    /// `brk(addr)`: sets the end of the heap; `brk(0)` asks for it.
    pub const BRK: u32 = 4;
    /// `sbrk(increment)`: moves the end of the heap; returns the old end.
    pub const SBRK: u32 = 5;
    /// `mmap(len, prot)`: reserves `len` bytes (rounded up to pages) of
    /// anonymous, zero-filled memory with rights `prot`; returns its address.
    pub const MMAP: u32 = 6;
    /// `munmap(addr, len)`: gives back whole pages of anonymous mappings.
    pub const MUNMAP: u32 = 7;
    /// `meminfo(out)`: fills a [`MemInfo`](super::MemInfo) at `out`.
    pub const MEMINFO: u32 = 8;
    /// `sleep(ticks)`: sleeps at least `ticks` timer ticks (10 ms each).
    pub const SLEEP: u32 = 9;
    /// `fork()`: a copy of the calling process, its memory shared
    /// copy-on-write; returns the child's id in the parent and 0 in the child.
    pub const FORK: u32 = 10;
    /// `exec(name, len, arg)`: replaces the calling process's program with
    /// the boot module named by the `len` bytes at `name`, started with
    /// `arg` in EAX; returns only on failure.
    pub const EXEC: u32 = 11;
    /// `wait(pid, status)`: waits until child `pid` (0: any child) has
    /// ended, fills a [`WaitStatus`](super::WaitStatus) at `status` (0: none
    /// wanted) and returns the child's id.
    pub const WAIT: u32 = 12;
    /// One past the highest call number.
    pub const COUNT: u32 = 13;
}

/// Error codes (returned negated).
pub mod errno {
    /// No such program (`exec`).
    pub const ENOENT: u32 = 2;
    /// The program is not an executable this kernel runs (`exec`).
    pub const ENOEXEC: u32 = 8;
    /// Not a file descriptor this kernel knows.
    pub const EBADF: u32 = 9;
    /// No child to wait for (none at all, or none with that id).
    pub const ECHILD: u32 = 10;
    /// Every process slot is taken (`fork`).
    pub const EAGAIN: u32 = 11;
    /// Out of memory (or of address space, or of regions).
    pub const ENOMEM: u32 = 12;
    /// A pointer into memory the process may not use that way.
    pub const EFAULT: u32 = 14;
    /// An argument out of range.
    pub const EINVAL: u32 = 22;
    /// No such call.
    pub const ENOSYS: u32 = 38;
}

/// Rights for `mmap`.
pub mod prot {
    /// Readable.
    pub const READ: u32 = 1;
    /// Writable.
    pub const WRITE: u32 = 2;
    /// Executable (two-level i686 paging cannot forbid execution of a
    /// readable page; recorded only).
    pub const EXEC: u32 = 4;
}

/// The result of a call that failed with `errno`.
pub const fn error(errno: u32) -> u32 {
    errno.wrapping_neg()
}

/// The error code in `result`, if it is one.
pub const fn errno_of(result: u32) -> Option<u32> {
    if result > 0u32.wrapping_sub(4096) { Some(result.wrapping_neg()) } else { None }
}

/// What `meminfo` tells a process about its own memory, in frames
/// (4 KiB each) unless said otherwise.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct MemInfo {
    /// The process's id.
    pub pid: u32,
    /// Every frame the process holds: the sum of the fields below, to
    /// `kernel_stack`.
    pub total: u32,
    /// Its page directory (1).
    pub directory: u32,
    /// Page tables of its user half.
    pub page_tables: u32,
    /// Pages of its program image.
    pub image: u32,
    /// Heap pages touched so far.
    pub heap: u32,
    /// Pages of anonymous mappings touched so far.
    pub anonymous: u32,
    /// Stack pages touched so far.
    pub stack: u32,
    /// Its kernel stack.
    pub kernel_stack: u32,
    /// Bytes between the heap's start and the break.
    pub heap_bytes: u32,
    /// Bytes of anonymous mappings reserved.
    pub mapped_bytes: u32,
    /// How many regions it has.
    pub regions: u32,
    /// Free frames in the whole machine.
    pub free_frames: u32,
    /// Of the pages above, those another process maps too (shared by a
    /// fork, copy-on-write if writable); `total` counts them here as well.
    pub shared: u32,
    /// Copy-on-write faults that copied a shared page for this process.
    pub copied: u32,
    /// Copy-on-write faults that found this process the page's last user
    /// (made writable again, no copy).
    pub reclaimed: u32,
    /// Frames the machine's table of shared frames' reference counts holds.
    pub count_table: u32,
}

/// How a child ended, as `wait` reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct WaitStatus {
    /// The child's id.
    pub pid: u32,
    /// [`how::EXITED`] or one of the `how::KILLED_*` reasons.
    pub how: u32,
    /// The exit code (`EXITED`), or the exception's vector (`KILLED_*`:
    /// 14 for a page fault).
    pub code: i32,
}

/// How a process ended ([`WaitStatus::how`]).
pub mod how {
    /// It called `exit`.
    pub const EXITED: u32 = 0;
    /// Killed: a page fault it had no right to.
    pub const KILLED_FAULT: u32 = 1;
    /// Killed: a page it needed (a fresh one, or a copy of a shared one)
    /// found no free frame.
    pub const KILLED_OUT_OF_MEMORY: u32 = 2;
    /// Killed: another exception (a privileged instruction, ...).
    pub const KILLED_EXCEPTION: u32 = 3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_round_trip_and_answers_are_not_errors() {
        assert_eq!(errno_of(error(errno::EFAULT)), Some(errno::EFAULT));
        assert_eq!(errno_of(0), None);
        assert_eq!(errno_of(0x4000_0000), None);
        assert_eq!(errno_of(0xBFFF_F000), None, "a high user address is an answer");
        assert_eq!(errno_of(0u32.wrapping_sub(4095)), Some(4095));
        assert_eq!(errno_of(0u32.wrapping_sub(4096)), None);
    }
}
