//! Programs from boot modules: a new process (`spawn`, from the kernel),
//! or a new program for the running one (`exec`). Either way the ELF file
//! is checked whole before a frame is taken, and a failure leaves nothing
//! behind (an `exec` that fails returns to the program that called it).
//!
//! ```text
//!  spawn(name, arg)  module ──> elf::parse ──> a table slot, the Process
//!                    ──> UserMemory::load (directory, image, stack page)
//!                    ──> kernel stack (2 frames), prepared to run
//!                        `first_run` and then `iret` to the entry point
//!  exec(name, arg)   module ──> elf::parse ──> UserMemory::load
//!                    ──> the new space loaded, the old memory ended
//!                    ──> the system call returns into the new program:
//!                        EIP = its entry, ESP = the stack's top, EAX = arg
//! ```

use super::boxed::try_box;
use super::sched;
use super::space::UserMemory;
use super::state::{Name, Process};
use super::table::lock;
use crate::arch::context;
use crate::arch::idt::TrapFrame;
use crate::elf::{self, ElfError};
use crate::memory::{self, modules, spaces};
use core::fmt;
use mm::layout::USER_STACK_TOP;

/// Why a process could not be started, or a program not executed.
/// Nothing was left behind.
#[derive(Debug)]
pub enum SpawnError {
    /// No boot module has that name.
    NoSuchProgram,
    /// The file is not a program this kernel runs.
    BadFile(ElfError),
    /// Every process slot is taken.
    TooManyProcesses,
    /// No memory for it (frames, or the kernel heap for its record).
    OutOfMemory,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoSuchProgram => f.write_str("no boot module has that name"),
            SpawnError::BadFile(e) => write!(f, "{e}"),
            SpawnError::TooManyProcesses => {
                write!(f, "all {} process slots are taken", super::MAX_PROCESSES)
            }
            SpawnError::OutOfMemory => f.write_str("out of memory"),
        }
    }
}

/// The program in boot module `name`, checked.
fn program(name: &str) -> Result<(elf::Program, &'static [u8]), SpawnError> {
    let module = modules::find(name).ok_or(SpawnError::NoSuchProgram)?;
    let program = elf::parse(module.bytes).map_err(SpawnError::BadFile)?;
    Ok((program, module.bytes))
}

/// Starts the program in boot module `name` with `arg` in EAX; returns its
/// pid. It runs the next time the scheduler picks it. The kernel is its
/// parent: no process waits for it, and the kernel reaps it.
pub fn spawn(name: &str, arg: u32) -> Result<u32, SpawnError> {
    let (program, file) = program(name)?;
    let mut table = lock();
    let slot = table.free_slot().ok_or(SpawnError::TooManyProcesses)?;
    let pid = table.next_pid;
    let process = Process::new(pid, Name::new(name), None);
    let mut process = try_box(process).map_err(|_| SpawnError::OutOfMemory)?;
    process.memory = Some(UserMemory::load(&program, file)?);
    let stack = memory::lock().map_kernel_stack(slot as u32);
    let Ok(stack) = stack else {
        process.memory.take().expect("just loaded").end();
        return Err(SpawnError::OutOfMemory);
    };
    let frame = context::user_entry_frame(program.entry, USER_STACK_TOP.as_u32(), arg);
    // SAFETY: the stack was just mapped for this process and nothing runs on it.
    process.saved_esp = unsafe { context::prepare_stack(stack.top(), &frame, sched::first_run) };
    process.stack = Some(stack);
    table.insert(slot, process);
    Ok(pid)
}

/// `exec`: replaces the running process's program with the one in boot
/// module `name`, and `frame` (what the system call returns to) with its
/// start: entry point, an empty stack, `arg` in EAX. The old memory is
/// released once the new one is loaded; on failure it is untouched and
/// the call returns the error to the old program.
pub fn exec(frame: &mut TrapFrame, name: &str, arg: u32) -> Result<(), SpawnError> {
    let (program, file) = program(name)?;
    let fresh = UserMemory::load(&program, file)?;
    let mut table = lock();
    let p = table.current_mut().expect("exec is called by a running process");
    let old = p.memory.replace(fresh);
    spaces::activate(&p.memory_mut().space);
    p.name = Name::new(name);
    if let Some(old) = old {
        old.end();
    }
    *frame = context::user_entry_frame(program.entry, USER_STACK_TOP.as_u32(), arg);
    Ok(())
}
