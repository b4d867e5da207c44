//! A process's memory as the system calls see it: every pointer checked
//! against the process's own regions (`UserRegions::check_access`) and its
//! pages faulted in *before* the kernel touches it, so a bad pointer is an
//! error return and never a kernel fault; and the calls that change the
//! regions (`brk`, `sbrk`, `mmap`, `munmap`) or report on them (`meminfo`).
//!
//! The kernel reads and writes user memory through the process's own
//! addresses: a system call runs with the caller's directory loaded.
//! Interrupts are off throughout, so nothing can unmap a page between the
//! check and the copy.

use super::fault::{FaultIn, fault_in_range};
use super::space::UserMemory;
use super::table::lock;
use crate::memory;
use abi::{MemInfo, errno};
use mm::frame::Page;
use mm::layout::{USER_HEAP_END, USER_MMAP_END, USER_MMAP_START};
use mm::space::{Access, RegionError, RegionKind, Rights};
use mm::{PAGE_SIZE, VirtAddr};

/// A failed call's error code (positive; the result is its negation).
pub type Errno = u32;

fn check(addr: u32, len: u32, access: Access) -> Result<(), Errno> {
    let mut table = lock();
    let p = table.current_mut().ok_or(errno::EFAULT)?;
    p.memory_mut().regions.check_access(addr, len, access).map_err(|_| errno::EFAULT)
}

/// Checks `len` bytes at `addr` against the running process's regions and
/// makes their pages present (and, for a write, its own: a page a fork
/// shared is copied first). Only then may the kernel touch them.
pub fn present(addr: u32, len: u32, access: Access) -> Result<(), Errno> {
    check(addr, len, access)?;
    match fault_in_range(addr, len, access) {
        FaultIn::Mapped => Ok(()),
        FaultIn::Denied(_) => Err(errno::EFAULT),
        FaultIn::OutOfMemory { .. } => Err(errno::ENOMEM),
    }
}

/// Copies `buf.len()` bytes from the running process's `addr` into `buf`.
pub fn copy_from_user(addr: u32, buf: &mut [u8]) -> Result<(), Errno> {
    present(addr, buf.len() as u32, Access::Read)?;
    // SAFETY: the whole range is in the caller's readable regions and
    // mapped (just faulted in); its directory is loaded; interrupts are
    // off, so nothing unmaps it before the copy ends.
    unsafe {
        core::ptr::copy_nonoverlapping(addr as usize as *const u8, buf.as_mut_ptr(), buf.len())
    };
    Ok(())
}

/// Copies `bytes` into the running process at `addr`.
pub fn copy_to_user(addr: u32, bytes: &[u8]) -> Result<(), Errno> {
    present(addr, bytes.len() as u32, Access::Write)?;
    // SAFETY: as in `copy_from_user`, for a writable range (so its pages
    // are mapped WRITABLE and CR0.WP lets the kernel write them).
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as usize as *mut u8, bytes.len())
    };
    Ok(())
}

const fn page_up(addr: u32) -> u32 {
    addr.next_multiple_of(PAGE_SIZE)
}

/// `brk(addr)`: moves the break to `addr` (0: only asks); returns the
/// break. Growing reserves address space only (pages come on first touch);
/// shrinking unmaps whole pages above the new break.
pub fn brk(addr: u32) -> Result<u32, Errno> {
    let mut table = lock();
    let p = table.current_mut().ok_or(errno::EINVAL)?.memory_mut();
    if addr == 0 {
        return Ok(p.brk);
    }
    if addr < p.heap_start || addr > USER_HEAP_END.as_u32() {
        return Err(errno::ENOMEM);
    }
    let start = Page::containing(VirtAddr::new(p.heap_start));
    let (old_end, new_end) = (page_up(p.brk), page_up(addr));
    let pages = (new_end - p.heap_start) / PAGE_SIZE;
    if new_end > old_end {
        let region = mm::space::Region {
            start,
            pages,
            rights: Rights::READ | Rights::WRITE,
            kind: RegionKind::Heap,
        };
        let grown = if old_end == p.heap_start {
            p.regions.insert(region)
        } else {
            p.regions.resize(start, pages).map(|_| ())
        };
        grown.map_err(|_| errno::ENOMEM)?;
    } else if new_end < old_end {
        p.regions.resize(start, pages).map_err(|_| errno::EINVAL)?;
        let gone = Page::containing(VirtAddr::new(new_end));
        let n = unmap(p, gone, (old_end - new_end) / PAGE_SIZE)?;
        p.remove_resident(RegionKind::Heap, n);
    }
    p.brk = addr;
    Ok(addr)
}

