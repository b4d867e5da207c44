//! A range of kernel virtual address space, owned like a frame is.
//!
//! [`VRange`] is neither `Copy` nor `Clone`: the allocator hands each one
//! out once and `free` takes it by value, so the same range cannot be
//! freed twice without someone rebuilding it on purpose with
//! [`VRange::from_raw_parts`]. It says nothing about what is mapped there.

#![forbid(unsafe_code)]

use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::frame::Page;
use core::fmt;

/// `pages` consecutive pages of virtual address space starting at `start`.
/// Never empty, and never reaching past 4 GiB.
#[derive(PartialEq, Eq, Hash)]
pub struct VRange {
    start: Page,
    pages: u32,
}

impl VRange {
    /// The range of `pages` pages from `start`, or `None` if `pages` is 0
    /// or the range would pass the top of the address space.
    ///
    /// For code that keeps ranges as plain numbers and gives them back
    /// later; a range made up here is checked again by `free`.
    pub const fn from_raw_parts(start: Page, pages: u32) -> Option<Self> {
        if pages == 0 || start.checked_add(pages).is_none() {
            return None;
        }
        Some(Self { start, pages })
    }

    /// The first page.
    pub const fn first_page(&self) -> Page {
        self.start
    }

    /// The first byte.
    pub const fn start(&self) -> VirtAddr {
        self.start.start()
    }

    /// One past the last byte.
    pub const fn end(&self) -> VirtAddr {
        // Cannot overflow: `from_raw_parts` and the allocator check it.
        VirtAddr::new(self.start.start().as_u32() + self.pages * PAGE_SIZE)
    }

    /// The number of pages (at least 1).
    pub const fn pages(&self) -> u32 {
        self.pages
    }

    /// The size in bytes.
    pub const fn size(&self) -> u32 {
        self.pages * PAGE_SIZE
    }

    /// Page `index` of the range, or `None` past its end.
    pub const fn page(&self, index: u32) -> Option<Page> {
        if index < self.pages { self.start.checked_add(index) } else { None }
    }

    /// The pages of the range in order.
    pub fn iter(&self) -> impl Iterator<Item = Page> + '_ {
        (0..self.pages).filter_map(|i| self.page(i))
    }

    /// Whether `addr` is inside the range.
    pub const fn contains(&self, addr: VirtAddr) -> bool {
        addr.as_u32() >= self.start().as_u32() && addr.as_u32() < self.end().as_u32()
    }

    /// The first page's number (its address / 4 KiB), for the allocator.
    pub(crate) const fn first_number(&self) -> u32 {
        self.start.start().as_u32() / PAGE_SIZE
    }
}

impl fmt::Debug for VRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VRange({}..{}, {} pages)", self.start(), self.end(), self.pages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(addr: u32) -> Page {
        Page::from_start(VirtAddr::new(addr)).unwrap()
    }

    #[test]
    fn bounds_and_pages() {
        let r = VRange::from_raw_parts(page(0xE000_2000), 3).unwrap();
        assert_eq!(r.start(), VirtAddr::new(0xE000_2000));
        assert_eq!(r.end(), VirtAddr::new(0xE000_5000));
        assert_eq!(r.size(), 0x3000);
        assert_eq!(r.page(2), Some(page(0xE000_4000)));
        assert_eq!(r.page(3), None);
        assert_eq!(r.iter().count(), 3);
        assert!(r.contains(VirtAddr::new(0xE000_4FFF)));
        assert!(!r.contains(VirtAddr::new(0xE000_5000)));
        assert_eq!(r.first_number(), 0xE0002);
    }

    #[test]
    fn empty_and_overflowing_ranges_do_not_exist() {
        assert_eq!(VRange::from_raw_parts(page(0xE000_0000), 0), None);
        assert_eq!(VRange::from_raw_parts(page(0xFFFF_F000), 1), None);
        assert!(VRange::from_raw_parts(page(0xFFFF_E000), 1).is_some());
    }
}
