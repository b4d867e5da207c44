//! The physical frame allocator: untouched memory below a watermark, and a
//! stack of freed frames kept in free memory.
//!
//! Frames never handed out since boot are not listed anywhere: they lie
//! below a watermark that goes down as they are taken (`watermark.rs`), so
//! building the allocator costs the same at 3 GiB as at 4 MiB. Frames that
//! are freed go on a stack of 32-bit frame addresses whose pages are
//! themselves free frames, reached through a one-page [`StackWindow`]
//! (`stack.rs`). So allocating and freeing are O(1) — a load or store in the
//! current stack page, no remapping — and the allocator costs no frame of
//! its own while memory is free: when the last entries are gone, the stack
//! pages are handed out too. A one-bit-per-frame bitmap catches double
//! frees and frees of memory that was never usable, and every value popped
//! from the stack is checked before it is handed out (`allocate.rs`). See
//! `docs/frames.md`.

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
