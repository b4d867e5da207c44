//! `fork`: a copy of the running process, whose memory shares every page
//! with its parent copy-on-write (`UserMemory::fork`), and which starts
//! by returning from the same system call with 0 where the parent gets
//! the child's id.
//!
//! ```text
//!  a table slot ──> the child's Process (kernel heap) ──> its kernel
//!  stack (2 frames) ──> its memory: a directory and the parent's tables
//!  shared page by page (no page copied) ──> its kernel stack prepared to
//!  `iret` with the parent's registers, EAX = 0
//! ```
//!
//! Each step that fails undoes the ones before: the call returns `ENOMEM`
//! (or `EAGAIN` with every slot taken) and the free-frame count is what it
//! was. The child's parent is the caller, who collects its exit status
//! with `wait`.

use super::boxed::try_box;
use super::sched;
use super::state::Process;
use super::table::lock;
use super::usermem::Errno;
use crate::arch::context;
use crate::arch::idt::TrapFrame;
use crate::memory;
use abi::errno;

/// Forks the running process, whose system-call registers are `frame`;
/// returns the child's pid.
pub fn fork(frame: &TrapFrame) -> Result<u32, Errno> {
    let mut table = lock();
    let slot = table.free_slot().ok_or(errno::EAGAIN)?;
    let pid = table.next_pid;
    let parent = table.current_mut().ok_or(errno::EINVAL)?;
    let child = Process::new(pid, parent.name, Some(parent.pid));
    let mut child = try_box(child).map_err(|_| errno::ENOMEM)?;
    // The memory last: its failure puts the parent's pages back as they
    // were, and there is nothing after it to undo.
    let stack = memory::lock().map_kernel_stack(slot as u32);
    let Ok(stack) = stack else { return Err(errno::ENOMEM) };
    let Some(memory) = parent.memory_mut().fork() else {
        memory::lock().free_kernel_stack(stack);
        return Err(errno::ENOMEM);
    };
    child.memory = Some(memory);
    let mut registers = *frame;
    registers.eax = 0;
    // SAFETY: the stack was just mapped for the child and nothing runs on it.
    child.saved_esp = unsafe { context::prepare_stack(stack.top(), &registers, sched::first_run) };
    child.stack = Some(stack);
    table.insert(slot, child);
    Ok(pid)
}
