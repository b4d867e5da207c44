//! Frames (4 KiB of physical memory) and pages (4 KiB of virtual memory).
//!
//! A [`Frame`] is a token of ownership: it is neither `Copy` nor `Clone`, the
//! frame allocator hands each one out once, and mapping a page takes the
//! frame by value. So a frame cannot be mapped twice, or freed and still
//! used, without someone writing `Frame::from_start` on purpose. A [`Page`]
//! is only a place in the address space and is freely copied.

use crate::addr::{PAGE_SIZE, PhysAddr, VirtAddr};
use core::fmt;

/// An address that should have been 4 KiB-aligned and is not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Misaligned(pub u32);

impl fmt::Display for Misaligned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "address {:#010x} is not 4 KiB-aligned", self.0)
    }
}

/// One 4 KiB frame of physical memory, owned by whoever holds this value.
#[derive(PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame(PhysAddr);

impl Frame {
    /// The frame that contains `addr` (rounds down).
    pub const fn containing(addr: PhysAddr) -> Self {
        Self(addr.align_down(PAGE_SIZE))
    }

    /// The frame that starts at `addr`; an unaligned address is an error.
    pub const fn from_start(addr: PhysAddr) -> Result<Self, Misaligned> {
        if addr.is_aligned(PAGE_SIZE) { Ok(Self(addr)) } else { Err(Misaligned(addr.as_u32())) }
    }

    /// The frame with number `number` (its address divided by 4 KiB).
    pub const fn from_number(number: u32) -> Self {
        debug_assert!(number < (1 << 20));
        Self(PhysAddr::new(number << crate::addr::PAGE_SHIFT))
    }

    /// The first byte of the frame.
    pub const fn start(&self) -> PhysAddr {
        self.0
    }

    /// The frame number: its address divided by 4 KiB.
    pub const fn number(&self) -> u32 {
        self.0.as_u32() >> crate::addr::PAGE_SHIFT
    }
}

impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({:#010x})", self.0.as_u32())
    }
}

/// One 4 KiB page of virtual address space.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Page(VirtAddr);

impl Page {
    /// The page that contains `addr` (rounds down).
    pub const fn containing(addr: VirtAddr) -> Self {
        Self(addr.align_down(PAGE_SIZE))
    }

    /// The page that starts at `addr`; an unaligned address is an error.
    pub const fn from_start(addr: VirtAddr) -> Result<Self, Misaligned> {
        if addr.is_aligned(PAGE_SIZE) { Ok(Self(addr)) } else { Err(Misaligned(addr.as_u32())) }
    }

    /// The first byte of the page.
    pub const fn start(self) -> VirtAddr {
        self.0
    }

    /// The page `count` pages further on, or `None` past 4 GiB.
    pub const fn checked_add(self, count: u32) -> Option<Self> {
        match count.checked_mul(PAGE_SIZE) {
            Some(bytes) => match self.0.checked_add(bytes) {
                Some(v) => Some(Self(v)),
                None => None,
            },
            None => None,
        }
    }

    /// Index of the page-directory entry for this page.
    pub const fn directory_index(self) -> usize {
        self.0.directory_index()
    }

    /// Index of the page-table entry for this page.
    pub const fn table_index(self) -> usize {
        self.0.table_index()
    }
}

impl fmt::Debug for Page {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Page({:#010x})", self.0.as_u32())
    }
}

/// Why a frame could not be given back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FreeError {
    /// The frame is free already: it was freed twice.
    DoubleFree(PhysAddr),
    /// The frame is not part of the usable RAM this allocator manages
    /// (reserved, the kernel image, a hole in the memory map, or beyond it).
    NotUsable(PhysAddr),
}

impl fmt::Display for FreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FreeError::DoubleFree(a) => write!(f, "frame {a} freed twice (it is already free)"),
            FreeError::NotUsable(a) => {
                write!(f, "frame {a} is not usable RAM managed by the frame allocator")
            }
        }
    }
}

/// A source of free frames.
///
/// # Safety
///
/// `allocate` must return only frames of usable RAM that nothing else
/// uses and that it has not handed out before (unless they were given back
/// through `free` since). Code that maps the frames it gets relies on this.
pub unsafe trait FrameAllocator {
    /// A free frame, or `None` when memory is exhausted. Never panics.
    fn allocate(&mut self) -> Option<Frame>;

    /// Gives `frame` back. A frame that is free already or that this
    /// allocator does not manage is refused and reported, never stored.
    fn free(&mut self, frame: Frame) -> Result<(), FreeError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_constructors() {
        assert_eq!(Frame::containing(PhysAddr::new(0x1fff)).start(), PhysAddr::new(0x1000));
        assert_eq!(Frame::from_start(PhysAddr::new(0x1001)), Err(Misaligned(0x1001)));
        assert_eq!(Frame::from_start(PhysAddr::new(0x3000)).map(|f| f.number()), Ok(3));
        assert_eq!(Frame::from_number(0xfffff).start(), PhysAddr::new(0xffff_f000));
    }

    #[test]
    fn page_arithmetic() {
        let p = Page::containing(VirtAddr::new(0xD000_0123));
        assert_eq!(p.start(), VirtAddr::new(0xD000_0000));
        assert_eq!(p.checked_add(2).map(Page::start), Some(VirtAddr::new(0xD000_2000)));
        assert_eq!(Page::containing(VirtAddr::new(0xFFFF_F000)).checked_add(1), None);
        assert_eq!(p.directory_index(), 0x340);
        assert_eq!(Page::from_start(VirtAddr::new(0x10)), Err(Misaligned(0x10)));
    }
}
