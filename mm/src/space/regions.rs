//! A process's regions: which parts of its user half it may use, with
//! which rights, for what; and the range allocator that places new ones.
//!
//! ```text
//!  0x0040_0000  image segments (Image, rights from the ELF file)
//!               heap            (Heap, read-write, grows with brk)
//!  0x4000_0000  mmap area:  |anon|....|anon|anon|.......|   first fit
//!  0xBFE0_0000  stack gap   (never a region)
//!  0xBFF0_0000  stack       (Stack, read-write, 1 MiB reserved)
//! ```
//!
//! A region reserves address space only; its pages get frames when first
//! touched (or, for the image, when the program is loaded). The regions
//! are the truth the page-fault handler decides by ([`super::fault`]) and
//! every pointer a process passes is checked against
//! ([`UserRegions::check_access`]).
//!
//! Like the kernel's virtual ranges the table is a fixed, sorted array
//! (here of regions rather than free spans), allocated first fit: no heap,
//! so nothing here can fail for want of kernel memory, and a process has
//! at most `N` regions (64 by default).

#![forbid(unsafe_code)]

use crate::addr::{PAGE_SIZE, VirtAddr};
use crate::frame::Page;
use crate::layout::USER_END;
use bitflags::bitflags;
use core::fmt;

bitflags! {
    /// What a process may do with a region's pages.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Rights: u8 {
        /// Read (every mapped user page is readable on i686).
        const READ = 1 << 0;
        /// Write.
        const WRITE = 1 << 1;
        /// Execute. Recorded for reports only: two-level i686 paging has
        /// no no-execute bit, so every readable page is executable.
        const EXEC = 1 << 2;
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bit = |r: Rights, c: char| if self.contains(r) { c } else { '-' };
        write!(f, "{}{}{}", bit(Rights::READ, 'r'), bit(Rights::WRITE, 'w'), bit(Rights::EXEC, 'x'))
    }
}

/// What a region is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// A segment of the program's ELF image, loaded at start.
    Image,
    /// The heap from the end of the image up to the break (`brk`).
    Heap,
    /// An anonymous mapping (`mmap`).
    Anonymous,
    /// The user stack.
    Stack,
}

impl RegionKind {
    /// The kind in words, for reports.
    pub const fn name(self) -> &'static str {
        match self {
            RegionKind::Image => "program image",
            RegionKind::Heap => "heap",
            RegionKind::Anonymous => "anonymous mapping",
            RegionKind::Stack => "stack",
        }
    }
}

/// `pages` pages from `start`, with `rights`, for `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// First page.
    pub start: Page,
    /// Length in pages (at least 1).
    pub pages: u32,
    /// What the process may do there.
    pub rights: Rights,
    /// What the region is for.
    pub kind: RegionKind,
}

impl Region {
    /// First byte, as a number.
    pub const fn start_addr(&self) -> u32 {
        self.start.start().as_u32()
    }

    /// One past the last byte, as a number (u64: a region may end at 4 GiB).
    pub const fn end_addr(&self) -> u64 {
        self.start.start().as_u32() as u64 + self.pages as u64 * PAGE_SIZE as u64
    }

    /// Whether `addr` is inside.
    pub const fn contains(&self, addr: u32) -> bool {
        addr >= self.start_addr() && (addr as u64) < self.end_addr()
    }
}

/// Why a region operation was refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionError {
    /// Zero pages.
    Empty,
    /// Not entirely in the allowed area (the user half, or the area asked for).
    OutsideArea,
    /// Overlaps the region starting at this address.
    Overlaps(VirtAddr),
    /// The table holds `N` regions already.
    Full,
    /// No free range of the size asked for in the area.
    NoSpace,
    /// Part of the range is not in a region of the kind the operation needs.
    NotOfKind(RegionKind),
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::Empty => f.write_str("a region of zero pages"),
            RegionError::OutsideArea => f.write_str("the range is outside the area allowed for it"),
            RegionError::Overlaps(at) => write!(f, "the range overlaps the region at {at}"),
            RegionError::Full => f.write_str("the process has the most regions it may have"),
            RegionError::NoSpace => f.write_str("no free address range that large"),
            RegionError::NotOfKind(kind) => write!(f, "part of the range is not a {}", kind.name()),
        }
    }
}

/// A process's regions, sorted by address, never overlapping.
#[derive(Clone, Debug)]
pub struct UserRegions<const N: usize = 64> {
    regions: [Region; N],
    len: usize,
}

const NO_REGION: Region = Region {
    start: Page::containing(VirtAddr::new(0)),
    pages: 0,
    rights: Rights::empty(),
    kind: RegionKind::Anonymous,
};

impl<const N: usize> Default for UserRegions<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Page number of a byte address (u64: the end of the user half fits).
const fn page_number(addr: u64) -> u64 {
    addr / PAGE_SIZE as u64
}

