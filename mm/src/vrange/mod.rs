//! Kernel virtual address space, allocated apart from physical frames.
//!
//! [`VRangeAllocator`] hands out page-granular ranges of
//! `layout::VRANGE_START..VRANGE_END`; [`RangeMapper`] puts frames behind
//! them (RAM from the allocator, or a device's own frames) and takes them
//! down again, all or nothing. See `docs/paging.md`.

mod allocator;
mod map;
mod range;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use allocator::{AllocError, FreeRangeError, FreeRefusal, VRangeAllocator};
pub use map::{
    FrameSource, MapRangeError, MappedRange, RangeMapper, UnmapRangeError, UnmapRangeRefusal,
};
pub use range::VRange;
