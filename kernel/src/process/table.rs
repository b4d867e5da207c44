//! The process table: a slot per process (the slot number is also its
//! kernel stack's), which one runs, and what became of those that ended.
//!
//! Lock order: the table, then the heap, then memory. Nothing holds the
//! table's lock across a switch to another context.

use super::MAX_PROCESSES;
use super::state::{Exit, Name, Process};
use crate::sync::{IrqMutex, IrqMutexGuard};
use alloc::boxed::Box;

/// What is left of a process that ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    /// Its id.
    pub pid: u32,
    /// Its program.
    pub name: Name,
    /// How it ended.
    pub exit: Exit,
    /// Frames it held when it ended (all given back).
    pub frames: u32,
    /// Bytes it wrote to the console.
    pub written: u32,
}

/// What a [`run`](super::run) saw end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Processes that called `exit(0)`.
    pub succeeded: u32,
    /// Processes that exited with another code.
    pub failed: u32,
    /// Processes the kernel killed.
    pub killed: u32,
}

const RECORDS: usize = 64;

pub(super) struct Table {
    pub slots: [Option<Box<Process>>; MAX_PROCESSES],
    /// The slot running now; `None` while the kernel's own context (the
    /// idle loop, the boot code) runs.
    pub current: Option<usize>,
    pub next_pid: u32,
    /// The kernel context's stack pointer while a process runs.
    pub idle_esp: u32,
    /// The last `RECORDS` processes that ended, by pid modulo `RECORDS`.
    pub records: [Option<ExitRecord>; RECORDS],
    pub summary: RunSummary,
    pub live: usize,
}

pub(super) static TABLE: IrqMutex<Table> = IrqMutex::new(Table {
    slots: [const { None }; MAX_PROCESSES],
    current: None,
    next_pid: 1,
    idle_esp: 0,
    records: [None; RECORDS],
    summary: RunSummary { succeeded: 0, failed: 0, killed: 0 },
    live: 0,
});

pub(super) fn lock() -> IrqMutexGuard<'static, Table> {
    TABLE.lock()
}

impl Table {
    /// The running process.
    pub fn current_mut(&mut self) -> Option<&mut Process> {
        let slot = self.current?;
        self.slots[slot].as_deref_mut()
    }

    /// A free slot.
    pub fn free_slot(&self) -> Option<usize> {
        self.slots.iter().position(Option::is_none)
    }

    /// Keeps what is left of `process` once it is reaped.
    pub fn record(&mut self, process: &Process) {
        let super::State::Dead(exit) = process.state else { return };
        let record = ExitRecord {
            pid: process.pid,
            name: process.name,
            exit,
            frames: process.frames_at_exit,
            written: process.written,
        };
        self.records[process.pid as usize % RECORDS] = Some(record);
        match exit {
            Exit::Code(0) => self.summary.succeeded += 1,
            Exit::Code(_) => self.summary.failed += 1,
            Exit::Killed(_) => self.summary.killed += 1,
        }
    }
}

/// Runs `f` on the running process, if one runs.
pub fn with_current<R>(f: impl FnOnce(&mut Process) -> R) -> Option<R> {
    lock().current_mut().map(f)
}

/// How process `pid` ended, if it ended recently (the last 64 are kept).
pub fn exit_record(pid: u32) -> Option<ExitRecord> {
    lock().records[pid as usize % RECORDS].filter(|r| r.pid == pid)
}
