//! The system calls (see the `abi` crate for the convention): raw
//! `int 0x80` and one wrapper per call, returning `Result<_, errno>`.

use abi::{MemInfo, WaitStatus, nr};

/// A raw system call with three arguments (EBX, ECX, EDX; no call takes
/// more yet); the kernel's answer in EAX.
#[cfg(target_os = "none")]
pub fn syscall(number: u32, a: u32, b: u32, c: u32) -> u32 {
    let result;
    // SAFETY: `int 0x80` enters the kernel, which reads the registers
    // named here, writes EAX and preserves every other register. It may
    // write memory the arguments point at (only where the call says so).
    unsafe {
        core::arch::asm!(
            "int 0x80",
            inout("eax") number => result,
            in("ebx") a,
            in("ecx") b,
            in("edx") c,
        );
    }
    result
}

/// On the host there is no kernel to call.
#[cfg(not(target_os = "none"))]
pub fn syscall(number: u32, _a: u32, _b: u32, _c: u32) -> u32 {
    panic!("system call {number}: user programs run only on the kernel")
}

fn result(value: u32) -> Result<u32, u32> {
    match abi::errno_of(value) {
        Some(errno) => Err(errno),
        None => Ok(value),
    }
}

/// Ends the process with `code`.
pub fn exit(code: i32) -> ! {
    syscall(nr::EXIT, code as u32, 0, 0);
    unreachable!("exit returned")
}

/// Writes `bytes` to `fd` (1 or 2: the console); the count written.
pub fn write(fd: u32, bytes: &[u8]) -> Result<u32, u32> {
    result(syscall(nr::WRITE, fd, bytes.as_ptr() as u32, bytes.len() as u32))
}

/// This process's id.
pub fn getpid() -> u32 {
    syscall(nr::GETPID, 0, 0, 0)
}

/// Lets the next process run.
pub fn yield_now() {
    syscall(nr::YIELD, 0, 0, 0);
}

/// Sets the end of the heap to `addr` (0: just ask); the end after the call.
pub fn brk(addr: u32) -> Result<u32, u32> {
    result(syscall(nr::BRK, addr, 0, 0))
}

/// Moves the end of the heap by `increment`; the old end.
pub fn sbrk(increment: i32) -> Result<u32, u32> {
    result(syscall(nr::SBRK, increment as u32, 0, 0))
}

/// Reserves `len` bytes of zero-filled memory with rights `prot`.
pub fn mmap(len: u32, prot: u32) -> Result<u32, u32> {
    result(syscall(nr::MMAP, len, prot, 0))
}

/// Gives back the pages of `len` bytes at `addr`.
pub fn munmap(addr: u32, len: u32) -> Result<u32, u32> {
    result(syscall(nr::MUNMAP, addr, len, 0))
}

/// This process's memory use.
pub fn meminfo() -> Result<MemInfo, u32> {
    let mut info = MemInfo::default();
    result(syscall(nr::MEMINFO, &mut info as *mut MemInfo as u32, 0, 0))?;
    Ok(info)
}

/// Sleeps at least `ticks` timer ticks (10 ms each).
pub fn sleep(ticks: u32) {
    syscall(nr::SLEEP, ticks, 0, 0);
}

/// What `fork` returned: in which process this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forked {
    /// The parent; the child has this id.
    Parent(u32),
    /// The child.
    Child,
}

/// A copy of this process, its memory shared copy-on-write.
pub fn fork() -> Result<Forked, u32> {
    match result(syscall(nr::FORK, 0, 0, 0))? {
        0 => Ok(Forked::Child),
        pid => Ok(Forked::Parent(pid)),
    }
}

/// Replaces this program with the boot module `name`, started with `arg`;
/// returns only on failure, with the error.
pub fn exec(name: &str, arg: u32) -> u32 {
    let r = syscall(nr::EXEC, name.as_ptr() as u32, name.len() as u32, arg);
    abi::errno_of(r).unwrap_or(0)
}

/// Waits until child `pid` (0: any) has ended, and collects its status.
pub fn wait(pid: u32) -> Result<WaitStatus, u32> {
    let mut status = WaitStatus::default();
    result(syscall(nr::WAIT, pid, &mut status as *mut WaitStatus as u32, 0))?;
    Ok(status)
}
