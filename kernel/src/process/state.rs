//! One process as the kernel knows it, and the ways it ends.

use crate::memory::kstack::KernelStack;
use crate::memory::spaces::UserSpace;
use core::fmt;
use mm::space::fault::Violation;
use mm::space::{Access, RegionKind, UserRegions};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Ready to run (or running).
    Runnable,
    /// Asleep until the tick count reaches this.
    Sleeping(u64),
    /// Ended; its user memory is freed, its kernel stack waits to be.
    Dead(Exit),
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
            KillReason::OutOfMemory { addr, kind, eip } => write!(
                f,
                "out of memory: no free frame for the {} page at {addr:#010x}; eip {eip:#010x}",
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

/// Pages mapped so far, per region kind (index: `kind_index`).
pub(crate) fn kind_index(kind: RegionKind) -> usize {
    match kind {
        RegionKind::Image => 0,
        RegionKind::Heap => 1,
        RegionKind::Anonymous => 2,
        RegionKind::Stack => 3,
    }
}

/// A process.
#[derive(Debug)]
pub struct Process {
    /// Its id (never reused while the kernel runs).
    pub pid: u32,
    /// Its program's name.
    pub name: Name,
    /// Runnable, sleeping, or dead.
    pub state: State,
    /// Its address space (gone once it is dead).
    pub space: Option<UserSpace>,
    /// What it may use.
    pub regions: UserRegions,
    /// Its kernel stack (freed after it is dead and switched away from).
    pub stack: Option<KernelStack>,
    /// Its kernel stack pointer while another context runs.
    pub saved_esp: u32,
    /// Where the heap begins (the page after the image).
    pub heap_start: u32,
    /// The break: one past the heap's last byte.
    pub brk: u32,
    /// Pages mapped per region kind.
    pub resident: [u32; 4],
    /// Bytes it wrote to the console.
    pub written: u32,
    /// Frames it held when it ended.
    pub frames_at_exit: u32,
}

impl Process {
    /// Frames it holds: its space (directory, tables, pages) and its kernel stack.
    pub fn frames(&self) -> u32 {
        let space = self.space.as_ref().map_or(0, |s| s.frames().total());
        let stack =
            if self.stack.is_some() { mm::layout::KERNEL_STACK_SIZE / mm::PAGE_SIZE } else { 0 };
        space + stack
    }
}
