//! Everything that can go wrong in the heap, as values: running out, bad
//! requests, bad pointers handed back, and corruption found in the heap.
//!
//! Addresses are absolute (in the kernel they read 0xd000_xxxx) so a report
//! can be matched against a crash dump. An error returned by `free`,
//! `realloc` or an allocation means the heap was not modified, with one
//! exception: a corrupted free block met while allocating is taken out of
//! circulation (quarantined) before the error is returned.

use core::fmt;

use super::block::{CANARY, POISON};
use super::source::MapError;

/// Why a heap operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeapError {
    /// `size` bytes can never be allocated: adding the header and rounding
    /// overflows, or the block would be larger than the whole region.
    TooLarge { size: usize },
    /// `calloc(count, size)`: `count * size` overflows.
    CallocOverflow { count: usize, size: usize },
    /// The alignment is not a power of two or is above 4096.
    BadAlignment { align: usize },
    /// No free block fits `size` bytes and the heap cannot grow: `cause`
    /// says whether the region's address space or the frames ran out.
    OutOfMemory { size: usize, cause: Exhausted },
    /// The pointer is not inside the heap's region at all.
    OutsideHeap { addr: usize },
    /// The pointer is inside the heap's region but at or above its mapped
    /// top `top`: memory the heap gave back (a double free or a stale
    /// pointer to a block whose pages were returned) or never handed out.
    AboveTop { addr: usize, top: usize },
    /// The pointer is inside the heap but not 8-byte aligned, so the heap
    /// never returned it.
    Misaligned { addr: usize },
    /// The pointer is inside the used block whose payload starts at `block`,
    /// `offset` bytes from that start (negative: into its header).
    Interior { addr: usize, block: usize, offset: isize },
    /// The pointer is the start of a block that is free already.
    DoubleFree { addr: usize },
    /// The pointer lies inside the free block at `block` (freed and merged
    /// with a neighbour since, so most likely a double free).
    InFreeBlock { addr: usize, block: usize },
    /// The block was taken out of circulation after corruption was found in it.
    Quarantined { addr: usize },
    /// Heap metadata at `addr` breaks an invariant.
    Corrupted { addr: usize, what: Corruption },
    /// Debug mode: the used block whose payload starts at `block` was
    /// written past its requested `size`; the canary byte at `at` is `found`.
    Overflow { block: usize, size: usize, at: usize, found: u8 },
    /// Debug mode: free memory of the block at `block` was written after it
    /// was freed; the poison byte at `at` is `found`.
    UseAfterFree { block: usize, at: usize, found: u8 },
}

/// What ran out when the heap could not grow for an allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exhausted {
    /// The region has no room left above the heap's top for the pages the
    /// request lacks (in the kernel: 256 MiB of heap address space in use,
    /// or too fragmented to hold the request).
    AddressSpace,
    /// The page source has no free frame left for those pages (or for a
    /// page table to map them).
    Frames,
    /// The page source refused to map them for another reason.
    Refused,
}

impl From<MapError> for Exhausted {
    fn from(e: MapError) -> Self {
        match e {
            MapError::OutOfFrames => Exhausted::Frames,
            MapError::Refused => Exhausted::Refused,
        }
    }
}

