//! Where the heap's memory comes from: a [`PageSource`] maps and unmaps
//! whole pages of one fixed virtual region on the heap's request.
//!
//! The heap never touches page tables or frames itself. In the kernel the
//! source pops frames off the frame stack and maps them at
//! 0xD000_0000 + offset; on the host, [`ArenaSource`](super::ArenaSource)
//! hands out pages of one big allocation. The heap only ever maps the pages
//! just above its current top and unmaps pages at its top, so a source may
//! assume the mapped part is always one prefix `0..top` of the region.

use core::fmt;
use core::ptr::NonNull;

/// The virtual region a heap manages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeapRegion {
    /// First byte of the region; 4 KiB-aligned.
    pub base: NonNull<u8>,
    /// Length in bytes; a multiple of 4 KiB. The heap uses at most 512 MiB of it.
    pub len: usize,
}

/// Why a [`PageSource`] could not map pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapError {
    /// No free frame for the pages (or for a page table needed to map them).
    OutOfFrames,
    /// The source refuses for another reason (a broken contract, such as a
    /// request to map a page that is mapped already).
    Refused,
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::OutOfFrames => f.write_str("out of frames"),
            MapError::Refused => f.write_str("the page source refused"),
        }
    }
}

/// Maps and unmaps the pages of one virtual region for a [`Heap`](super::Heap).
///
/// Offsets and lengths are in bytes from [`HeapRegion::base`] and are
/// always multiples of 4 KiB.
///
/// # Safety
///
/// The heap reads and writes mapped pages through raw pointers, so an
/// implementor promises:
///
/// - [`region`](Self::region) returns the same value every time; the region
///   does not wrap around the address space, and nothing but this source
///   and its heap ever maps, reads or writes any byte of it.
/// - After `map(offset, pages)` returns `Ok`, every byte of
///   `base + offset .. base + offset + pages * 4096` is readable and
///   writable memory, backed by frames nothing else uses, until those pages
///   are unmapped. Its contents are unspecified.
/// - `map` is all-or-nothing: after `Err`, none of the pages of that call is
///   mapped (pages mapped while trying are unmapped again, their frames
///   returned), and pages mapped before the call are untouched.
/// - `unmap(offset, pages)` gives the frames of those pages back, and never
///   fails for pages that a successful `map` mapped.
/// - Neither method allocates from the heap that owns the source, takes a
///   lock the heap's caller may hold, or calls back into the heap.
pub unsafe trait PageSource {
    /// The region this source maps pages in.
    fn region(&self) -> HeapRegion;

    /// Maps `pages` pages at `offset`. The heap guarantees `offset` is
    /// 4 KiB-aligned, the pages lie inside the region and none of them is
    /// mapped. Returns `Err` (with nothing of this call left mapped) when
    /// it cannot.
    fn map(&mut self, offset: usize, pages: usize) -> Result<(), MapError>;

    /// Unmaps `pages` pages at `offset` and gives their frames back.
    ///
    /// # Safety
    ///
    /// The caller (the heap) guarantees the pages were mapped by `map` and
    /// not unmapped since, and that no live allocation lies in them: nothing
    /// will read or write them until they are mapped again.
    unsafe fn unmap(&mut self, offset: usize, pages: usize);

    /// A value that should differ from boot to boot (a cycle counter read
    /// at that moment will do; it need not withstand an attacker). The heap
    /// asks once, before it maps its first page, and keys every header's
    /// check word with it, so that no data pattern passes for a header at
    /// the same address on every boot. Its quality never affects
    /// correctness, only how unlikely such an accident is.
    ///
    /// The default is the region's address, which changes from run to run
    /// only where that address does (a host process's allocation, not a
    /// kernel's fixed region): a source that can read a clock or a counter
    /// overrides it, as the kernel's does.
    fn boot_secret(&mut self) -> u32 {
        let base = self.region().base.as_ptr().addr() as u64;
        (base ^ (base >> 32)) as u32
    }
}