impl<const N: usize> UserRegions<N> {
    /// No regions.
    pub const fn new() -> Self {
        Self { regions: [NO_REGION; N], len: 0 }
    }

    /// The regions in address order.
    pub fn iter(&self) -> impl Iterator<Item = &Region> + '_ {
        self.regions[..self.len].iter()
    }

    /// How many regions there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The region containing `addr`, if any. O(log N).
    pub fn find(&self, addr: VirtAddr) -> Option<&Region> {
        let a = addr.as_u32();
        let i = self.regions[..self.len].partition_point(|r| r.end_addr() <= u64::from(a));
        self.regions[..self.len].get(i).filter(|r| r.contains(a))
    }

    /// Adds `region`; it must lie in the user half and overlap nothing.
    pub fn insert(&mut self, region: Region) -> Result<(), RegionError> {
        if region.pages == 0 {
            return Err(RegionError::Empty);
        }
        if region.end_addr() > u64::from(USER_END.as_u32()) {
            return Err(RegionError::OutsideArea);
        }
        let at = self.regions[..self.len].partition_point(|r| r.start_addr() < region.start_addr());
        if let Some(prev) = at.checked_sub(1).map(|i| self.regions[i])
            && prev.end_addr() > u64::from(region.start_addr())
        {
            return Err(RegionError::Overlaps(prev.start.start()));
        }
        if let Some(next) = self.regions[..self.len].get(at)
            && u64::from(next.start_addr()) < region.end_addr()
        {
            return Err(RegionError::Overlaps(next.start.start()));
        }
        if self.len == N {
            return Err(RegionError::Full);
        }
        self.regions.copy_within(at..self.len, at + 1);
        self.regions[at] = region;
        self.len += 1;
        Ok(())
    }

    /// Places a new region of `pages` pages at the lowest free address of
    /// `area` (first fit, as the kernel's virtual ranges do) and returns
    /// its first page.
    pub fn allocate(
        &mut self,
        area: (VirtAddr, VirtAddr),
        pages: u32,
        rights: Rights,
        kind: RegionKind,
    ) -> Result<Page, RegionError> {
        if pages == 0 {
            return Err(RegionError::Empty);
        }
        if self.len == N {
            return Err(RegionError::Full);
        }
        let (lo, hi) = (u64::from(area.0.as_u32()), u64::from(area.1.as_u32()));
        let size = u64::from(pages) * u64::from(PAGE_SIZE);
        let mut candidate = lo;
        for r in self.iter() {
            if r.end_addr() <= candidate {
                continue;
            }
            if u64::from(r.start_addr()) >= candidate + size {
                break;
            }
            candidate = r.end_addr();
        }
        if candidate + size > hi {
            return Err(RegionError::NoSpace);
        }
        let start = Page::containing(VirtAddr::new(candidate as u32));
        self.insert(Region { start, pages, rights, kind })?;
        Ok(start)
    }

    /// Makes the region starting at `start` `pages` long (growing it into
    /// free space or shrinking it; 0 removes it). The returned region is
    /// what it was before. The pages given up are the caller's to unmap.
    pub fn resize(&mut self, start: Page, pages: u32) -> Result<Region, RegionError> {
        let i = self.index_of(start).ok_or(RegionError::NotOfKind(RegionKind::Heap))?;
        let old = self.regions[i];
        let new_end = u64::from(old.start_addr()) + u64::from(pages) * u64::from(PAGE_SIZE);
        if new_end > u64::from(USER_END.as_u32()) {
            return Err(RegionError::OutsideArea);
        }
        if let Some(next) = self.regions[..self.len].get(i + 1)
            && new_end > u64::from(next.start_addr())
        {
            return Err(RegionError::Overlaps(next.start.start()));
        }
        if pages == 0 {
            self.regions.copy_within(i + 1..self.len, i);
            self.len -= 1;
        } else {
            self.regions[i].pages = pages;
        }
        Ok(old)
    }

    /// Removes pages `start..start + pages` from regions of `kind`,
    /// splitting a region that extends past either end. Every page of the
    /// range must be in a region of that kind, and a split must not need
    /// more than `N` regions; otherwise nothing changes. The pages removed
    /// are the caller's to unmap.
    pub fn remove(&mut self, start: Page, pages: u32, kind: RegionKind) -> Result<(), RegionError> {
        if pages == 0 {
            return Err(RegionError::Empty);
        }
        let first = u64::from(start.start().as_u32()) / u64::from(PAGE_SIZE);
        let end = first + u64::from(pages);
        if end > page_number(u64::from(USER_END.as_u32())) {
            return Err(RegionError::OutsideArea);
        }
        // Every page covered, by regions of `kind` only.
        let mut covered_to = first;
        let lo = self.regions[..self.len].partition_point(|r| page_number(r.end_addr()) <= first);
        let mut hi = lo;
        while hi < self.len && covered_to < end {
            let r = self.regions[hi];
            let r_first = page_number(u64::from(r.start_addr()));
            if r_first > covered_to || r.kind != kind {
                return Err(RegionError::NotOfKind(kind));
            }
            covered_to = page_number(r.end_addr());
            hi += 1;
        }
        if covered_to < end {
            return Err(RegionError::NotOfKind(kind));
        }
        // Regions lo..hi are touched; the first may keep a head, the last a tail.
        let head = self.regions[lo];
        let tail = self.regions[hi - 1];
        let keep_head = page_number(u64::from(head.start_addr())) < first;
        let keep_tail = page_number(tail.end_addr()) > end;
        let new_len = self.len - (hi - lo) + usize::from(keep_head) + usize::from(keep_tail);
        if new_len > N {
            return Err(RegionError::Full);
        }
        let mut replacement = [NO_REGION; 2];
        let mut count = 0;
        if keep_head {
            let pages = (first - page_number(u64::from(head.start_addr()))) as u32;
            replacement[count] = Region { pages, ..head };
            count += 1;
        }
        if keep_tail {
            let tail_pages = (page_number(tail.end_addr()) - end) as u32;
            let start = Page::containing(VirtAddr::new((end * u64::from(PAGE_SIZE)) as u32));
            replacement[count] = Region { start, pages: tail_pages, ..tail };
            count += 1;
        }
        // Shift the rest into place, then write the replacement.
        let removed = hi - lo;
        if count <= removed {
            self.regions.copy_within(hi..self.len, lo + count);
        } else {
            // Only a split of one region adds one: shift right by one.
            self.regions.copy_within(hi..self.len, hi + 1);
        }
        self.regions[lo..lo + count].copy_from_slice(&replacement[..count]);
        self.len = new_len;
        Ok(())
    }

    /// Checks that a process may `access` the `len` bytes at `addr`: the
    /// range does not wrap, lies in the user half, and every byte of it is
    /// in a region whose rights allow the access. This is what every
    /// pointer passed to a system call goes through before the kernel
    /// touches it. A zero-length range is always allowed.
    pub fn check_access(&self, addr: u32, len: u32, access: Access) -> Result<(), BadPointer> {
        if len == 0 {
            return Ok(());
        }
        let end = u64::from(addr) + u64::from(len);
        if end > 1 << 32 {
            return Err(BadPointer::Wraps { addr, len });
        }
        if end > u64::from(USER_END.as_u32()) {
            return Err(BadPointer::KernelHalf { addr, len });
        }
        let mut at = addr;
        loop {
            let Some(region) = self.find(VirtAddr::new(at)) else {
                return Err(BadPointer::Unmapped { addr: at });
            };
            if !region.rights.contains(access.needs()) {
                return Err(BadPointer::Denied { addr: at, kind: region.kind, access });
            }
            if region.end_addr() >= end {
                return Ok(());
            }
            at = region.end_addr() as u32;
        }
    }

    fn index_of(&self, start: Page) -> Option<usize> {
        let i = self.regions[..self.len].partition_point(|r| r.start < start);
        (i < self.len && self.regions[i].start == start).then_some(i)
    }
}

