//! Per-process address spaces: a page directory of its own per process,
//! the kernel half shared by all, regions with rights and kinds, and the
//! page-fault decision. See docs/processes.md.
//!
//! - [`AddressSpace`]: map, unmap, protect, translate, fork and destroy a
//!   space that need not be the loaded one, through a [`FrameWindow`]; the
//!   first write to a page a fork shared ([`AddressSpace::copy_on_write`]).
//! - [`SharedKernelHalf`]: the kernel mapper's tables, plus every
//!   directory, so a new kernel page table reaches every space.
//! - [`UserRegions`]: what a process may use, placed first fit, and the
//!   check every user pointer goes through.
//! - [`FrameCounts`]: the reference counts of frames a fork left shared,
//!   recorded only above one.
//! - [`fault::decide`]: map a zeroed page, grow the stack, copy a shared
//!   page, or kill.

mod address_space;
pub mod counts;
pub mod fault;
mod fork;
mod regions;
mod shared;
mod tables;
mod window;

#[cfg(not(target_os = "none"))]
mod emulated;

#[cfg(test)]
mod counts_tests;
#[cfg(test)]
mod fork_proptests;
#[cfg(test)]
mod fork_tests;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use address_space::{AddressSpace, SpaceError, SpaceFrames, user_flags};
pub use counts::FrameCounts;
pub use fork::CopyOnWrite;
pub use regions::{Access, BadPointer, Region, RegionError, RegionKind, Rights, UserRegions};
pub use shared::{SharedKernelHalf, TooManySpaces};
pub use tables::SpaceTables;
pub use window::{FrameWindow, WindowSlot};

#[cfg(not(target_os = "none"))]
pub use emulated::EmulatedFrames;
