//! Emulated physical memory, so that the frame stack and the page-table code
//! run in host unit tests and benchmarks exactly as they run in the kernel.
//!
//! The idea is Redox `rmm`'s `EmulateArch`: physical memory is a plain
//! array of 4 KiB-aligned pages, and "physical address `p`" is an index into
//! it. Only compiled for the host.

extern crate alloc;

use crate::addr::{PAGE_SIZE, PhysAddr};
use alloc::vec::Vec;

/// One 4 KiB-aligned page of emulated RAM.
#[derive(Clone)]
#[repr(C, align(4096))]
pub struct RawPage(pub [u8; PAGE_SIZE as usize]);

impl core::fmt::Debug for RawPage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RawPage")
    }
}

/// `size` bytes of emulated physical memory starting at physical address 0.
pub struct PhysMemory {
    pages: Vec<RawPage>,
}

impl core::fmt::Debug for PhysMemory {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "PhysMemory({} KiB)", self.pages.len() * 4)
    }
}

impl PhysMemory {
    /// Emulated RAM covering physical addresses `0..size` (rounded up to whole pages),
    /// filled with `0xA5` so that code relying on zeroed memory is caught.
    pub fn new(size: u32) -> Self {
        let pages = size.div_ceil(PAGE_SIZE) as usize;
        Self { pages: alloc::vec![RawPage([0xA5; PAGE_SIZE as usize]); pages] }
    }

    /// Size of the emulated memory in bytes.
    pub fn size(&self) -> u32 {
        (self.pages.len() as u32) * PAGE_SIZE
    }

    fn index(&self, frame: PhysAddr) -> usize {
        assert!(frame.is_aligned(PAGE_SIZE), "emulated access to unaligned frame {frame}");
        let i = (frame.as_u32() / PAGE_SIZE) as usize;
        assert!(i < self.pages.len(), "emulated access to {frame}, beyond the end of RAM");
        i
    }

    /// A pointer to the 4 KiB page of emulated RAM at `frame` (which must be
    /// 4 KiB-aligned and inside the emulated memory).
    pub fn frame_ptr(&mut self, frame: PhysAddr) -> *mut RawPage {
        let i = self.index(frame);
        &mut self.pages[i]
    }

    /// The page at `frame` viewed as 1024 little-endian words.
    pub fn words(&mut self, frame: PhysAddr) -> &mut [u32; 1024] {
        let ptr = self.frame_ptr(frame).cast::<[u32; 1024]>();
        // SAFETY: `RawPage` is 4096 bytes aligned to 4096, so it is a valid,
        // aligned `[u32; 1024]`; the borrow of `self` keeps it exclusive.
        unsafe { &mut *ptr }
    }

    /// Reads the word at physical address `addr` (4-byte aligned).
    pub fn read_u32(&mut self, addr: PhysAddr) -> u32 {
        self.words(addr.align_down(PAGE_SIZE))[(addr.page_offset() / 4) as usize]
    }

    /// Writes the word at physical address `addr` (4-byte aligned).
    pub fn write_u32(&mut self, addr: PhysAddr, value: u32) {
        self.words(addr.align_down(PAGE_SIZE))[(addr.page_offset() / 4) as usize] = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_per_frame() {
        let mut m = PhysMemory::new(3 * PAGE_SIZE);
        m.write_u32(PhysAddr::new(0x1004), 7);
        assert_eq!(m.read_u32(PhysAddr::new(0x1004)), 7);
        assert_eq!(m.words(PhysAddr::new(0x1000))[1], 7);
        assert_eq!(m.read_u32(PhysAddr::new(0x2004)), 0xA5A5_A5A5);
    }

    #[test]
    #[should_panic(expected = "beyond the end of RAM")]
    fn out_of_range_access_panics() {
        let mut m = PhysMemory::new(PAGE_SIZE);
        m.read_u32(PhysAddr::new(PAGE_SIZE));
    }
}
