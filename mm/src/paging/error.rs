//! What can go wrong in each mapper operation, one enum per operation.
//!
//! A failed `map` hands the frame it was given back inside the error, so
//! a frame is never lost on the error path: the caller frees it or tries
//! again. Every variant says enough to act on without a debugger.

#![forbid(unsafe_code)]

use crate::addr::PhysAddr;
use crate::frame::{Frame, Page};
use core::fmt;

/// Why [`Mapper::map`](super::Mapper::map) refused; the frame comes back.
#[derive(Debug, PartialEq, Eq)]
pub enum MapError {
    /// The page needs a new page table and the frame allocator is empty.
    OutOfFrames(Frame),
    /// The page is mapped already; it still points at `existing`.
    AlreadyMapped {
        /// The frame that was to be mapped, given back.
        frame: Frame,
        /// Where the page points now.
        existing: PhysAddr,
    },
    /// The page is in the recursive window (directory entry 1023, the top
    /// 4 MiB), where the page tables themselves appear.
    RecursiveWindow(Frame),
}

impl MapError {
    /// The frame that was not mapped, whatever the reason.
    pub fn into_frame(self) -> Frame {
        match self {
            MapError::OutOfFrames(frame)
            | MapError::AlreadyMapped { frame, .. }
            | MapError::RecursiveWindow(frame) => frame,
        }
    }
}

impl fmt::Display for MapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MapError::OutOfFrames(frame) => {
                write!(f, "no frame left for a page table (to map {frame:?})")
            }
            MapError::AlreadyMapped { frame, existing } => {
                write!(f, "page already mapped to {existing} (refused {frame:?})")
            }
            MapError::RecursiveWindow(frame) => {
                write!(f, "page is in the recursive page-table window (refused {frame:?})")
            }
        }
    }
}

/// Why [`Mapper::unmap`](super::Mapper::unmap) refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnmapError {
    /// The page is not mapped (no page table, or its entry is not present).
    NotMapped(Page),
    /// The page is in the recursive window, which the mapper never edits.
    RecursiveWindow(Page),
}

impl fmt::Display for UnmapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnmapError::NotMapped(page) => write!(f, "cannot unmap {page:?}: not mapped"),
            UnmapError::RecursiveWindow(page) => {
                write!(f, "cannot unmap {page:?}: it is in the recursive page-table window")
            }
        }
    }
}

/// Why [`Mapper::update_flags`](super::Mapper::update_flags) refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateFlagsError {
    /// The page is not mapped.
    NotMapped(Page),
    /// The page is in the recursive window, which the mapper never edits.
    RecursiveWindow(Page),
}

impl fmt::Display for UpdateFlagsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpdateFlagsError::NotMapped(page) => {
                write!(f, "cannot change the flags of {page:?}: not mapped")
            }
            UpdateFlagsError::RecursiveWindow(page) => {
                write!(f, "cannot change the flags of {page:?}: recursive page-table window")
            }
        }
    }
}

/// Why [`Mapper::new`](super::Mapper::new) refused a live directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitError {
    /// Directory entry `index` maps a 4 MiB page (PS set); this mapper only
    /// understands 4 KiB pages, so the boot code must not use large pages.
    LargePage {
        /// The directory entry with PS set.
        index: usize,
    },
}

impl fmt::Display for InitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InitError::LargePage { index } => write!(
                f,
                "page directory entry {index} maps a 4 MiB page; only 4 KiB pages are supported"
            ),
        }
    }
}
