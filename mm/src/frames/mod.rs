//! The physical frame allocator: a stack of free frames kept in free memory.
//!
//! Free frames are listed on a stack of 32-bit frame addresses whose pages
//! are themselves free frames, reached through a one-page [`StackWindow`].
//! So allocating and freeing are O(1) — a load or store in the current stack
//! page, no remapping — and the allocator costs no frame of its own while
//! memory is free: when the last entries are gone, the stack pages are handed
//! out too. A one-bit-per-frame bitmap catches double frees and
//! frees of memory that was never usable. See `docs/frames.md`.

mod allocate;
mod bitmap;
mod stack;
mod watermark;
mod window;

#[cfg(not(target_os = "none"))]
mod emulated;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

pub use bitmap::{BitmapTooSmall, bitmap_frames, bitmap_words};
pub use stack::{ENTRIES_PER_PAGE, FrameStack};
pub use window::StackWindow;

#[cfg(not(target_os = "none"))]
pub use emulated::EmulatedWindow;