/// Unmaps `pages` pages from `start` of `p`'s space; how many were mapped.
fn unmap(p: &mut UserMemory, start: Page, pages: u32) -> Result<u32, Errno> {
    let mut memory = memory::lock();
    let memory = &mut *memory;
    p.space
        .unmap_range(start, pages, &mut memory.frames, &mut memory.counts, &mut memory.tlb)
        .map_err(|_| errno::EINVAL)
}

/// `sbrk(increment)`: moves the break by `increment`; returns the old one.
pub fn sbrk(increment: i32) -> Result<u32, Errno> {
    let old = brk(0)?;
    let new = old.checked_add_signed(increment).ok_or(errno::ENOMEM)?;
    brk(new)?;
    Ok(old)
}

/// `mmap(len, prot)`: reserves whole pages of anonymous memory, placed
/// first fit in the mapping area; zero-filled on first touch.
pub fn mmap(len: u32, prot: u32) -> Result<u32, Errno> {
    if len == 0 || prot & !(abi::prot::READ | abi::prot::WRITE | abi::prot::EXEC) != 0 {
        return Err(errno::EINVAL);
    }
    let pages = len.div_ceil(PAGE_SIZE);
    let mut rights = Rights::empty();
    if prot & abi::prot::READ != 0 {
        rights |= Rights::READ;
    }
    if prot & abi::prot::WRITE != 0 {
        // A writable page is readable on i686.
        rights |= Rights::READ | Rights::WRITE;
    }
    if prot & abi::prot::EXEC != 0 {
        rights |= Rights::READ | Rights::EXEC;
    }
    let mut table = lock();
    let p = table.current_mut().ok_or(errno::EINVAL)?.memory_mut();
    let area = (USER_MMAP_START, USER_MMAP_END);
    let page =
        p.regions.allocate(area, pages, rights, RegionKind::Anonymous).map_err(|e| match e {
            RegionError::Empty => errno::EINVAL,
            _ => errno::ENOMEM,
        })?;
    Ok(page.start().as_u32())
}

/// `munmap(addr, len)`: gives back the whole pages of `addr..addr + len`,
/// which must all be anonymous mappings (a part of one is split off).
pub fn munmap(addr: u32, len: u32) -> Result<u32, Errno> {
    if len == 0 || !addr.is_multiple_of(PAGE_SIZE) {
        return Err(errno::EINVAL);
    }
    let end = u64::from(addr) + u64::from(len);
    if end > u64::from(USER_MMAP_END.as_u32()) {
        return Err(errno::EINVAL);
    }
    let pages = len.div_ceil(PAGE_SIZE);
    let start = Page::containing(VirtAddr::new(addr));
    let mut table = lock();
    let p = table.current_mut().ok_or(errno::EINVAL)?.memory_mut();
    p.regions.remove(start, pages, RegionKind::Anonymous).map_err(|e| match e {
        RegionError::Full => errno::ENOMEM,
        _ => errno::EINVAL,
    })?;
    let n = unmap(p, start, pages)?;
    p.remove_resident(RegionKind::Anonymous, n);
    Ok(0)
}

/// The running process's memory use.
pub fn meminfo() -> Result<MemInfo, Errno> {
    let mut table = lock();
    let p = table.current_mut().ok_or(errno::EINVAL)?;
    let (pid, copied, reclaimed) = (p.pid, p.copied, p.reclaimed);
    let user = p.memory_mut();
    let (free_frames, shared, count_table) = {
        let mut memory = memory::lock();
        let memory = &mut *memory;
        let shared = user.space.shared_pages(&mut memory.counts);
        (memory.frames.free_count(), shared, memory.counts.frames_held())
    };
    let space = user.space.frames();
    let kernel_stack = mm::layout::KERNEL_STACK_SIZE / PAGE_SIZE;
    let mapped_pages: u32 =
        user.regions.iter().filter(|r| r.kind == RegionKind::Anonymous).map(|r| r.pages).sum();
    Ok(MemInfo {
        pid,
        total: space.total() + kernel_stack,
        directory: space.directory,
        page_tables: space.tables,
        image: user.resident(RegionKind::Image),
        heap: user.resident(RegionKind::Heap),
        anonymous: user.resident(RegionKind::Anonymous),
        stack: user.resident(RegionKind::Stack),
        kernel_stack,
        heap_bytes: user.brk - user.heap_start,
        mapped_bytes: mapped_pages.saturating_mul(PAGE_SIZE),
        regions: user.regions.len() as u32,
        free_frames,
        shared,
        copied,
        reclaimed,
        count_table,
    })
}
