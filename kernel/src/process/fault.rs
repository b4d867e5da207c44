//! Exceptions raised in ring 3: a page fault the process's regions allow
//! is memory on demand (a zeroed frame is mapped and the instruction runs
//! again); anything else ends the process, with a report, and the kernel
//! runs the others.
//!
//! ```text
//!  #PF in ring 3 ──> mm::space::fault::decide(regions, address, access)
//!       MapZeroed / GrowStack ──> a frame, zeroed, mapped with the
//!                                 region's rights ──> iret: it runs again
//!            no frame left ─────> killed: out of memory
//!       Kill(why) ──────────────> killed: address, access, why, eip
//!  any other exception ─────────> killed: which one, eip
//! ```

use super::sched::exit_current;
use super::state::{Exit, KillReason, kind_index};
use super::table::lock;
use crate::arch::exceptions::UserException;
use crate::arch::idt::TrapFrame;
use crate::memory;
use mm::VirtAddr;
use mm::frame::Page;
use mm::paging::PageTableFlags;
use mm::space::fault::{Decision, Fault, decide};
use mm::space::{Access, RegionKind, Rights, SpaceError};

/// What a fault-in attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultIn {
    /// The page is mapped now (or was already).
    Mapped,
    /// The process has no right to that access there.
    Denied(Decision),
    /// It may, but no frame is left.
    OutOfMemory(RegionKind),
}

/// Makes the page at `addr` of the running process present for `access`
/// if its regions allow it (the page-fault handler's work, also done by
/// system calls before they touch user memory).
pub fn fault_in(addr: u32, access: Access, present: bool) -> FaultIn {
    let mut table = lock();
    let Some(p) = table.current_mut() else {
        return FaultIn::Denied(Decision::Kill(mm::space::fault::Violation::Unmapped));
    };
    let fault = Fault { addr: VirtAddr::new(addr), access, present };
    let decision = decide(&p.regions, fault);
    let (page, rights, kind) = match decision {
        Decision::MapZeroed { page, rights, kind } => (page, rights, kind),
        Decision::GrowStack { page } => (page, Rights::READ | Rights::WRITE, RegionKind::Stack),
        Decision::Kill(_) => return FaultIn::Denied(decision),
    };
    let flags = if rights.contains(Rights::WRITE) {
        PageTableFlags::WRITABLE
    } else {
        PageTableFlags::empty()
    };
    let space = p.space.as_mut().expect("a running process has a space");
    let mut memory = memory::lock();
    match space.map_zeroed(page, flags, &mut memory.frames) {
        Ok(()) => {
            p.resident[kind_index(kind)] += 1;
            FaultIn::Mapped
        }
        // A system call may fault in a page a moment after the process did.
        Err(SpaceError::AlreadyMapped(_)) => FaultIn::Mapped,
        Err(_) => FaultIn::OutOfMemory(kind),
    }
}

/// Makes every page of `addr..addr + len` present for `access`; the
/// range must have been checked against the regions already.
pub fn fault_in_range(addr: u32, len: u32, access: Access) -> FaultIn {
    if len == 0 {
        return FaultIn::Mapped;
    }
    let first = Page::containing(VirtAddr::new(addr)).start().as_u32();
    let last = addr + (len - 1);
    let mut at = first;
    loop {
        let present = with_page(at, |present| present);
        if !present {
            let result = fault_in(at, access, false);
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

fn with_page<R>(addr: u32, f: impl FnOnce(bool) -> R) -> R {
    let mut table = lock();
    let present = table
        .current_mut()
        .and_then(|p| p.space.as_mut())
        .and_then(|s| {
            let _guard = memory::lock();
            s.lookup(Page::containing(VirtAddr::new(addr)))
        })
        .is_some();
    f(present)
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
        FaultIn::OutOfMemory(kind) => {
            exit_current(Exit::Killed(KillReason::OutOfMemory { addr: pf.address, kind, eip }))
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
