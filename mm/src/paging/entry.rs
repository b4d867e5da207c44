//! One page-directory or page-table entry, and a table of 1024 of them.
//!
//! ```text
//!  31                                  12 11        0
//! +--------------------------------------+-----------+
//! |  frame address (4 KiB-aligned)       |   flags   |
//! +--------------------------------------+-----------+
//! ```
//!
//! The same 32-bit format serves both levels: a directory entry points at
//! the frame of a page table, a table entry at the frame of a page. The
//! entry is plain data (`Copy`); it never hands out an owned [`Frame`] to
//! the public, because an entry can be copied and a `Frame` must not be.

#![forbid(unsafe_code)]

use super::flags::{ADDRESS_MASK, FLAGS_MASK, PageTableFlags};
use crate::addr::{PAGE_SIZE, PhysAddr};
use crate::frame::Frame;
use core::fmt;
use core::ops::{Index, IndexMut};

/// Entries in a page directory and in a page table.
pub const ENTRIES: usize = 1024;
/// Bytes of address space one page table (one directory entry) covers: 4 MiB.
pub const TABLE_SPAN: u32 = ENTRIES as u32 * PAGE_SIZE;

/// A page-directory or page-table entry: frame address and flags in one `u32`.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct PageTableEntry(u32);

impl PageTableEntry {
    /// An unused entry (all zero: not present, no address).
    pub const fn empty() -> Self {
        Self(0)
    }

    /// An entry pointing at `frame` with `flags`. Borrowing the frame (not
    /// taking it) is what lets the mapper keep ownership rules in one place.
    pub const fn new(frame: &Frame, flags: PageTableFlags) -> Self {
        Self(frame.start().as_u32() | flags.bits())
    }

    /// The entry with this raw bit pattern, as the CPU sees it.
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The raw bit pattern.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// The physical address the entry points at (meaningful when present).
    pub const fn addr(self) -> PhysAddr {
        PhysAddr::new(self.0 & ADDRESS_MASK)
    }

    /// The flag bits (all twelve low bits are flags, so none is lost).
    pub const fn flags(self) -> PageTableFlags {
        PageTableFlags::from_bits_retain(self.0 & FLAGS_MASK)
    }

    /// Whether the PRESENT bit is set.
    pub const fn is_present(self) -> bool {
        self.0 & PageTableFlags::PRESENT.bits() != 0
    }

    /// Whether the entry is all zero.
    pub const fn is_unused(self) -> bool {
        self.0 == 0
    }

    /// The same address with `flags` instead of the current flags.
    pub const fn with_flags(self, flags: PageTableFlags) -> Self {
        Self((self.0 & ADDRESS_MASK) | flags.bits())
    }

    /// The frame the entry points at, as an owned token.
    ///
    /// Crate-private on purpose: only the mapper, at the moment it clears a
    /// present entry, may turn the address back into the `Frame` that was
    /// moved into the entry by `map`. Anyone else would be minting a second
    /// owner of a frame that is still mapped.
    pub(crate) const fn frame(self) -> Frame {
        Frame::containing(self.addr())
    }
}

impl fmt::Debug for PageTableEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageTableEntry")
            .field("addr", &self.addr())
            .field("flags", &self.flags())
            .finish()
    }
}

/// A page directory or a page table: 1024 entries in one 4 KiB-aligned frame.
///
/// Not `Clone`: a table is 4 KiB that lives in a frame the CPU walks, and
/// copying one is almost always a mistake.
#[repr(C, align(4096))]
pub struct PageTable {
    entries: [PageTableEntry; ENTRIES],
}

const _: () = assert!(ENTRIES == 1024);
const _: () = assert!(TABLE_SPAN == 4 * 1024 * 1024);
const _: () = assert!(core::mem::size_of::<PageTableEntry>() == 4);
const _: () = assert!(core::mem::size_of::<PageTable>() == PAGE_SIZE as usize);
const _: () = assert!(core::mem::align_of::<PageTable>() == PAGE_SIZE as usize);

impl PageTable {
    /// A table with every entry unused, for static tables in the kernel image.
    pub const fn new() -> Self {
        Self { entries: [PageTableEntry::empty(); ENTRIES] }
    }

    /// Marks every entry unused. A table fresh from the frame allocator holds
    /// garbage that the CPU would read as mappings, so it is zeroed first.
    pub fn zero(&mut self) {
        self.entries = [PageTableEntry::empty(); ENTRIES];
    }

    /// The entries in order.
    pub fn iter(&self) -> core::slice::Iter<'_, PageTableEntry> {
        self.entries.iter()
    }

    /// How many entries are present (a full scan: 1024 reads).
    pub fn count_present(&self) -> usize {
        self.entries.iter().filter(|e| e.is_present()).count()
    }
}

impl Default for PageTable {
    fn default() -> Self {
        Self::new()
    }
}

impl Index<usize> for PageTable {
    type Output = PageTableEntry;
    fn index(&self, index: usize) -> &PageTableEntry {
        &self.entries[index]
    }
}

impl IndexMut<usize> for PageTable {
    fn index_mut(&mut self, index: usize) -> &mut PageTableEntry {
        &mut self.entries[index]
    }
}

impl fmt::Debug for PageTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the present entries: 1024 lines of nothing help no one.
        let present = self.entries.iter().enumerate().filter(|(_, e)| e.is_present());
        f.debug_map().entries(present).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_entry_is_zero_and_absent() {
        let e = PageTableEntry::empty();
        assert_eq!(e.bits(), 0);
        assert!(e.is_unused());
        assert!(!e.is_present());
    }

    #[test]
    fn every_flag_round_trips_alone() {
        let frame = Frame::from_number(0xABCDE);
        for flag in PageTableFlags::all().iter() {
            let e = PageTableEntry::new(&frame, flag);
            assert_eq!(e.addr(), PhysAddr::new(0xABCD_E000), "{flag:?}");
            assert_eq!(e.flags(), flag);
            assert_eq!(e.bits(), 0xABCD_E000 | flag.bits());
            assert_eq!(e.is_present(), flag == PageTableFlags::PRESENT);
        }
    }

    #[test]
    fn with_flags_keeps_the_address() {
        let frame = Frame::from_number(7);
        let e = PageTableEntry::new(&frame, PageTableFlags::PRESENT | PageTableFlags::WRITABLE);
        let ro = e.with_flags(PageTableFlags::PRESENT);
        assert_eq!(ro.addr(), PhysAddr::new(0x7000));
        assert_eq!(ro.flags(), PageTableFlags::PRESENT);
        assert_eq!(ro.frame().start(), PhysAddr::new(0x7000));
    }

    #[test]
    fn table_zero_and_count() {
        let mut t = PageTable::new();
        t[3] = PageTableEntry::from_bits(0x5000 | 1);
        t[1023] = PageTableEntry::from_bits(0x6000 | 3);
        t[4] = PageTableEntry::from_bits(0x7000); // address but not present
        assert_eq!(t.count_present(), 2);
        t.zero();
        assert!(t.iter().all(|e| e.is_unused()));
    }

    proptest! {
        #[test]
        fn any_frame_and_flags_round_trip(number in 0u32..(1 << 20), bits in 0u32..0x1000) {
            let frame = Frame::from_number(number);
            let flags = PageTableFlags::from_bits(bits).unwrap();
            let e = PageTableEntry::new(&frame, flags);
            prop_assert_eq!(e.addr(), frame.start());
            prop_assert_eq!(e.flags(), flags);
            prop_assert_eq!(PageTableEntry::from_bits(e.bits()), e);
            prop_assert_eq!(e.frame().number(), number);
        }
    }
}
