//! Physical and virtual addresses as distinct types.
//!
//! A `PhysAddr` can never be passed where a `VirtAddr` is expected, so the
//! classic bug of handing a physical address to code that dereferences it
//! does not compile. Both are 32 bits wide: this is an i686 kernel without
//! PAE, so physical memory above 4 GiB is out of reach and is ignored when
//! the memory map is read.

use core::fmt;

/// Size of a page and of a frame: 4 KiB.
pub const PAGE_SIZE: u32 = 4096;
/// `PAGE_SIZE` as a shift count.
pub const PAGE_SHIFT: u32 = 12;
const _: () = assert!(1 << PAGE_SHIFT == PAGE_SIZE);

/// A physical memory address (what the memory bus sees).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct PhysAddr(u32);

/// A virtual address (what instructions see, translated by the page tables).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct VirtAddr(u32);

/// An address that does not fit in 32 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddrOutOfRange(pub u64);

impl fmt::Display for AddrOutOfRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "address {:#x} is above 4 GiB", self.0)
    }
}

macro_rules! address_type {
    ($name:ident, $prefix:literal) => {
        impl $name {
            /// The address `addr`.
            pub const fn new(addr: u32) -> Self {
                Self(addr)
            }

            /// The address `addr`, or an error if it is at or above 4 GiB.
            pub const fn try_new(addr: u64) -> Result<Self, AddrOutOfRange> {
                if addr > u32::MAX as u64 {
                    Err(AddrOutOfRange(addr))
                } else {
                    Ok(Self(addr as u32))
                }
            }

            /// The address as a plain integer.
            pub const fn as_u32(self) -> u32 {
                self.0
            }

            /// The address as a `usize` (lossless: `usize` is at least 32 bits).
            pub const fn as_usize(self) -> usize {
                self.0 as usize
            }

            /// Rounds down to a multiple of `align` (a power of two).
            pub const fn align_down(self, align: u32) -> Self {
                debug_assert!(align.is_power_of_two());
                Self(self.0 & !(align - 1))
            }

            /// Rounds up to a multiple of `align` (a power of two), or `None`
            /// if that would pass 4 GiB.
            pub const fn align_up(self, align: u32) -> Option<Self> {
                debug_assert!(align.is_power_of_two());
                match self.0.checked_add(align - 1) {
                    Some(v) => Some(Self(v & !(align - 1))),
                    None => None,
                }
            }

            /// Whether the address is a multiple of `align` (a power of two).
            pub const fn is_aligned(self, align: u32) -> bool {
                debug_assert!(align.is_power_of_two());
                self.0 & (align - 1) == 0
            }

            /// The offset of the address inside its 4 KiB page.
            pub const fn page_offset(self) -> u32 {
                self.0 & (PAGE_SIZE - 1)
            }

            /// `self + bytes`, or `None` on overflow past 4 GiB.
            pub const fn checked_add(self, bytes: u32) -> Option<Self> {
                match self.0.checked_add(bytes) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }

            /// `self - bytes`, or `None` below zero.
            pub const fn checked_sub(self, bytes: u32) -> Option<Self> {
                match self.0.checked_sub(bytes) {
                    Some(v) => Some(Self(v)),
                    None => None,
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "({:#010x})"), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#010x}", self.0)
            }
        }

        impl fmt::LowerHex for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::LowerHex::fmt(&self.0, f)
            }
        }
    };
}

address_type!(PhysAddr, "PhysAddr");
address_type!(VirtAddr, "VirtAddr");

impl VirtAddr {
    /// The address of `ptr`. Only meaningful on the 32-bit kernel target,
    /// where every pointer fits.
    #[cfg(target_pointer_width = "32")]
    pub fn from_ptr<T>(ptr: *const T) -> Self {
        Self(ptr as usize as u32)
    }

    /// The address as a raw pointer. Creating it is safe; dereferencing it
    /// is up to the caller.
    pub const fn as_ptr<T>(self) -> *const T {
        self.0 as usize as *const T
    }

    /// The address as a raw mutable pointer.
    pub const fn as_mut_ptr<T>(self) -> *mut T {
        self.0 as usize as *mut T
    }

    /// Index of the page-directory entry that translates this address
    /// (bits 31..22).
    pub const fn directory_index(self) -> usize {
        (self.0 >> 22) as usize
    }

    /// Index of the page-table entry that translates this address
    /// (bits 21..12).
    pub const fn table_index(self) -> usize {
        ((self.0 >> PAGE_SHIFT) & 0x3ff) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment() {
        let a = PhysAddr::new(0x1234);
        assert_eq!(a.align_down(PAGE_SIZE), PhysAddr::new(0x1000));
        assert_eq!(a.align_up(PAGE_SIZE), Some(PhysAddr::new(0x2000)));
        assert!(!a.is_aligned(PAGE_SIZE));
        assert!(PhysAddr::new(0x2000).is_aligned(PAGE_SIZE));
        assert_eq!(PhysAddr::new(0xFFFF_F001).align_up(PAGE_SIZE), None);
        assert_eq!(
            PhysAddr::new(0xFFFF_F000).align_up(PAGE_SIZE),
            Some(PhysAddr::new(0xFFFF_F000))
        );
    }

    #[test]
    fn range_checks() {
        assert_eq!(PhysAddr::try_new(0x1_0000_0000), Err(AddrOutOfRange(0x1_0000_0000)));
        assert_eq!(PhysAddr::try_new(0xFFFF_FFFF), Ok(PhysAddr::new(0xFFFF_FFFF)));
        assert_eq!(VirtAddr::new(u32::MAX).checked_add(1), None);
        assert_eq!(VirtAddr::new(0).checked_sub(1), None);
    }

    #[test]
    fn directory_and_table_indices() {
        let v = VirtAddr::new(0xC010_3ABC);
        assert_eq!(v.directory_index(), 0x300);
        assert_eq!(v.table_index(), 0x103);
        assert_eq!(v.page_offset(), 0xABC);
    }

    #[test]
    fn formatting() {
        extern crate std;
        use std::format;
        assert_eq!(format!("{}", PhysAddr::new(0xB8000)), "0x000b8000");
        assert_eq!(format!("{:?}", VirtAddr::new(0xC0000000)), "VirtAddr(0xc0000000)");
    }
}
