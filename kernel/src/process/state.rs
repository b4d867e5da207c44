//! One process as the kernel knows it, and the ways it ends.

use super::space::UserMemory;
use crate::memory::kstack::KernelStack;
use alloc::boxed::Box;
use core::fmt;
use mm::space::fault::Violation;
use mm::space::{Access, RegionKind};

/// A process name: the program's module name, up to 15 bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Name {
    bytes: [u8; 15],
    len: u8,
}

impl Name {
    /// `name`, cut at 15 bytes (on a character boundary).
    pub fn new(name: &str) -> Self {
        let mut end = name.len().min(15);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let mut bytes = [0; 15];
        bytes[..end].copy_from_slice(&name.as_bytes()[..end]);
        Self { bytes, len: end as u8 }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("?")
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a process is in its life.
///
/// ```text
///  Runnable <──> Sleeping(until)      (sleep; the tick wakes it)
///  Runnable <──> Waiting              (wait; a child's end wakes it)
///  Runnable ──> Dead(exit)            (exit, or killed: user memory freed)
///  Dead ──> gone                      (no parent: reaped, its record kept)
///  Dead ──> Zombie(exit) ──> gone     (a parent: only the status stays, until
///                                      the parent waits for it or ends)
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Ready to run (or running).
    Runnable,
    /// Asleep until the tick count reaches this.
    Sleeping(u64),
    /// In `wait`, until a child ends.
    Waiting,
    /// Ended; its user memory is freed, its kernel stack waits to be.
    Dead(Exit),
    /// Ended, kernel stack freed too: only its status is left, for its
    /// parent to collect with `wait`.
    Zombie(Exit),
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It called `exit` with this code.
    Code(i32),
    /// The kernel ended it.
    Killed(KillReason),
}

/// Why the kernel ended a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillReason {
    /// A page fault it had no right to.
    Fault {
        /// The address (CR2).
        addr: u32,
        /// What it tried.
        access: Access,
        /// Why that was not allowed.
        violation: Violation,
        /// Where (its EIP).
        eip: u32,
    },
    /// A page fault that needed a frame when there was none.
    OutOfMemory {
        /// The address (CR2).
        addr: u32,
        /// The region's kind.
        kind: RegionKind,
        /// Whether the frame was for a copy of a page shared by a fork
        /// (else for a fresh page).
        copy: bool,
        /// Where (its EIP).
        eip: u32,
    },
    /// Another exception (a privileged instruction, a bad `int`, ...).
    Exception {
        /// The vector.
        vector: u32,
        /// Its mnemonic, e.g. `#GP`.
        mnemonic: &'static str,
        /// Its name.
        name: &'static str,
        /// Where (its EIP).
        eip: u32,
    },
}

impl fmt::Display for KillReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            KillReason::Fault { addr, access, violation, eip } => write!(
                f,
                "page fault: {} at {addr:#010x} in {violation}; eip {eip:#010x}",
                access.name()
            ),
            KillReason::OutOfMemory { addr, kind, copy: false, eip } => write!(
                f,
                "out of memory: no free frame for the {} page at {addr:#010x}; eip {eip:#010x}",
                kind.name()
            ),
            KillReason::OutOfMemory { addr, kind, copy: true, eip } => write!(
                f,
                "out of memory: no free frame to copy the shared {} page at {addr:#010x} \
                 (copy-on-write); eip {eip:#010x}",
                kind.name()
            ),
            KillReason::Exception { vector, mnemonic, name, eip } => {
                write!(f, "{mnemonic} {name} (vector {vector})")?;
                if vector == 13 {
                    f.write_str(" (a privileged instruction, port access or forbidden `int`?)")?;
                }
                write!(f, "; eip {eip:#010x}")
            }
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exited with code {code}"),
            Exit::Killed(reason) => write!(f, "killed: {reason}"),
        }
    }
}

/// A process.
///
/// Small on purpose: its memory (address space, regions: about 3 KiB) is a
/// box of its own, freed when it ends, so what stays behind until a parent
/// collects the status is this record alone (about 100 bytes).
#[derive(Debug)]
pub struct Process {
    /// Its id (never reused while the kernel runs).
    pub pid: u32,
    /// Its program's name.
    pub name: Name,
    /// The process that forked it, while that one lives (it collects the
    /// status); `None` for a process the kernel started or an orphan,
    /// which the kernel reaps.
    pub parent: Option<u32>,
    /// Runnable, sleeping, waiting, dead or a zombie.
    pub state: State,
    /// Its user memory (gone once it is dead).
    pub memory: Option<Box<UserMemory>>,
    /// Its kernel stack (freed after it is dead and switched away from).
    pub stack: Option<KernelStack>,
    /// Its kernel stack pointer while another context runs.
    pub saved_esp: u32,
    /// Bytes it wrote to the console.
    pub written: u32,
    /// Frames it held when it ended (shared ones included).
    pub frames_at_exit: u32,
    /// Copy-on-write faults that copied a page for it.
    pub copied: u32,
    /// Copy-on-write faults that found it a page's last user.
    pub reclaimed: u32,
}

impl Process {
    /// A runnable process with nothing yet: no memory, no kernel stack.
    pub fn new(pid: u32, name: Name, parent: Option<u32>) -> Self {
        Self {
            pid,
            name,
            parent,
            state: State::Runnable,
            memory: None,
            stack: None,
            saved_esp: 0,
            written: 0,
            frames_at_exit: 0,
            copied: 0,
            reclaimed: 0,
        }
    }

    /// Frames it holds: its space (directory, tables, pages, shared ones
    /// included) and its kernel stack.
    pub fn frames(&self) -> u32 {
        let space = self.memory.as_ref().map_or(0, |m| m.space.frames().total());
        let stack =
            if self.stack.is_some() { mm::layout::KERNEL_STACK_SIZE / mm::PAGE_SIZE } else { 0 };
        space + stack
    }

    /// Its memory. Every process that runs has one.
    ///
    /// # Panics
    ///
    /// If it has ended.
    pub fn memory_mut(&mut self) -> &mut UserMemory {
        self.memory.as_mut().expect("a process that runs has its memory")
    }
}
