//! Exceptions raised in ring 3: a page fault the process's regions allow
//! is memory on demand (a zeroed frame is mapped and the instruction runs
//! again) or the first write to a page a fork shared (copied, or made
//! writable again for its last user); anything else ends the process,
//! with a report, and the kernel runs the others.
//!
//! ```text
//!  #PF in ring 3 ──> mm::space::fault::decide(regions, address, access)
//!       MapZeroed / GrowStack ──> a frame, zeroed, mapped with the
//!                                 region's rights ──> iret: it runs again
//!       CopyOnWrite ────────────> a copy of the shared frame, or the page
//!                                 writable again ──> iret: it runs again
//!            no frame left ─────> killed: out of memory (this process only)
//!       Kill(why) ──────────────> killed: address, access, why, eip
//!  any other exception ─────────> killed: which one, eip
//! ```

use super::sched::exit_current;
use super::state::{Exit, KillReason};
use super::table::lock;
use crate::arch::exceptions::UserException;
use crate::arch::idt::TrapFrame;
use crate::memory;
use mm::VirtAddr;
use mm::frame::Page;
use mm::paging::{PageTableEntry, PageTableFlags};
use mm::space::fault::{Decision, Fault, Violation, decide};
use mm::space::{Access, CopyOnWrite, RegionKind, Rights, SpaceError};

/// What a fault-in attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultIn {
    /// The page is mapped now (or was already), with the access allowed.
    Mapped,
    /// The process has no right to that access there.
    Denied(Decision),
    /// It may, but no frame is left (for a fresh page, or for a copy).
    OutOfMemory {
        /// The region's kind.
        kind: RegionKind,
        /// Whether the frame was for a copy of a shared page.
        copy: bool,
    },
}

/// Makes the page at `addr` of the running process present for `access`
/// if its regions allow it (the page-fault handler's work, also done by
/// system calls before they touch user memory).
pub fn fault_in(addr: u32, access: Access, present: bool) -> FaultIn {
    let mut table = lock();
    let Some(p) = table.current_mut() else {
        return FaultIn::Denied(Decision::Kill(Violation::Unmapped));
    };
    let fault = Fault { addr: VirtAddr::new(addr), access, present };
    let decision = decide(&p.memory_mut().regions, fault);
    let (page, rights, kind) = match decision {
        Decision::MapZeroed { page, rights, kind } => (page, rights, kind),
        Decision::GrowStack { page } => (page, Rights::READ | Rights::WRITE, RegionKind::Stack),
        Decision::CopyOnWrite { page, kind } => {
            let space = &mut p.memory_mut().space;
            let done = memory::lock().copy_on_write(space, page);
            return match done {
                Ok(CopyOnWrite::Copied) => {
                    p.copied += 1;
                    FaultIn::Mapped
                }
                Ok(CopyOnWrite::Reclaimed) => {
                    p.reclaimed += 1;
                    FaultIn::Mapped
                }
                Err(SpaceError::OutOfFrames) => FaultIn::OutOfMemory { kind, copy: true },
                // Not a shared page: the entry is read-only for a reason
                // the regions do not know. Refuse, as for any such write.
                Err(_) => {
                    let region = p.memory_mut().regions.find(VirtAddr::new(addr)).copied();
                    let rights = region.map_or(Rights::empty(), |r| r.rights);
                    FaultIn::Denied(Decision::Kill(Violation::Denied { kind, rights }))
                }
            };
        }
        Decision::Kill(_) => return FaultIn::Denied(decision),
    };
    let flags = if rights.contains(Rights::WRITE) {
        PageTableFlags::WRITABLE
    } else {
        PageTableFlags::empty()
    };
    let user = p.memory_mut();
    let mapped = user.space.map_zeroed(page, flags, &mut memory::lock().frames);
    match mapped {
        Ok(()) => {
            user.add_resident(kind, 1);
            FaultIn::Mapped
        }
        // A system call may fault in a page a moment after the process did.
        Err(SpaceError::AlreadyMapped(_)) => FaultIn::Mapped,
        Err(_) => FaultIn::OutOfMemory { kind, copy: false },
    }
}

/// Makes every page of `addr..addr + len` present for `access` (for a
/// write: writable, so a page a fork shared is copied first); the range
/// must have been checked against the regions already.
pub fn fault_in_range(addr: u32, len: u32, access: Access) -> FaultIn {
    if len == 0 {
        return FaultIn::Mapped;
    }
    let first = Page::containing(VirtAddr::new(addr)).start().as_u32();
    let last = addr + (len - 1);
    let mut at = first;
    loop {
        let entry = entry_at(at);
        let ready = entry.is_some_and(|e| {
            access != Access::Write || e.flags().contains(PageTableFlags::WRITABLE)
        });
        if !ready {
            let result = fault_in(at, access, entry.is_some());
            if result != FaultIn::Mapped {
                return result;
            }
        }
        if at >= last - last % mm::PAGE_SIZE {
            return FaultIn::Mapped;
        }
        at += mm::PAGE_SIZE;
    }
}

/// The running process's present entry for the page at `addr`.
fn entry_at(addr: u32) -> Option<PageTableEntry> {
    let mut table = lock();
    let user = table.current_mut()?.memory.as_mut()?;
    let _guard = memory::lock();
    user.space.lookup(Page::containing(VirtAddr::new(addr)))
}

/// Handles an exception from ring 3 (registered with `arch::exceptions`).
pub fn handle(frame: &mut TrapFrame, exception: &UserException) {
    let eip = frame.eip;
    let Some(pf) = exception.page_fault else {
        let reason = KillReason::Exception {
            vector: exception.vector,
            mnemonic: exception.mnemonic,
            name: exception.name,
            eip,
        };
        exit_current(Exit::Killed(reason));
    };
    let access = if pf.fetch {
        Access::Execute
    } else if pf.write {
        Access::Write
    } else {
        Access::Read
    };
    match fault_in(pf.address, access, pf.present) {
        FaultIn::Mapped => {}
        FaultIn::OutOfMemory { kind, copy } => {
            exit_current(Exit::Killed(KillReason::OutOfMemory {
                addr: pf.address,
                kind,
                copy,
                eip,
            }))
        }
        FaultIn::Denied(decision) => {
            let Decision::Kill(violation) = decision else { unreachable!("denied means kill") };
            exit_current(Exit::Killed(KillReason::Fault {
                addr: pf.address,
                access,
                violation,
                eip,
            }))
        }
    }
}
