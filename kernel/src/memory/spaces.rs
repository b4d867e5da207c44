//! Address spaces in the kernel: `mm::space` over fixmap windows, the one
//! place CR3 is loaded, and the kernel half kept shared.
//!
//! A process's directory, tables and pages (and the reference counts of
//! the frames processes share) are reached through seven fixmap windows
//! ([`FixmapFrames`]), so the kernel edits any space from any space; which
//! one is loaded matters only for the TLB. The kernel
//! mapper's tables are wrapped in `SharedKernelHalf` (see `KernelTables`),
//! which writes every new or removed kernel page table into every
//! registered directory: the boot directory (the kernel's own, loaded
//! whenever no process runs) and each process's.

use super::Memory;
use super::fixmap::{self, Slot};
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicU32, Ordering};
use mm::PhysAddr;
use mm::frame::FrameAllocator;
use mm::frame::Page;
use mm::space::{AddressSpace, CopyOnWrite, FrameWindow, SpaceError, SpaceFrames, WindowSlot};

/// The fixmap windows an address space is edited through.
#[derive(Debug, Default)]
pub struct FixmapFrames;

/// The frame each window shows now (`0` = none), so showing the same
/// frame again costs no `invlpg`. Only `FixmapFrames` maps these slots.
static SHOWN: [AtomicU32; Slot::SPACE_COUNT] = [const { AtomicU32::new(0) }; Slot::SPACE_COUNT];

const _: () = assert!(WindowSlot::ALL.len() == Slot::SPACE_COUNT);

// SAFETY: each `WindowSlot` has a fixmap slot of its own, which only this
// type maps; `fixmap::map` writes the PTE and flushes its TLB entry, so the
// returned window shows exactly `frame` (the cache only skips re-mapping
// the frame the window shows already). Every `FixmapFrames` is used with
// the memory lock held (address spaces live behind it, and every operation
// needs its frame allocator), so no two users interleave.
unsafe impl FrameWindow for FixmapFrames {
    unsafe fn show(&mut self, slot: WindowSlot, frame: PhysAddr) -> *mut u8 {
        let i = slot.index();
        let fixmap_slot = Slot::nth(Slot::SPACE_FIRST, i);
        let key = frame.as_u32() | 1;
        if SHOWN[i].load(Ordering::Relaxed) != key {
            // SAFETY: the caller holds no reference into the slot's previous
            // frame and may use `frame` (trait contract).
            unsafe { fixmap::map(fixmap_slot, frame, true) };
            SHOWN[i].store(key, Ordering::Relaxed);
        }
        fixmap_slot.addr().as_mut_ptr::<u8>()
    }
}

/// A process's address space, as the kernel holds it.
pub type UserSpace = AddressSpace<FixmapFrames>;

/// The boot page directory's physical address: the kernel's own space.
pub fn kernel_directory() -> PhysAddr {
    let virt = boot::boot_page_directory().addr();
    PhysAddr::new(virt - mm::layout::KERNEL_BASE)
}

impl Memory {
    /// A new address space, built in `place` (inside a box on the heap: a
    /// space is over 2 KiB, too much to pass around on a process's 8 KiB
    /// kernel stack): a directory from the frame allocator with the kernel
    /// half shared, registered so it stays shared. On failure `place` is
    /// left uninitialised.
    pub fn new_space_in<'a>(
        &mut self,
        place: &'a mut MaybeUninit<UserSpace>,
    ) -> Result<&'a mut UserSpace, SpaceError> {
        let directory = self.frames.allocate().ok_or(SpaceError::OutOfFrames)?;
        // SAFETY: registering a directory changes no entry of the kernel's
        // tables, which is all `tables_mut` forbids.
        let shared = unsafe { self.mapper.tables_mut() };
        AddressSpace::new_in(place, FixmapFrames, directory, shared).map_err(|(error, frame)| {
            if self.frames.free(frame).is_err() {
                panic!("memory: a directory frame just allocated was refused on free");
            }
            error
        })
    }

    /// Ends `space` in place, giving every frame back (a shared one only
    /// loses a user). It must not be loaded: run [`activate_kernel`] first
    /// if it was.
    ///
    /// # Safety
    ///
    /// `space` is never used again; only the memory it sits in is freed.
    pub unsafe fn destroy_space_in_place(&mut self, space: &mut UserSpace) -> SpaceFrames {
        debug_assert_ne!(active_directory(), space.directory(), "destroying the loaded space");
        // SAFETY: unregistering changes no entry of the kernel's tables.
        let shared = unsafe { self.mapper.tables_mut() };
        // SAFETY: forwarded contract.
        unsafe { space.destroy_in_place(&mut self.frames, &mut self.counts, shared) }
    }

    /// Makes `child` (a new, empty space) a copy-on-write fork of
    /// `parent` (`mm::space::AddressSpace::fork_into`); `parent` may be
    /// the loaded space. Out of frames, `child` is left empty for the
    /// caller to destroy, and `parent` is as it was.
    pub fn fork_space(
        &mut self,
        parent: &mut UserSpace,
        child: &mut UserSpace,
    ) -> Result<(), SpaceError> {
        parent.fork_into(child, &mut self.frames, &mut self.counts, &mut self.tlb)
    }

    /// Resolves a write to the copy-on-write `page` of `space` (copy, or
    /// make writable again for the last user).
    pub fn copy_on_write(
        &mut self,
        space: &mut UserSpace,
        page: Page,
    ) -> Result<CopyOnWrite, SpaceError> {
        space.copy_on_write(page, &mut self.frames, &mut self.counts, &mut self.tlb)
    }
}

/// The directory loaded in CR3.
pub fn active_directory() -> PhysAddr {
    // SAFETY: reading CR3 has no side effects.
    PhysAddr::new(unsafe { x86::controlregs::cr3() } as u32)
}

/// Loads `space`'s directory: from now on the user half is its.
pub fn activate(space: &UserSpace) {
    load(space.directory());
}

/// Loads the kernel's own directory (no user half).
pub fn activate_kernel() {
    load(kernel_directory());
}

fn load(directory: PhysAddr) {
    if active_directory() != directory {
        // SAFETY: every registered directory maps the kernel half exactly
        // as the boot directory does (SharedKernelHalf), so the code and
        // stack running now stay mapped across the switch.
        unsafe { x86::controlregs::cr3_write(u64::from(directory.as_u32())) };
    }
}