/// What a process (or the kernel on its behalf) does with memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A load.
    Read,
    /// A store.
    Write,
    /// An instruction fetch.
    Execute,
}

impl Access {
    /// The right the access needs.
    pub const fn needs(self) -> Rights {
        match self {
            Access::Read => Rights::READ,
            Access::Write => Rights::WRITE,
            // No NX bit: a fetch needs what a read needs.
            Access::Execute => Rights::READ,
        }
    }

    /// The access in words.
    pub const fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "instruction fetch",
        }
    }
}

/// Why a pointer from a process was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadPointer {
    /// `addr + len` passes 4 GiB.
    Wraps {
        /// Start.
        addr: u32,
        /// Length.
        len: u32,
    },
    /// Part of the range is in the kernel half.
    KernelHalf {
        /// Start.
        addr: u32,
        /// Length.
        len: u32,
    },
    /// `addr` is in no region.
    Unmapped {
        /// The first byte outside every region.
        addr: u32,
    },
    /// The region at `addr` does not allow the access.
    Denied {
        /// The first byte refused.
        addr: u32,
        /// The region's kind.
        kind: RegionKind,
        /// The access asked for.
        access: Access,
    },
}

impl fmt::Display for BadPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            BadPointer::Wraps { addr, len } => {
                write!(f, "{len} bytes at {addr:#010x} wrap past the top of memory")
            }
            BadPointer::KernelHalf { addr, len } => {
                write!(f, "{len} bytes at {addr:#010x} reach into the kernel half")
            }
            BadPointer::Unmapped { addr } => write!(f, "{addr:#010x} is in no region"),
            BadPointer::Denied { addr, kind, access } => {
                write!(
                    f,
                    "{addr:#010x} is in the {} and may not be a {} target",
                    kind.name(),
                    access.name()
                )
            }
        }
    }
}
