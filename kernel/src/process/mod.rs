//! Processes: user programs running in ring 3, each in an address space of
//! its own, scheduled round robin; forked with their memory shared
//! copy-on-write, given a new program by `exec`, collected by `wait`. See
//! docs/processes.md.
//!
//! - `state.rs`: what the kernel knows about one process, and how it
//!   ends (`exit`, `kill`), with its report.
//! - `space.rs`: a process's user memory: loaded from a program, forked,
//!   ended.
//! - `table.rs`: the process table, and the records of processes that ended.
//! - `exec.rs`: a process from a boot module (`spawn`), or a new program
//!   for the running one (`exec`).
//! - `fork.rs`: a copy of the running process.
//! - `wait.rs`: a parent collecting its children's statuses; zombies and
//!   orphans.
//! - `sched.rs`: the timer tick, `yield`, sleeping, switching, the idle
//!   loop, and `run` until the last process has exited.
//! - `fault.rs`: exceptions from ring 3: memory on demand, copy-on-write,
//!   or the end of the process that had no right to what it did.
//! - `usermem.rs`: what system calls do with a process's memory: checked
//!   copies in and out, `brk`, `mmap`, `munmap`, the memory-use report.
//! - `boxed.rs`: boxes that report a full heap instead of panicking.

mod boxed;
mod exec;
pub mod fault;
mod fork;
mod sched;
mod space;
mod state;
mod table;
pub mod usermem;
mod wait;

pub use exec::{SpawnError, exec, spawn};
pub use fork::fork;
pub use sched::{TICK_HZ, exit_current, run, sleep_current, ticks, yield_current};
pub use space::UserMemory;
pub use state::{Exit, KillReason, Process, State};
pub use table::{ExitRecord, RunSummary, exit_record, with_current, zombies};
pub use wait::wait;

/// The most processes at once (zombies included): one per kernel-stack slot.
pub const MAX_PROCESSES: usize = mm::layout::KERNEL_STACK_SLOTS as usize;
