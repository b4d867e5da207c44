//! The page-fault decision for a process: map a zeroed page, grow the
//! stack, copy a page a fork shared, or kill the process, and why.
//!
//! Plain logic over the process's regions, so the host tests every case;
//! the kernel's fault handler only gathers the inputs (CR2, the error
//! code) and carries out the answer.
//!
//! ```text
//!  fault at addr ──> kernel half? ─────────────────────── yes ─> kill: kernel memory
//!                    null page (first 4 MiB)? ──────────── yes ─> kill: null pointer
//!                    in no region? ── in the stack gap ──────────> kill: stack overflow
//!                          └──────── elsewhere ──────────────────> kill: unmapped address
//!                    region forbids the access? ────────── yes ─> kill: access denied
//!                    page present (a protection fault)?
//!                          ├── a write the region allows ────────> copy on write
//!                          └── anything else ────────────────────> kill: access denied
//!                    stack region ───────────────────────────────> grow the stack
//!                    otherwise ──────────────────────────────────> map a zeroed page
//! ```
//!
//! A present page whose region allows the write but whose entry does not
//! can only be one a fork shared: its entry is marked copy-on-write, and
//! `AddressSpace::copy_on_write` checks that mark before it acts.

#![forbid(unsafe_code)]

use super::regions::{Access, RegionKind, Rights, UserRegions};
use crate::addr::VirtAddr;
use crate::frame::Page;
use crate::layout::{USER_END, USER_IMAGE_START, USER_STACK_BOTTOM, USER_STACK_GAP};
use core::fmt;

/// A page fault taken in user mode, as the CPU reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The address that faulted (CR2).
    pub addr: VirtAddr,
    /// What the instruction tried.
    pub access: Access,
    /// Whether the page was present (a protection violation) or not.
    pub present: bool,
}

/// What to do about a fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Map a zeroed frame at `page` with `rights` (heap, anonymous mapping,
    /// or an image page): memory on demand.
    MapZeroed {
        /// The page to map.
        page: Page,
        /// The region's rights.
        rights: Rights,
        /// The region's kind.
        kind: RegionKind,
    },
    /// Map a zeroed frame at `page` of the stack region: the stack grows.
    GrowStack {
        /// The page to map.
        page: Page,
    },
    /// A write to a present, read-only page of a writable region: a page
    /// shared by a fork, copied (or made writable again) for this process.
    CopyOnWrite {
        /// The page written to.
        page: Page,
        /// The region's kind.
        kind: RegionKind,
    },
    /// The process had no right to this access: it is killed.
    Kill(Violation),
}

/// Why a fault kills the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// An address in the kernel half.
    KernelMemory,
    /// An address in the first 4 MiB, where nothing is ever mapped: a
    /// null pointer (plus an offset).
    NullPointer,
    /// An address in the gap below the stack's limit.
    StackOverflow,
    /// An address in no region.
    Unmapped,
    /// An access the region's rights forbid.
    Denied {
        /// The region's kind.
        kind: RegionKind,
        /// The region's rights.
        rights: Rights,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::KernelMemory => f.write_str("kernel memory (no user access)"),
            Violation::NullPointer => f.write_str("the unmapped first 4 MiB (a null pointer?)"),
            Violation::StackOverflow => {
                f.write_str("the gap below the stack (stack overflow: the 1 MiB limit is reached)")
            }
            Violation::Unmapped => f.write_str("no region (an unmapped address)"),
            Violation::Denied { kind, rights } => {
                write!(f, "the {} ({rights}), which forbids it", kind.name())
            }
        }
    }
}

/// Decides what a user-mode page fault means for the process whose
/// regions are `regions`.
pub fn decide<const N: usize>(regions: &UserRegions<N>, fault: Fault) -> Decision {
    let addr = fault.addr.as_u32();
    if addr >= USER_END.as_u32() {
        return Decision::Kill(Violation::KernelMemory);
    }
    if addr < USER_IMAGE_START.as_u32() {
        return Decision::Kill(Violation::NullPointer);
    }
    let Some(region) = regions.find(fault.addr) else {
        let in_gap = (USER_STACK_GAP.as_u32()..USER_STACK_BOTTOM.as_u32()).contains(&addr);
        return Decision::Kill(if in_gap { Violation::StackOverflow } else { Violation::Unmapped });
    };
    let denied = Violation::Denied { kind: region.kind, rights: region.rights };
    if !region.rights.contains(fault.access.needs()) {
        return Decision::Kill(denied);
    }
    let page = Page::containing(fault.addr);
    if fault.present {
        return match fault.access {
            Access::Write => Decision::CopyOnWrite { page, kind: region.kind },
            // A read of a present page the region allows cannot fault.
            _ => Decision::Kill(denied),
        };
    }
    match region.kind {
        RegionKind::Stack => Decision::GrowStack { page },
        kind => Decision::MapZeroed { page, rights: region.rights, kind },
    }
}
