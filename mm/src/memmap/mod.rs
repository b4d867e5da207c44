//! The usable physical memory, cleaned up from the boot loader's memory map.
//!
//! GRUB hands over a Multiboot2 memory map whose entries may overlap, repeat,
//! come in any order, stop mid-page or reach past 4 GiB. [`clean`] turns that
//! map, minus the memory the boot already occupies (the kernel image, the
//! Multiboot2 information, modules, early page tables), into a short sorted
//! list of whole usable frames: a [`UsableMemory`]. The one idea behind it is
//! that a byte is usable only if some entry says "available" and no entry says
//! anything else, so conflicting entries always resolve towards "not usable".
//!
//! Everything here is pure logic with no heap: the result lives in a
//! fixed-capacity array, because the kernel needs it before any allocator
//! exists.
#![forbid(unsafe_code)]

mod clean;
mod entry;
mod range;
mod usable;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use clean::{CleanError, clean};
pub use entry::{ByteRange, MapEntry, MapKind};
pub use range::{FRAME_END, FrameRange};
pub use usable::{MAX_RANGES, NoContiguousRange, TooManyRanges, UsableMemory};
