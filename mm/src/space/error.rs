//! What a space holds ([`SpaceFrames`]) and why an operation on it was
//! refused ([`SpaceError`]).

use crate::frame::Page;
use core::fmt;

/// How many frames a space holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpaceFrames {
    /// The page directory (1 while the space exists).
    pub directory: u32,
    /// Page tables of the user half.
    pub tables: u32,
    /// Pages mapped in the user half.
    pub pages: u32,
}

impl SpaceFrames {
    /// All of them.
    pub const fn total(&self) -> u32 {
        self.directory + self.tables + self.pages
    }
}

/// Why an address-space operation was refused; nothing changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceError {
    /// The page is in the kernel half, which a space never maps on its own.
    KernelHalf(Page),
    /// No free frame (for the page or for its page table).
    OutOfFrames,
    /// The page is mapped already.
    AlreadyMapped(Page),
    /// The page is not mapped.
    NotMapped(Page),
    /// The registry of directories sharing the kernel half is full.
    TooManySpaces,
    /// A write fault on a page that is not marked copy-on-write.
    NotCopyOnWrite(Page),
    /// A write into a page mapped read-only (maybe shared by a fork).
    ReadOnly(Page),
}

impl fmt::Display for SpaceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpaceError::KernelHalf(p) => write!(f, "{p:?} is in the kernel half"),
            SpaceError::OutOfFrames => f.write_str("out of memory: no free frame"),
            SpaceError::AlreadyMapped(p) => write!(f, "{p:?} is mapped already"),
            SpaceError::NotMapped(p) => write!(f, "{p:?} is not mapped"),
            SpaceError::TooManySpaces => f.write_str("too many address spaces at once"),
            SpaceError::NotCopyOnWrite(p) => write!(f, "{p:?} is not a copy-on-write page"),
            SpaceError::ReadOnly(p) => write!(f, "{p:?} is mapped read-only"),
        }
    }
}
