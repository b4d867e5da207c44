//! Processes: user programs running in ring 3, each in an address space of
//! its own, scheduled round robin. See docs/processes.md.
//!
//! - `state.rs`: what the kernel knows about one process, and how it
//!   ends (`exit`, `kill`), with its report.
//! - `table.rs`: the process table, and the records of processes that ended.
//! - `exec.rs`: a process from a boot module: the ELF checked, the space
//!   built, the kernel stack prepared to drop to ring 3.
//! - `sched.rs`: the timer tick, `yield`, sleeping, switching, the idle
//!   loop, and `run` until the last process has exited.
//! - `fault.rs`: exceptions from ring 3: memory on demand, or the end of
//!   the process that had no right to what it did.
//! - `usermem.rs`: what system calls do with a process's memory: checked
//!   copies in and out, `brk`, `mmap`, `munmap`, the memory-use report.

mod exec;
pub mod fault;
mod sched;
mod state;
mod table;
pub mod usermem;

pub use exec::{SpawnError, spawn};
pub use sched::{TICK_HZ, exit_current, run, sleep_current, ticks, yield_current};
pub use state::{Exit, KillReason, Process, State};
pub use table::{ExitRecord, RunSummary, exit_record, with_current};

/// The most processes at once: one per kernel-stack slot.
pub const MAX_PROCESSES: usize = mm::layout::KERNEL_STACK_SLOTS as usize;
