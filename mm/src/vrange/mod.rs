//! Kernel virtual address space, allocated apart from physical frames.
//!
//! [`VRangeAllocator`] hands out page-granular ranges of
//! `layout::VRANGE_START..VRANGE_END`; [`RangeMapper`] puts frames behind
//! them (RAM from the allocator, or a device's own frames) and takes them
//! down again, all or nothing. See `docs/paging.md`.

mod allocator;
mod error;
mod map;
mod range;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use allocator::VRangeAllocator;
pub use error::{
    AllocError, FreeRangeError, FreeRefusal, MapRangeError, UnmapRangeError, UnmapRangeRefusal,
};
pub use map::{FrameSource, MappedRange, RangeMapper};
pub use range::VRange;
