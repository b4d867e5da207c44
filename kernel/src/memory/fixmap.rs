//! The fixmap: fixed one-page windows onto physical frames.
//!
//! Directory entry 1022 points at a page table that is part of the kernel
//! image (`boot::fixmap_page_table`), so these windows work before any
//! frame can be allocated — they are how the kernel reads the boot
//! information and builds the frame allocator in the first place. Each
//! window has one fixed user, listed in [`Slot`]:
//!
//! ```text
//!   0xFF80_0000  slot 0        frame-stack window (the top page of the free-frame stack)
//!   0xFF80_1000  slots 1..8    scratch windows (zeroing and inspecting frames)
//!   0xFF80_8000  slots 8..15   address-space windows: a directory, a table, a data
//!                              page, a directory being synced, a page being copied,
//!                              the reference-count table's directory and a chunk
//!                              of it (`spaces.rs`)
//!   0xFF81_0000  slots 16..48  the boot information, read-only (up to 128 KiB)
//!   0xFF84_0000  slots 64..96  the frame allocator's bitmap (up to 128 KiB: 4 GiB of frames)
//! ```

use mm::paging::{PageTableEntry, PageTableFlags};
use mm::{PAGE_SIZE, PhysAddr, VirtAddr, layout::FIXMAP_START};

/// A fixmap window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot(usize);

impl Slot {
    /// The window the frame stack shows its top page through.
    pub const FRAME_STACK: Slot = Slot(0);
    /// First scratch window (see [`Slot::scratch`]).
    const SCRATCH_FIRST: usize = 1;
    /// Number of scratch windows.
    pub const SCRATCH_COUNT: usize = 7;
    /// First of the address-space windows (`spaces::FixmapFrames`).
    pub const SPACE_FIRST: usize = 8;
    /// Number of address-space windows.
    pub const SPACE_COUNT: usize = 7;
    /// First window of the boot information.
    pub const BOOT_INFO_FIRST: usize = 16;
    /// Windows reserved for the boot information.
    pub const BOOT_INFO_COUNT: usize = 32;
    /// First window of the frame bitmap.
    pub const BITMAP_FIRST: usize = 64;
    /// Windows reserved for the frame bitmap.
    pub const BITMAP_COUNT: usize = 32;

    /// Scratch window `i` (< [`Slot::SCRATCH_COUNT`]).
    pub const fn scratch(i: usize) -> Slot {
        assert!(i < Self::SCRATCH_COUNT);
        Slot(Self::SCRATCH_FIRST + i)
    }

    /// Window `i` of a reserved run starting at `first` (e.g. the boot information).
    pub const fn nth(first: usize, i: usize) -> Slot {
        Slot(first + i)
    }

    /// The virtual address of the window.
    pub const fn addr(self) -> VirtAddr {
        VirtAddr::new(FIXMAP_START.as_u32() + (self.0 as u32) * PAGE_SIZE)
    }
}

const _: () = assert!(Slot::SCRATCH_FIRST + Slot::SCRATCH_COUNT <= Slot::SPACE_FIRST);
const _: () = assert!(Slot::SPACE_FIRST + Slot::SPACE_COUNT <= Slot::BOOT_INFO_FIRST);
const _: () = assert!(Slot::BOOT_INFO_FIRST + Slot::BOOT_INFO_COUNT <= Slot::BITMAP_FIRST);
const _: () = assert!(Slot::BITMAP_FIRST + Slot::BITMAP_COUNT <= 1024);

/// The entry of `slot` in the fixmap page table. The table is part of the
/// kernel image and is written only here: the kernel never hands fixmap
/// pages to the `Mapper` (the table is PINNED, so the mapper would never
/// free it either).
fn entry(slot: Slot) -> *mut PageTableEntry {
    let table = boot::fixmap_page_table().addr() as *mut PageTableEntry;
    table.wrapping_add(slot.0)
}

/// Points window `slot` at `frame` (4 KiB-aligned) and returns the window's
/// address.
///
/// # Safety
///
/// No reference into the window's previous contents may still be in use,
/// and the caller must make sure that what it does through the window does
/// not alias memory that Rust code holds references to.
pub unsafe fn map(slot: Slot, frame: PhysAddr, writable: bool) -> VirtAddr {
    debug_assert!(frame.is_aligned(PAGE_SIZE));
    let mut flags = PageTableFlags::PRESENT;
    if writable {
        flags |= PageTableFlags::WRITABLE;
    }
    let value = PageTableEntry::from_bits(frame.as_u32() | flags.bits());
    // SAFETY: `entry` points into the fixmap page table, which the kernel
    // owns and which only this module writes; the slot index is < 1024.
    unsafe { entry(slot).write_volatile(value) };
    // SAFETY: invalidating one TLB entry has no memory-safety effect.
    unsafe { x86::tlb::flush(slot.addr().as_usize()) };
    slot.addr()
}

/// Unmaps window `slot`.
///
/// # Safety
///
/// No reference into the window may still be in use.
pub unsafe fn unmap(slot: Slot) {
    // SAFETY: as in `map`.
    unsafe { entry(slot).write_volatile(PageTableEntry::empty()) };
    // SAFETY: as in `map`.
    unsafe { x86::tlb::flush(slot.addr().as_usize()) };
}