/// What exactly is wrong with corrupted heap metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Corruption {
    /// A header does not start with the check word of its address: it is
    /// not a block header, or it was overwritten.
    BadCheckWord { found: u32, expected: u32 },
    /// A size is not a multiple of 8, below 16, or runs past the heap top.
    BadSize { size: u32 },
    /// A free block's footer does not repeat its size.
    FooterMismatch { footer: u32, size: u32 },
    /// The previous-block bits of a header do not describe its neighbour.
    PrevBits { found: u32, expected: u32 },
    /// Two free blocks touch: they should have been merged.
    AdjacentFree,
    /// A free-list link points outside the heap, at a misaligned offset, or
    /// back at the wrong block.
    BadLink { link: u32 },
    /// A free-list entry is a used block.
    ListEntryUsed,
    /// A free block sits in the list of another size class.
    WrongList { size: u32, list: (u8, u8) },
    /// A bitmap bit disagrees with whether its list is empty.
    Bitmap { list: (u8, u8) },
    /// The free lists do not hold exactly the free blocks of the heap.
    ListsDisagree { in_lists: u32, in_heap: u32 },
    /// Debug mode: a used block's stored request size cannot be right.
    Trailer { size: u32 },
    /// A statistics counter disagrees with the heap.
    Counter { name: &'static str, recorded: u32, counted: u32 },
    /// The top chunk breaks one of its invariants (`why` says which).
    Top { why: &'static str },
}

impl fmt::Display for HeapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use HeapError::*;
        match *self {
            TooLarge { size } => write!(f, "a request of {size} bytes can never be satisfied"),
            CallocOverflow { count, size } => {
                write!(f, "calloc({count}, {size}): the total size overflows")
            }
            BadAlignment { align } => {
                write!(f, "alignment {align} is not a power of two up to 4096")
            }
            OutOfMemory { size, cause } => {
                write!(f, "out of memory allocating {size} bytes: {cause}")
            }
            OutsideHeap { addr } => write!(f, "{addr:#x} is not inside the heap"),
            AboveTop { addr, top } => write!(
                f,
                "{addr:#x} is above the heap's top ({top:#x}): memory the heap gave back, or never handed out (a double free or a stale pointer?)"
            ),
            Misaligned { addr } => {
                write!(f, "{addr:#x} is not 8-byte aligned: not a pointer the heap returned")
            }
            Interior { addr, block, offset } if offset >= 0 => {
                write!(f, "interior pointer {addr:#x}: {offset} bytes into the block at {block:#x}")
            }
            Interior { addr, block, offset } => write!(
                f,
                "pointer {addr:#x} points into the header of the block at {block:#x} ({} bytes before it)",
                offset.unsigned_abs()
            ),
            DoubleFree { addr } => write!(f, "double free of {addr:#x}: the block is already free"),
            InFreeBlock { addr, block } => write!(
                f,
                "{addr:#x} points into the free block at {block:#x}: double free (freed and merged since) or a stale pointer"
            ),
            Quarantined { addr } => {
                write!(f, "{addr:#x} is a block quarantined after corruption was found in it")
            }
            Corrupted { addr, what } => write!(f, "heap corrupted at {addr:#x}: {what}"),
            Overflow { block, size, at, found } => write!(
                f,
                "buffer overflow: the block at {block:#x} ({size} bytes requested) was written past its end: byte {at:#x} is {found:#04x}, canary {CANARY:#04x} expected"
            ),
            UseAfterFree { block, at, found } => write!(
                f,
                "use after free: byte {at:#x} of the free block at {block:#x} is {found:#04x}, poison {POISON:#04x} expected"
            ),
        }
    }
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Exhausted::AddressSpace => "the heap's address space is used up",
            Exhausted::Frames => "no free frame left for the pages it needs",
            Exhausted::Refused => "the page source refused to map the pages it needs",
        })
    }
}

impl fmt::Display for Corruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Corruption::*;
        match *self {
            BadCheckWord { found, expected } => write!(
                f,
                "header check word is {found:#010x}, expected {expected:#010x} for a header at this address"
            ),
            BadSize { size } => write!(
                f,
                "block size {size:#x} is not a multiple of 8 of at least 16 inside the heap"
            ),
            FooterMismatch { footer, size } => {
                write!(f, "footer says {footer:#x} but the header says {size:#x}")
            }
            PrevBits { found, expected } => write!(
                f,
                "previous-block bits are {found:#b}, but the previous block needs {expected:#b}"
            ),
            AdjacentFree => f.write_str("two free blocks are adjacent (missed merge)"),
            BadLink { link } => {
                write!(f, "free-list link {link:#x} is not a free block of this list")
            }
            ListEntryUsed => f.write_str("a block on a free list is marked used"),
            WrongList { size, list } => {
                write!(f, "free block of {size:#x} bytes is on list ({}, {})", list.0, list.1)
            }
            Bitmap { list } => {
                write!(f, "bitmap bit of list ({}, {}) disagrees with the list", list.0, list.1)
            }
            ListsDisagree { in_lists, in_heap } => write!(
                f,
                "the free lists hold {in_lists} blocks but the heap has {in_heap} free blocks (or other ones)"
            ),
            Trailer { size } => {
                write!(
                    f,
                    "stored request size {size:#x} does not fit its block (debug trailer overwritten)"
                )
            }
            Counter { name, recorded, counted } => {
                write!(f, "counter {name} says {recorded} but the heap holds {counted}")
            }
            Top { why } => write!(f, "top chunk: {why}"),
        }
    }
}
