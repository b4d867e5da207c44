//! The bodies of the fuzz targets in `fuzz/`, as plain functions.
//!
//! Each body takes the fuzzer's bytes, reads them as a sequence of
//! operations ([`Bytes`]), runs them against the real code and an
//! independent model, and panics with what was expected when a promise is
//! broken. libFuzzer (`make fuzz`, `fuzz/fuzz_targets/*.rs`) calls them
//! with coverage guidance; the host tests replay every input kept in
//! `fuzz/seeds/<target>/` and `fuzz/regressions/<target>/` through the same
//! functions, deterministically and without libFuzzer ([`replay`]).
//!
//! | body | what it drives | against |
//! |------|----------------|---------|
//! | [`heap()`] | the heap's checked API over a guarded arena | live allocations and their contents |
//! | [`memmap()`] | `memmap::clean`, `remove`, `take_top` | an interval model built another way |
//! | [`frames()`] | the frame allocator and the mapper over one emulated RAM | every frame accounted for |
//!
//! The boot-information body lives with the validator, in the kernel crate
//! (`kernel::bootinfo::fuzz`). Host only.

pub mod bytes;
mod frames;
mod heap;
mod heap_model;
mod memmap;
mod ram;
mod replay;

pub use bytes::Bytes;
pub use frames::frames;
pub use heap::{REGION as HEAP_REGION, TestSource, heap, heap_over};
pub use memmap::memmap;
pub use replay::{Replayed, replay};
