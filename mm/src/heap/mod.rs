//! The kmalloc heap: a two-level segregated fit (TLSF) allocator over one
//! virtual region that starts empty and grows and shrinks at its top.
//!
//! The heap is pure logic over a [`PageSource`], so the very code that runs
//! in the kernel (where the source maps frames into 0xD000_0000..0xE000_0000)
//! runs on the host in tests and benchmarks over an [`ArenaSource`]. Every
//! block carries an inline header whose first word is a check word derived
//! from its own address and a per-boot key, so payload bytes never pass for
//! a header; every pointer handed back is checked before anything is
//! written, and [`Heap::check`] verifies every invariant. See
//! `docs/kmalloc.md`.
//!
//! Files: [`block`] (layout and size rounding), [`class`] (size classes),
//! `lists` (free lists and bitmaps), `memory` (raw word access), `alloc`,
//! `free`, `realloc`, `grow` (the operations), `top` (the top chunk),
//! `validate` (pointers handed back), `check` and `walk`
//! (verification), `poison` (debug mode), [`source`] and [`arena`] (where
//! pages come from), [`error`], [`torture`] (the shared random workload).

pub mod block;
pub mod class;
pub mod error;
pub mod source;
pub mod torture;

mod alloc;
mod check;
mod core;
mod free;
mod grow;
mod lists;
mod memory;
mod poison;
mod realloc;
mod top;
mod validate;
mod walk;

#[cfg(not(target_os = "none"))]
pub mod arena;

#[cfg(test)]
mod tests;

pub use self::core::{Heap, HeapStats};
pub use block::{MAX_ALIGN, MIN_BLOCK};
pub use error::{Corruption, Exhausted, HeapError};
pub use source::{HeapRegion, MapError, PageSource};

#[cfg(not(target_os = "none"))]
pub use arena::ArenaSource;
