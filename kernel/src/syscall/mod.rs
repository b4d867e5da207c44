//! System calls: `int 0x80` with the call number in EAX and up to five
//! arguments in EBX, ECX, EDX, ESI, EDI; the result comes back in EAX,
//! `-errno` on failure (the `abi` crate holds the numbers, shared with the
//! user programs). See the table in docs/processes.md.
//!
//! Every call runs on the caller's kernel stack, with its address space
//! loaded and interrupts off. No call trusts an argument: numbers are
//! range-checked, and every pointer goes through `process::usermem`,
//! which checks it against the caller's regions before anything touches
//! it.

mod calls;
mod processes;

use crate::arch::idt::TrapFrame;
use abi::{errno, nr};

/// The handler of `int 0x80` (registered with `arch::interrupts`).
pub fn handle(frame: &mut TrapFrame) {
    let (a, b) = (frame.ebx, frame.ecx);
    let result = match frame.eax {
        nr::EXIT => calls::exit(a as i32),
        nr::WRITE => calls::write(a, b, frame.edx),
        nr::GETPID => calls::getpid(),
        nr::YIELD => calls::yield_now(),
        nr::BRK => crate::process::usermem::brk(a),
        nr::SBRK => crate::process::usermem::sbrk(a as i32),
        nr::MMAP => crate::process::usermem::mmap(a, b),
        nr::MUNMAP => crate::process::usermem::munmap(a, b),
        nr::MEMINFO => calls::meminfo(a),
        nr::SLEEP => calls::sleep(a),
        nr::FORK => processes::fork(frame),
        nr::EXEC => processes::exec(frame, a, b, frame.edx),
        nr::WAIT => processes::wait(a, b),
        _ => Err(errno::ENOSYS),
    };
    frame.eax = match result {
        Ok(value) => value,
        Err(code) => abi::error(code),
    };
}
