//! The process table: a slot per process (the slot number is also its
//! kernel stack's), which one runs, and what became of those that ended.
//! A zombie (a child that ended, whose parent has not collected its
//! status yet) keeps its slot, as in Unix.
//!
//! Lock order: the table, then the heap, then memory. Nothing holds the
//! table's lock across a switch to another context.

use super::MAX_PROCESSES;
use super::state::{Exit, Name, Process, State};
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
    /// Frames it held when it ended (shared ones included: those stay
    /// with the processes still using them).
    pub frames: u32,
    /// Bytes it wrote to the console.
    pub written: u32,
    /// The process that forked it, if it was alive when this one ended.
    pub parent: Option<u32>,
    /// Copy-on-write faults that copied a page for it.
    pub copied: u32,
    /// Copy-on-write faults that found it a page's last user.
    pub reclaimed: u32,
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

    /// Puts `process` in slot `slot` (from `free_slot`) and counts it.
    pub fn insert(&mut self, slot: usize, process: Box<Process>) {
        debug_assert!(self.slots[slot].is_none());
        self.next_pid = self.next_pid.max(process.pid + 1);
        self.slots[slot] = Some(process);
        self.live += 1;
    }

    /// Takes the ended process in slot `slot` out of the table for good,
    /// keeping its exit record.
    pub fn remove(&mut self, slot: usize) {
        let process = self.slots[slot].take().expect("removing an empty slot");
        debug_assert!(process.stack.is_none() && process.memory.is_none());
        self.record(&process);
        self.live -= 1;
    }

    /// Wakes process `pid` if it is waiting for a child.
    pub fn wake_waiting(&mut self, pid: u32) {
        let parent = self.slots.iter_mut().flatten().find(|p| p.pid == pid);
        if let Some(p) = parent
            && p.state == State::Waiting
        {
            p.state = State::Runnable;
        }
    }

    /// Process `pid` is ending: its children lose their parent. Those that
    /// ended already (zombies) go now; the others become orphans, which the
    /// kernel reaps when they end.
    pub fn orphan_children_of(&mut self, pid: u32) {
        for slot in 0..self.slots.len() {
            let Some(p) = self.slots[slot].as_mut() else { continue };
            if p.parent != Some(pid) {
                continue;
            }
            if matches!(p.state, State::Zombie(_)) {
                self.remove(slot);
            } else {
                p.parent = None;
            }
        }
    }

    /// Keeps what is left of `process` once it is gone.
    fn record(&mut self, process: &Process) {
        let (State::Dead(exit) | State::Zombie(exit)) = process.state else { return };
        let record = ExitRecord {
            pid: process.pid,
            name: process.name,
            exit,
            frames: process.frames_at_exit,
            written: process.written,
            parent: process.parent,
            copied: process.copied,
            reclaimed: process.reclaimed,
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

/// How many ended processes wait for their parent to collect their status.
pub fn zombies() -> usize {
    lock().slots.iter().flatten().filter(|p| matches!(p.state, State::Zombie(_))).count()
}
