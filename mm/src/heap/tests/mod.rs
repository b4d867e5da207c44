//! Host tests of the heap over a guarded arena: after every test the heap
//! passes `check` and no byte outside its mapped pages was written.
//!
//! The tests free and resize through [`TestOps`], whose one `unsafe` block
//! states the convention they all keep; the few remaining `unsafe` blocks
//! read or write allocations, or deliberately corrupt heap metadata, and
//! say so each.

mod basic;
mod detect;
mod edge;
mod promises;
mod props;
mod resize;
mod top;
mod torture;

use super::{ArenaSource, Heap, HeapError, PageSource};
use crate::heap::block::DEBUG_TRAILER;
use core::ptr::NonNull;

/// `free` and `realloc` for the tests, without an `unsafe` block each.
///
/// The convention that makes them sound: a test never uses a pointer after
/// a successful `test_free` or a `test_realloc` that returned a different pointer,
/// and passes bad pointers only to see the heap refuse them (which it does
/// before writing anything: that is what the detection tests check).
pub trait TestOps {
    /// `Heap::free`.
    fn test_free(&mut self, ptr: *mut u8) -> Result<(), HeapError>;
    /// `Heap::realloc`.
    fn test_realloc(&mut self, ptr: *mut u8, size: usize) -> Result<NonNull<u8>, HeapError>;
    /// `Heap::realloc_aligned`.
    fn test_realloc_aligned(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
    ) -> Result<NonNull<u8>, HeapError>;
}

impl<S: PageSource> TestOps for Heap<S> {
    fn test_free(&mut self, ptr: *mut u8) -> Result<(), HeapError> {
        // SAFETY: the tests keep the convention above.
        unsafe { self.free(ptr) }
    }

    fn test_realloc(&mut self, ptr: *mut u8, size: usize) -> Result<NonNull<u8>, HeapError> {
        // SAFETY: the tests keep the convention above.
        unsafe { self.realloc(ptr, size) }
    }

    fn test_realloc_aligned(
        &mut self,
        ptr: *mut u8,
        size: usize,
        align: usize,
    ) -> Result<NonNull<u8>, HeapError> {
        // SAFETY: the tests keep the convention above.
        unsafe { self.realloc_aligned(ptr, size, align) }
    }
}

/// Bytes in a test arena: 64 MiB of address space (touched lazily).
pub const ARENA: usize = 64 << 20;

/// A heap over a fresh guarded arena of [`ARENA`] bytes.
pub fn heap() -> Heap<ArenaSource> {
    Heap::new(ArenaSource::guarded(ARENA))
}

/// A heap whose source refuses to map more than `frames` pages.
pub fn heap_with_frames(frames: usize) -> Heap<ArenaSource> {
    let mut source = ArenaSource::guarded(ARENA);
    source.set_frame_limit(Some(frames));
    Heap::new(source)
}

/// The heap is consistent and has not written outside its mapped pages.
#[track_caller]
pub fn assert_sound(heap: &Heap<ArenaSource>) {
    if let Err(e) = heap.check() {
        panic!("check failed: {e}");
    }
    if let Err(at) = heap.source().verify_untouched() {
        panic!("the heap wrote unmapped memory at offset {at:#x}");
    }
    assert_eq!(heap.stats().mapped_bytes, heap.source().mapped_pages() * 4096);
}

/// Fills `len` bytes at `ptr` with a pattern keyed by `key`.
pub fn fill(ptr: *mut u8, len: usize, key: u8) {
    for i in 0..len {
        // SAFETY: the tests pass live allocations of at least `len` bytes.
        unsafe { ptr.add(i).write(key ^ (i as u8)) };
    }
}

/// Asserts the pattern of [`fill`] is intact.
#[track_caller]
pub fn verify(ptr: *const u8, len: usize, key: u8) {
    for i in 0..len {
        // SAFETY: as for `fill`.
        let byte = unsafe { ptr.add(i).read() };
        assert_eq!(byte, key ^ (i as u8), "byte {i} of the allocation at {ptr:p}");
    }
}

/// The block size a request of `req` bytes takes (mode-dependent).
pub fn block_of(req: usize) -> usize {
    ((req.max(1) + 8 + DEBUG_TRAILER as usize + 7) & !7).max(16)
}
