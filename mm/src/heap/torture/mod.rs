//! The shared torture workload: a seeded random mix of every heap
//! operation that checks the heap and the data in every allocation as it
//! goes. The host tests and the kernel's self-test run the same code; the
//! kernel prints the seed, and `HEAP_TORTURE_SEED=<seed> cargo test -p mm
//! torture_replay` replays a failure on the host.
//!
//! The workload never allocates from a global allocator (in the kernel the
//! heap under test may be that allocator, behind a lock): its bookkeeping
//! is a slice of [`Slot`]s the caller provides, and it reaches the heap
//! only through [`HeapOps`], which the kernel implements by taking its
//! lock for each call.

mod rng;
mod run;
mod types;

pub use rng::SplitMix64;
pub use run::torture;
pub use types::{Failure, Slot, TortureConfig, TortureError, TortureReport};

use core::ptr::NonNull;

use super::error::HeapError;
use super::source::PageSource;
use super::{Heap, HeapStats};

/// The heap operations the torture workload drives, with the semantics of
/// the methods of the same names on [`Heap`].
///
/// # Safety
///
/// The workload writes to what it is given, so an implementor promises:
/// every `Ok` pointer from `malloc`, `calloc`, `malloc_aligned` and
/// `realloc` is valid for reads and writes of the requested size (at least
/// 1 byte), 8-byte aligned (or `align`-aligned for `malloc_aligned`), and
/// overlaps no other live allocation until it is passed to `free` or
/// `realloc`; `calloc` memory is zeroed; `realloc` keeps the contents up to
/// the smaller size; an `Err` from `realloc` or `free` leaves the old
/// allocation valid.
pub unsafe trait HeapOps {
    /// See [`Heap::malloc`].
    fn malloc(&mut self, size: usize) -> Result<NonNull<u8>, HeapError>;
    /// See [`Heap::calloc`].
    fn calloc(&mut self, count: usize, size: usize) -> Result<NonNull<u8>, HeapError>;
    /// See [`Heap::malloc_aligned`].
    fn malloc_aligned(&mut self, size: usize, align: usize) -> Result<NonNull<u8>, HeapError>;
    /// See [`Heap::realloc`].
    ///
    /// # Safety
    ///
    /// As for [`Heap::realloc`].
    unsafe fn realloc(&mut self, ptr: *mut u8, size: usize) -> Result<NonNull<u8>, HeapError>;
    /// See [`Heap::free`].
    ///
    /// # Safety
    ///
    /// As for [`Heap::free`].
    unsafe fn free(&mut self, ptr: *mut u8) -> Result<(), HeapError>;
    /// See [`Heap::check`].
    fn check(&mut self) -> Result<(), HeapError>;
    /// See [`Heap::stats`].
    fn stats(&mut self) -> HeapStats;
}

// SAFETY: `Heap`'s methods have exactly the promised semantics (its docs).
unsafe impl<S: PageSource> HeapOps for Heap<S> {
    fn malloc(&mut self, size: usize) -> Result<NonNull<u8>, HeapError> {
        Heap::malloc(self, size)
    }
    fn calloc(&mut self, count: usize, size: usize) -> Result<NonNull<u8>, HeapError> {
        Heap::calloc(self, count, size)
    }
    fn malloc_aligned(&mut self, size: usize, align: usize) -> Result<NonNull<u8>, HeapError> {
        Heap::malloc_aligned(self, size, align)
    }
    unsafe fn realloc(&mut self, ptr: *mut u8, size: usize) -> Result<NonNull<u8>, HeapError> {
        // SAFETY: forwarded contract.
        unsafe { Heap::realloc(self, ptr, size) }
    }
    unsafe fn free(&mut self, ptr: *mut u8) -> Result<(), HeapError> {
        // SAFETY: forwarded contract.
        unsafe { Heap::free(self, ptr) }
    }
    fn check(&mut self) -> Result<(), HeapError> {
        Heap::check(self)
    }
    fn stats(&mut self) -> HeapStats {
        Heap::stats(self)
    }
}
