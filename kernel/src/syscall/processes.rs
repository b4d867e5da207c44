//! The calls that make and end processes' lives: fork, exec, wait.

use crate::arch::idt::TrapFrame;
use crate::process::usermem::{Errno, copy_from_user, copy_to_user, present};
use crate::process::{self, Exit, KillReason, SpawnError};
use abi::{WaitStatus, errno, how};
use mm::space::Access;

/// `fork()`: the child's pid here; the child returns 0 from the same call.
pub fn fork(frame: &TrapFrame) -> Result<u32, Errno> {
    process::fork(frame)
}

/// The longest program name `exec` accepts.
const MAX_NAME: u32 = 32;

/// `exec(name, len, arg)`: on success the call "returns" into the new
/// program, with `arg` in EAX; on failure the old program goes on.
pub fn exec(frame: &mut TrapFrame, name: u32, len: u32, arg: u32) -> Result<u32, Errno> {
    if len == 0 || len > MAX_NAME {
        return Err(errno::ENOENT);
    }
    let mut buf = [0u8; MAX_NAME as usize];
    let bytes = &mut buf[..len as usize];
    copy_from_user(name, bytes)?;
    let name = core::str::from_utf8(bytes).map_err(|_| errno::ENOENT)?;
    match process::exec(frame, name, arg) {
        // What the dispatcher puts in EAX: the new program's argument.
        Ok(()) => Ok(arg),
        Err(SpawnError::NoSuchProgram) => Err(errno::ENOENT),
        Err(SpawnError::BadFile(_)) => Err(errno::ENOEXEC),
        Err(SpawnError::TooManyProcesses | SpawnError::OutOfMemory) => Err(errno::ENOMEM),
    }
}

/// `wait(pid, status)`: the pid of the child collected. The status
/// pointer is checked (and its page made present) before a child is
/// collected, so a bad pointer loses no child's status.
pub fn wait(pid: u32, status: u32) -> Result<u32, Errno> {
    let size = size_of::<WaitStatus>() as u32;
    if status != 0 {
        present(status, size, Access::Write)?;
    }
    let (child, exit) = process::wait(pid)?;
    if status != 0 {
        let report = status_of(child, exit);
        // SAFETY: `WaitStatus` is `repr(C)` of three 4-byte fields: every
        // byte is initialised and there is no padding.
        let bytes = unsafe {
            core::slice::from_raw_parts((&report as *const WaitStatus).cast::<u8>(), size as usize)
        };
        copy_to_user(status, bytes)?;
    }
    Ok(child)
}

fn status_of(pid: u32, exit: Exit) -> WaitStatus {
    let (how, code) = match exit {
        Exit::Code(code) => (how::EXITED, code),
        Exit::Killed(KillReason::Fault { .. }) => (how::KILLED_FAULT, 14),
        Exit::Killed(KillReason::OutOfMemory { .. }) => (how::KILLED_OUT_OF_MEMORY, 14),
        Exit::Killed(KillReason::Exception { vector, .. }) => {
            (how::KILLED_EXCEPTION, vector as i32)
        }
    };
    WaitStatus { pid, how, code }
}
