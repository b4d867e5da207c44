//! The flag bits of an i686 page-directory or page-table entry.
//!
//! Two-level 32-bit paging (no PAE) has twelve low bits per entry; the
//! other twenty are the frame number. Only bits that exist in that format
//! are listed here, so a flag from a 64-bit or PAE layout (NX, bit 63)
//! cannot be written by mistake. Most bits mean the same in both levels;
//! where they differ, the doc line says which level is meant.

#![forbid(unsafe_code)]

use bitflags::bitflags;

bitflags! {
    /// Low twelve bits of a page-directory entry (PDE) or page-table entry (PTE).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PageTableFlags: u32 {
        /// Bit 0, P: the entry is in use; when clear the CPU ignores all other bits and faults.
        const PRESENT = 1 << 0;
        /// Bit 1, R/W: writes allowed (ring 0 ignores a clear bit unless CR0.WP is set).
        const WRITABLE = 1 << 1;
        /// Bit 2, U/S: ring 3 may access; needs the bit in both the PDE and the PTE.
        const USER = 1 << 2;
        /// Bit 3, PWT: write-through caching instead of write-back.
        const WRITE_THROUGH = 1 << 3;
        /// Bit 4, PCD: caching disabled (memory-mapped device registers).
        const NO_CACHE = 1 << 4;
        /// Bit 5, A: set by the CPU when the entry is used for a translation.
        const ACCESSED = 1 << 5;
        /// Bit 6, D: set by the CPU on a write to the page (PTE only; ignored in a PDE).
        const DIRTY = 1 << 6;
        /// Bit 7: PS in a PDE (maps one 4 MiB page; never used here, see
        /// `Mapper::new`), PAT in a PTE (memory type; left at the power-on PAT).
        const PS_OR_PAT = 1 << 7;
        /// Bit 8, G: the TLB keeps the translation across CR3 loads (PTE only, needs CR4.PGE).
        const GLOBAL = 1 << 8;
        /// Bit 9, free for the OS. In a PDE: the page table is static (part of
        /// the kernel image, like the kernel's and the fixmap's tables) and the
        /// mapper never frees it when it becomes empty. Meaningless in a PTE.
        const PINNED = 1 << 9;
        /// Bit 10, free for the OS. In a PTE: the page is shared copy-on-write
        /// (`mm::space`, after a fork). It is mapped read-only although its
        /// region is writable; the first write faults, and the fault handler
        /// copies the frame, or makes the page writable again if this space
        /// is the frame's last user. Meaningless in a PDE.
        const COPY_ON_WRITE = 1 << 10;
        /// Bit 11, free for the OS; unused so far.
        const AVAILABLE_11 = 1 << 11;
    }
}

/// The bits of an entry that hold flags; the rest is the frame address.
pub const FLAGS_MASK: u32 = 0xFFF;
/// The bits of an entry that hold the 4 KiB-aligned frame address.
pub const ADDRESS_MASK: u32 = !FLAGS_MASK;

// The twelve flags above are exactly the twelve low bits, and they stop
// where the frame address begins.
const _: () = assert!(PageTableFlags::all().bits() == FLAGS_MASK);
const _: () = assert!(ADDRESS_MASK == !(crate::addr::PAGE_SIZE - 1));
const _: () = assert!(PageTableFlags::PS_OR_PAT.bits() == 0x80);
const _: () = assert!(PageTableFlags::PINNED.bits() == 0x200);
const _: () = assert!(PageTableFlags::COPY_ON_WRITE.bits() == 0x400);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bit_is_where_the_manual_puts_it() {
        let expected = [
            (PageTableFlags::PRESENT, 0),
            (PageTableFlags::WRITABLE, 1),
            (PageTableFlags::USER, 2),
            (PageTableFlags::WRITE_THROUGH, 3),
            (PageTableFlags::NO_CACHE, 4),
            (PageTableFlags::ACCESSED, 5),
            (PageTableFlags::DIRTY, 6),
            (PageTableFlags::PS_OR_PAT, 7),
            (PageTableFlags::GLOBAL, 8),
            (PageTableFlags::PINNED, 9),
            (PageTableFlags::COPY_ON_WRITE, 10),
            (PageTableFlags::AVAILABLE_11, 11),
        ];
        let mut seen = 0;
        for (flag, bit) in expected {
            assert_eq!(flag.bits(), 1 << bit, "{flag:?}");
            seen |= flag.bits();
        }
        assert_eq!(seen, FLAGS_MASK, "every flag bit is listed exactly once");
        assert_eq!(PageTableFlags::from_bits(0x1000), None, "bit 12 is address, not a flag");
    }
}
